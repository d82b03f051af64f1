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
            --skip-certificate-verification encrypts without authenticating the parent (lab use only).
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
        }

        func run() throws {
            // Here, not in validate(): the parser reports a misspelt option (`--destnation`)
            // only after validate() has run.
            guard !destinations.isEmpty else { throw ValidationError("give at least one --destination HOST[:PORT]") }
            try withUserErrors {
                guard let apiKey = try KeyInput.read(apiKey, orEnvironmentFor: "--api-key") else {
                    throw StreamConfigError.usage("give the parent's API key: --api-key KEY, --api-key - (from standard input), --api-key @FILE, or $\(KeyInput.environmentVariable)")
                }
                try Parent.validateUUID(apiKey, what: "--api-key")
                try Rewrite.run(rewrite, describe: "streaming enabled to \(destinations.joined(separator: " "))") { editor, _ in
                    try editor.setChild(destinations: destinations, apiKey: apiKey, ssl: ssl,
                                        skipCertificateVerification: skipCertificateVerification, caFile: caFile, caPath: caPath)
                }
            }
        }
    }
}
