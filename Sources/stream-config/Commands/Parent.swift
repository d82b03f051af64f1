import ArgumentParser
import StreamConfig

struct Parent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the API keys and machine GUIDs a parent accepts.",
        subcommands: [AddKey.self, DisableKey.self, RemoveKey.self, ListKeys.self, AddMachine.self]
    )

    static func validateUUID(_ text: String, what: String) throws {
        switch UUIDSyntax.classify(text) {
        case .canonical: return
        case .notLowercase: throw ValidationError("\(what) must be lowercase (children and parents compare keys byte for byte): \(text.lowercased())")
        case .invalid: throw ValidationError("\(what) `\(text)` is not a UUID; `stream-config keygen` makes one")
        }
    }

    struct AddKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an API key section ([KEY] with type = api, enabled = yes) and print the key.",
            discussion: "Without --key a new random key is generated. Prints the key on standard output and the child's command on standard error."
        )

        @Option(help: ArgumentHelp("The key to add (a lowercase UUID); default: a new random one.", valueName: "uuid"))
        var key: String?

        @Option(help: ArgumentHelp("Who may use the key: a simple pattern of peer addresses (e.g. `10.1.* localhost`).", valueName: "pattern"))
        var allowFrom: String?

        @OptionGroup var rewrite: RewriteOptions

        func validate() throws {
            if let key { try Parent.validateUUID(key, what: "--key") }
        }

        func run() throws {
            try withUserErrors {
                let key = self.key ?? KeyGenerator.randomKey()
                let changed = try Rewrite.run(rewrite, describe: "added API key \(SecretMasker.mask(key))") { editor, _ in
                    if editor.ini.section(key) != nil { throw EditError(.sectionExists, "[\(SecretMasker.mask(key))] already exists in the file; choose another key or use `parent disable-key`/`remove-key`") }
                    try editor.addAPIKey(key: key, allowFrom: allowFrom)
                }
                guard changed != nil else { return }
                Terminal.stdout(key)
                Terminal.stderr("stream-config: on each child: stream-config child set --destination PARENT_ADDRESS:19999 --api-key \(key)")
            }
        }
    }

    struct DisableKey: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a key from now on (sets enabled = no; the section stays).")
        @Argument(help: ArgumentHelp("The API key (or machine GUID) section.", valueName: "key")) var key: String
        @OptionGroup var rewrite: RewriteOptions

        func run() throws {
            try withUserErrors {
                try Rewrite.run(rewrite, describe: "disabled [\(SecretMasker.mask(key))]") { editor, _ in try editor.disableKey(key) }
            }
        }
    }

    struct RemoveKey: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key or machine GUID section and its options.")
        @Argument(help: ArgumentHelp("The API key (or machine GUID) section.", valueName: "key")) var key: String
        @OptionGroup var rewrite: RewriteOptions

        func run() throws {
            try withUserErrors {
                try Rewrite.run(rewrite, describe: "removed [\(SecretMasker.mask(key))]") { editor, _ in try editor.removeKey(key) }
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
            try Parent.validateUUID(guid, what: "the machine GUID")
            for item in extra where !item.contains("=") { throw ValidationError("--set takes NAME=VALUE, got `\(item)`") }
        }

        func run() throws {
            try withUserErrors {
                var options: [(key: String, value: String)] = [("enabled", disabled ? "no" : "yes")]
                if let allowFrom { options.append(("allow from", allowFrom)) }
                for item in extra {
                    let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
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
        @Option(help: ArgumentHelp("The stream.conf to read (default: the file Netdata reads).", valueName: "file")) var file: String?
        @Flag(help: "Print keys in full.") var showSecrets = false
        @Option(help: "Output format: plain or json.") var format: Keygen.Format = .plain

        func run() throws {
            try withUserErrors {
                let path = try file ?? ConfigDirectories.fromEnvironment().effectiveFile()?.path
                    ?? { throw UserError.noInput("no stream.conf found", hint: "pass --file") }()
                let keys = ConfigEditor(Document(bytes: try FileAccess.read(path).bytes)).listKeys()
                func shown(_ name: String) -> String { showSecrets || ["API_KEY", "MACHINE_GUID"].contains(name) ? name : SecretMasker.mask(name) }
                func role(_ r: KeyEntry.Role) -> String {
                    switch r {
                    case .api: return "api"
                    case .machine: return "machine"
                    case .unspecified: return "untyped"
                    case .invalid(let value): return "invalid(\(value))"
                    }
                }
                switch format {
                case .plain:
                    for entry in keys {
                        Terminal.stdout("\(shown(entry.name).padding(38)) \(role(entry.role).padding(8)) \(entry.enabled ? "enabled " : "disabled") allow from: \(entry.allowFrom ?? "*")  (line \(entry.line))")
                    }
                    if keys.isEmpty { Terminal.stderr("stream-config: \(path) has no key or machine sections") }
                case .json:
                    struct Item: Encodable {
                        var name: String, role: String, enabled: Bool, allow_from: String, line: Int
                    }
                    Terminal.stdout(JSONOutput.string(keys.map {
                        Item(name: shown($0.name), role: role($0.role), enabled: $0.enabled, allow_from: $0.allowFrom ?? "*", line: $0.line)
                    }))
                }
            }
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
