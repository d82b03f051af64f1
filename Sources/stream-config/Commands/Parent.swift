import ArgumentParser
import StreamConfig
import StreamConfigSystem

struct Parent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the API keys and machine GUIDs a parent accepts.",
        subcommands: [AddKey.self, DisableKey.self, RemoveKey.self, ListKeys.self, AddMachine.self]
    )

    /// The KEY argument of `disable-key` and `remove-key`, read as `KeyInput` reads keys.
    static func keyArgument(_ argument: String?) throws -> String {
        guard let key = try KeyInput.read(argument, orEnvironmentFor: "KEY") else {
            throw StreamConfigError.usage("give the key: KEY, - (from standard input), @FILE, or $\(KeyInput.environmentVariable)")
        }
        return key
    }

    struct AddKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an API key section ([KEY] with type = api, enabled = yes) and print the key.",
            discussion: "Without --key a new random key is generated. Prints the key on standard output and the child's command on standard error."
        )

        @Option(help: ArgumentHelp("The key to add (a lowercase UUID); \(KeyInput.help), else a new random one.", valueName: "uuid|-|@file"))
        var key: String?

        @Option(help: ArgumentHelp("Who may use the key: a simple pattern of peer addresses (e.g. `10.1.* localhost`).", valueName: "pattern"))
        var allowFrom: String?

        @OptionGroup var rewrite: RewriteOptions

        func validate() throws {
            try Parent.validatePattern(allowFrom)
        }

        func run() throws {
            try withUserErrors {
                let key = try KeyInput.read(self.key, orEnvironmentFor: "--key") ?? KeyGenerator.randomKey()
                try KeyInput.requireUsable(key, what: "--key")
                let json = rewrite.format == .json
                let changed = try Rewrite.run(rewrite, describe: "added API key \(key)", key: json ? key : nil) { editor, _ in
                    try editor.addAPIKey(key: key, allowFrom: allowFrom)
                }
                // The key is the answer either way (a repeated run finds it there, unchanged).
                if !json { Terminal.stdout(key) }
                if changed != nil { Terminal.note("on each child: \(Parent.childCommand)") }
            }
        }
    }

    /// The advice printed after `add-key`: the key goes through standard input, never the command line.
    static let childCommand = "stream-config child set --destination PARENT_ADDRESS:19999 --api-key -  (then paste the key printed above; or --api-key @FILE)"

    /// An empty pattern (an unset shell variable) would allow everyone.
    static func validatePattern(_ pattern: String?) throws {
        if let pattern, pattern.allSatisfy(\.isWhitespace) {
            throw ValidationError("--allow-from is empty (an unset shell variable?): Netdata reads an empty pattern as everyone; give the addresses to allow, or '*' for everyone")
        }
    }

    struct DisableKey: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a key from now on (sets enabled = no; the section stays).")
        @Argument(help: ArgumentHelp("The API key (or machine GUID) section; \(KeyInput.help).", valueName: "key")) var key: String?
        @OptionGroup var rewrite: RewriteOptions

        func run() throws {
            try withUserErrors {
                let key = try Parent.keyArgument(key)
                try Rewrite.run(rewrite, describe: "disabled [\(key)]") { editor, _ in try editor.disableKey(key) }
            }
        }
    }

    struct RemoveKey: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key or machine GUID section and its options.")
        @Argument(help: ArgumentHelp("The API key (or machine GUID) section; \(KeyInput.help).", valueName: "key")) var key: String?
        @OptionGroup var rewrite: RewriteOptions

        func run() throws {
            try withUserErrors {
                let key = try Parent.keyArgument(key)
                try Rewrite.run(rewrite, describe: "removed [\(key)]") { editor, _ in try editor.removeKey(key) }
            }
        }
    }

    struct AddMachine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add per-child settings: a machine GUID section ([GUID] with type = machine).",
            discussion: "The child's machine GUID is in /var/lib/netdata/registry/netdata.public.unique.id on the child."
        )
        @Argument(help: ArgumentHelp("The child's machine GUID.", valueName: "guid")) var guid: String
        @Option(help: ArgumentHelp("Peer addresses this machine may connect from.", valueName: "pattern")) var allowFrom: String?
        @Flag(help: "Add it with enabled = no (refuse this child).") var disabled = false
        @Option(name: .customLong("set"), help: ArgumentHelp("Extra option for the section, as NAME=VALUE (repeatable).", valueName: "name=value"))
        var extra: [String] = []
        @OptionGroup var rewrite: RewriteOptions

        func validate() throws {
            try Parent.validatePattern(allowFrom)
            for item in extra where !item.contains("=") { throw ValidationError("--set takes NAME=VALUE, got `\(item)`") }
        }

        func run() throws {
            try withUserErrors {
                try KeyInput.requireUUID(guid, what: "the machine GUID")
                var options: [(key: String, value: String)] = [("enabled", disabled ? "no" : "yes")]
                if let allowFrom { options.append(("allow from", allowFrom)) }
                for item in extra {
                    let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
                    options.append((parts[0], parts.count > 1 ? parts[1] : ""))
                }
                try Rewrite.run(rewrite, describe: "added machine [\(guid)]") { editor, _ in
                    try editor.addMachine(guid: guid, options: options)
                }
            }
        }
    }

    struct ListKeys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the key and machine sections, as Netdata reads them (keys masked).")
        @Option(help: ArgumentHelp("The stream.conf to read (default: the file Netdata reads).", valueName: "file"), completion: .file()) var file: String?
        @Flag(help: "Print keys in full.") var showSecrets = false
        @Option(help: "Output format: plain or json.") var format: Keygen.Format = .plain
        @OptionGroup var quiet: QuietOption

        func run() throws {
            try withUserErrors {
                let path = try file ?? ConfigDirectories.fromEnvironment().effectiveFile()?.path
                    ?? { throw StreamConfigError.noInput("no stream.conf found", hint: "pass --file") }()
                let keys = ConfigEditor(Document(bytes: try FileAccess.read(path).bytes)).listKeys()
                switch format {
                case .plain:
                    for line in KeyList.lines(keys, showSecrets: showSecrets) { Terminal.stdout(line) }
                    if keys.isEmpty { Terminal.note("\(path) has no key or machine sections") }
                case .json:
                    Terminal.stdout(KeyList.json(keys, showSecrets: showSecrets))
                }
            }
        }
    }
}
