enum FileChecks {
    /// SC801: a file that holds keys should not be readable by everyone.
    static func run(_ context: inout LintContext, mode: UInt32?, holdsSecrets: Bool) {
        guard let mode, mode & 0o007 != 0, holdsSecrets else { return }
        let octal = String(mode & 0o777, radix: 8)
        context.emit("SC801", line: 0, "the file holds API keys and is readable by every user (mode \(octal))",
                     hint: "chmod 0640 the file and chown root:netdata (it must stay readable by the netdata group)")
    }
}
