import ArgumentParser
import StreamConfig
import StreamConfigSystem

struct TLS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "TLS for streaming: a key and certificate for a parent or the relay, and how children trust it.",
        subcommands: [Initialize.self, Show.self]
    )

    struct Initialize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Make a private key and a self-signed certificate for a parent or the relay.",
            discussion: """
            Writes DIR/stream.key (ECDSA P-256, PKCS#8 PEM, mode 0600) and DIR/stream.crt (X.509 \
            PEM, mode 0644), owned by user netdata when it exists. The certificate is its own CA: \
            children verify the parent with it (child set --ssl --ca-file stream.crt). With \
            --netdata-conf, [web] ssl key and ssl certificate are set in that file, every other \
            byte kept. Nothing is written unless everything can be: the netdata.conf edit is \
            checked first, then the key, the certificate and netdata.conf are written next to \
            their targets and renamed into place together.

            Exit status: 0 written; 1 refused (files exist without --force, a netdata.conf line \
            Netdata does not read as written); 64 usage error; 66 netdata.conf missing or \
            unreadable; 73 a file or directory cannot be written; 75 locked by another writer.
            """
        )

        @Option(help: ArgumentHelp("Directory for stream.key and stream.crt (default: $NETDATA_USER_CONFIG_DIR/ssl, /etc/netdata/ssl).", valueName: "dir"), completion: .directory)
        var dir: String?

        @Option(help: ArgumentHelp("Days the certificate is valid.", valueName: "n"))
        var days: Int = TLSSetup.defaultDays

        @Option(name: .customLong("name"), parsing: .upToNextOption,
                help: ArgumentHelp("Host names and IP addresses children use to reach this node (subject alternative names; repeatable; default: this host's name, localhost, 127.0.0.1).", valueName: "host"))
        var names: [String] = []

        @Option(help: ArgumentHelp("Also set [web] ssl key and ssl certificate in this netdata.conf.", valueName: "file"), completion: .file())
        var netdataConf: String?

        @Flag(help: "Replace an existing stream.key and stream.crt (children trusting the old certificate must get the new one).")
        var force = false

        @OptionGroup var quiet: QuietOption

        func validate() throws {
            guard (1...36500).contains(days) else { throw ValidationError("--days must be between 1 and 36500") }
            for name in names {
                do { _ = try TLSName(parsing: name) } catch { throw ValidationError("invalid --name: \(error.message)") }
            }
        }

        func run() throws {
            try withUserErrors {
                let configDirectory = ConfigDirectories.fromEnvironment().user
                let given = names.compactMap { try? TLSName(parsing: $0) }
                let request = TLSSetup.Request(directory: FileSystem.absolute(dir ?? "\(configDirectory)/ssl"),
                                               names: given.isEmpty ? TLSSetup.defaultNames() : TLSName.unique(given), days: days,
                                               netdataConf: netdataConf.map(FileSystem.absolute), force: force)
                let done = try TLSSetup.run(request, configDirectory: configDirectory, note: Terminal.note)
                if let warning = done.ownerWarning { Terminal.warn("warning: \(warning)") }
                Terminal.note("wrote \(request.keyPath) (private key, mode 0600, owner \(done.ownerName))")
                Terminal.note("wrote \(request.certificatePath) (certificate, mode 0644, owner \(done.ownerName))")
                if let conf = done.netdataConf {
                    Terminal.note(conf.edit.changed ? "set [web] ssl key and ssl certificate in \(conf.path)" : "\(conf.path) already names these files; nothing to change")
                }
                Terminal.write(1, TLSReport.instructions(generated: done.generated, keyPath: request.keyPath, certificatePath: request.certificatePath,
                                                         names: request.names, days: days, netdataConf: done.netdataConf))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a certificate: subject, names, validity, SHA-256 fingerprint; check it against a key.",
            discussion: """
            FILE is PEM (every certificate of a chain is shown) or DER. Compare the fingerprint \
            with the one `tls init` printed on the parent before trusting a copied certificate.

            Exit status: 0 valid now (and --key matches); 1 --key does not match, or the first \
            certificate is expired or not valid yet; 64 usage error; 66 FILE or the key cannot be \
            read or parsed.
            """
        )

        @Argument(help: ArgumentHelp("Certificate file (PEM or DER).", valueName: "file"), completion: .file())
        var file: String

        @Option(help: ArgumentHelp("Private key (PEM) to check against the first certificate.", valueName: "file"), completion: .file())
        var key: String?

        @OptionGroup var quiet: QuietOption

        func run() throws {
            try withUserErrors {
                let shown: (text: String, failure: String?)
                do {
                    shown = try TLSReport.show(file, try FileAccess.read(file).bytes, key: try key.map { ($0, try FileAccess.read($0).bytes) })
                } catch let problem as TLSInspect.Problem {
                    throw StreamConfigError.noInput(problem.message)
                }
                Terminal.write(1, shown.text)
                if let failure = shown.failure { throw StreamConfigError.refused(failure) }
            }
        }
    }
}
