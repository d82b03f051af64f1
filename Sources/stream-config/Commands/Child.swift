import ArgumentParser
import StreamConfig
import StreamConfigSystem

struct Child: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Configure this node to stream to parents.", subcommands: [Set.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable streaming in [stream]: destinations, API key and TLS settings.",
            discussion: """
            For TLS, prefer --ssl --ca-file PARENT_CERT.pem: the parent's certificate is verified. \
            --skip-certificate-verification encrypts without authenticating the parent (lab use only). \
            --ca-file must be a PEM certificate file on this host and --ca-path a directory; --force \
            writes them anyway. A relative path is written as an absolute one (Netdata opens them from its own working directory). \
            Switching between the two TLS modes comments out the other mode's lines in place.
            """
        )

        @Option(name: .customLong("destination"), parsing: .upToNextOption,
                help: ArgumentHelp("Parent(s) as HOST[:PORT][:SSL], tried in order (repeatable).", valueName: "dest"))
        var destinations: [String] = []

        @Option(help: ArgumentHelp("The API key the parent accepts (a lowercase UUID); \(KeyInput.help).", valueName: "uuid|-|@file"))
        var apiKey: String?

        @Flag(help: "Use TLS to every destination (appends :SSL).")
        var ssl = false

        @Flag(help: "Do not verify the parent's certificate (sets ssl skip certificate verification = yes).")
        var skipCertificateVerification = false

        @Option(help: ArgumentHelp("CA bundle or the parent's certificate to verify it with (CAfile).", valueName: "file"), completion: .file())
        var caFile: String?

        @Option(help: ArgumentHelp("Directory of CA certificates (CApath).", valueName: "dir"), completion: .directory)
        var caPath: String?

        @OptionGroup var rewrite: RewriteOptions

        func validate() throws {
            if (skipCertificateVerification || caFile != nil || caPath != nil) && !ssl && !destinations.contains(where: { $0.contains(":SSL") }) {
                throw ValidationError("TLS options need --ssl (or :SSL on a destination)")
            }
            if skipCertificateVerification && (caFile != nil || caPath != nil) {
                throw ValidationError("--skip-certificate-verification turns verification off, so --ca-file/--ca-path would not be used: give one or the other")
            }
        }

        func run() throws {
            // Here, not in validate(): the parser reports a misspelt option (`--destnation`)
            // only after validate() has run.
            guard !destinations.isEmpty else { throw ValidationError("give at least one --destination HOST[:PORT]") }
            try withUserErrors {
                guard let apiKey = try KeyInput.read(apiKey, orEnvironmentFor: "--api-key") else {
                    throw StreamConfigError.usage("give the parent's API key: --api-key KEY, --api-key - (from standard input), --api-key @FILE, or $\(KeyInput.environmentVariable)")
                }
                try KeyInput.requireUsable(apiKey, what: "--api-key")
                // Netdata opens them from its own working directory: a relative path is written as seen from here.
                let caFile = caFile.map { absolute($0, option: "--ca-file") }, caPath = caPath.map { absolute($0, option: "--ca-path") }
                if !rewrite.force {
                    try CAFileCheck.require(caFile, option: "--ca-file", directory: false)
                    try CAFileCheck.require(caPath, option: "--ca-path", directory: true)
                }
                try Rewrite.run(rewrite, describe: "streaming enabled to \(destinations.joined(separator: " "))") { editor, _ in
                    try editor.setChild(destinations: destinations, apiKey: apiKey, ssl: ssl,
                                        skipCertificateVerification: skipCertificateVerification, caFile: caFile, caPath: caPath)
                }
            }
        }
    }
}

private func absolute(_ path: String, option: String) -> String {
    let absolute = CAFileCheck.absolute(path)
    if absolute != path { Terminal.note("\(option) \(path) is written as \(absolute) (Netdata opens it from its own working directory)") }
    return absolute
}
