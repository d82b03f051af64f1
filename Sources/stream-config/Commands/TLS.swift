import ArgumentParser
import StreamConfig
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

struct TLS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "TLS for streaming: a key and certificate for a parent or the relay, and how children trust it.",
        subcommands: [Initialize.self, Show.self]
    )

    static let keyFileName = "stream.key"
    static let certificateFileName = "stream.crt"
    static let defaultDays = 825

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

        @Option(help: ArgumentHelp("Directory for stream.key and stream.crt (default: $NETDATA_USER_CONFIG_DIR/ssl, /etc/netdata/ssl).", valueName: "dir"))
        var dir: String?

        @Option(help: ArgumentHelp("Days the certificate is valid.", valueName: "n"))
        var days: Int = TLS.defaultDays

        @Option(name: .customLong("name"), parsing: .upToNextOption,
                help: ArgumentHelp("Host names and IP addresses children use to reach this node (subject alternative names; repeatable; default: this host's name, localhost, 127.0.0.1).", valueName: "host"))
        var names: [String] = []

        @Option(help: ArgumentHelp("Also set [web] ssl key and ssl certificate in this netdata.conf.", valueName: "file"))
        var netdataConf: String?

        @Flag(help: "Replace an existing stream.key and stream.crt (children trusting the old certificate must get the new one).")
        var force = false

        func validate() throws {
            guard (1...36500).contains(days) else { throw ValidationError("--days must be between 1 and 36500") }
            for name in names {
                do { _ = try TLSName(parsing: name) } catch { throw ValidationError("invalid --name: \(error.message)") }
            }
        }

        func subjectNames() -> [TLSName] {
            let given = names.compactMap { try? TLSName(parsing: $0) }
            if !given.isEmpty { return TLSName.unique(given) }
            return TLSName.unique([TLSName.machineHostname(), .dns("localhost"), .ip("127.0.0.1", [127, 0, 0, 1])].compactMap { $0 })
        }

        func run() throws {
            try withUserErrors {
                let directory = TLS.absolute(dir ?? "\(ConfigDirectories.fromEnvironment().user)/ssl")
                let keyPath = "\(directory)/\(TLS.keyFileName)"
                let certificatePath = "\(directory)/\(TLS.certificateFileName)"
                let names = subjectNames()

                // 1. netdata.conf: read, check and edit in memory before anything is written.
                var configuration: (path: String, edit: TLSNetdataConf.Edit, lock: FileLock)?
                if let given = netdataConf {
                    // Named with the option: a link is written through wherever it leads.
                    let path = try WriteTarget.resolve(TLS.absolute(given), configDirectory: ConfigDirectories.fromEnvironment().user, explicit: true)
                    guard FileAccess.exists(path) else {
                        throw UserError.noInput("\(path): no such file", hint: "give the netdata.conf Netdata reads (Debian: /etc/netdata/netdata.conf); an empty file is fine")
                    }
                    let lock = try FileLock(for: path)
                    let contents = try FileAccess.read(path)
                    if access(path, W_OK) != 0 {
                        throw UserError.cannotWrite("\(path): the file is read-only for you (\(FileAccess.describe(errno: errno)))", hint: "run with sudo, or check the file's permissions")
                    }
                    let edit = try TLSNetdataConf.edit(Document(bytes: contents.bytes), path: path, keyPath: keyPath, certificatePath: certificatePath)
                    configuration = (path, edit, lock)
                }

                // 2. The key and certificate must not exist (unless --force), and DIR must be writable.
                try TLS.refuseExisting([keyPath, certificatePath], force: force)
                try TLS.checkWritable(directory: directory)

                // 3. Everything in memory, then staged next to the targets, then renamed together.
                let generated: GeneratedTLS
                do {
                    generated = try GeneratedTLS.make(names: names, days: days)
                } catch {
                    throw UserError.refused("cannot make the certificate: \(error)")
                }
                let files = TLSFileSet()
                defer { files.discard() }
                try files.makeDirectory(directory)
                let sslLock = try FileLock(for: keyPath)
                try TLS.refuseExisting([keyPath, certificatePath], force: force)  // again, under the lock
                for path in [keyPath, certificatePath] + (configuration.map { [$0.path] } ?? []) {
                    AtomicFile.removeStaleTemporaryFiles(for: path)
                }
                let owner = TLS.netdataOwner()
                let keyStage = try files.stage(Array(generated.keyPEM.utf8), to: keyPath,
                                               ownership: AtomicFile.Ownership(uid: owner.uid, gid: owner.gid, mode: 0o600))
                try files.stage(Array(generated.certificatePEM.utf8), to: certificatePath,
                                ownership: AtomicFile.Ownership(uid: owner.uid, gid: owner.gid, mode: 0o644))
                if let configuration, configuration.edit.changed {
                    try files.stage(configuration.edit.document.render(), to: configuration.path,
                                    ownership: AtomicFile.existingOwnership(configuration.path) ?? AtomicFile.newFileOwnership())
                }
                try files.commit()
                withExtendedLifetime((sslLock, configuration?.lock)) {}

                let ownerName = keyStage.ownerApplied ? (owner.name ?? TLS.userName(owner.uid)) : TLS.userName(geteuid())
                if !keyStage.ownerApplied, let wanted = owner.name {
                    Terminal.stderr("stream-config: warning: \(keyPath) is owned by \(ownerName), not \(wanted) (only root can give files away); Netdata running as \(wanted) cannot read it: sudo chown \(wanted): \(keyPath) \(certificatePath)")
                }
                Terminal.stderr("stream-config: wrote \(keyPath) (private key, mode 0600, owner \(ownerName))")
                Terminal.stderr("stream-config: wrote \(certificatePath) (certificate, mode 0644, owner \(ownerName))")
                if let configuration {
                    Terminal.stderr(configuration.edit.changed
                        ? "stream-config: set [web] ssl key and ssl certificate in \(configuration.path)"
                        : "stream-config: \(configuration.path) already names these files; nothing to change")
                }
                Terminal.write(1, TLS.instructions(
                    generated: generated, keyPath: keyPath, certificatePath: certificatePath, names: names, days: days,
                    netdataConf: configuration.map { ($0.path, $0.edit) }))
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

        @Argument(help: ArgumentHelp("Certificate file (PEM or DER).", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("Private key (PEM) to check against the first certificate.", valueName: "file"))
        var key: String?

        func run() throws {
            try withUserErrors {
                let certificates: [(certificate: Certificate, der: [UInt8])]
                do {
                    certificates = try TLSInspect.certificates(in: try FileAccess.read(file).bytes, path: file)
                } catch let problem as TLSInspect.Problem {
                    throw UserError.noInput(problem.message)
                }
                var out = ""
                for (index, entry) in certificates.enumerated() {
                    let title = certificates.count == 1 ? file : "\(file) (certificate \(index + 1) of \(certificates.count))"
                    out += "\(title)\n" + TLS.describe(entry.certificate, der: entry.der)
                }
                var failure: String?
                let first = certificates[0].certificate
                let now = Date()
                if now > first.notValidAfter {
                    failure = "\(file): the certificate expired on \(TLSInspect.utc(first.notValidAfter))"
                } else if now < first.notValidBefore {
                    failure = "\(file): the certificate is not valid before \(TLSInspect.utc(first.notValidBefore))"
                }
                if let key {
                    let privateKey: Certificate.PrivateKey
                    do {
                        privateKey = try TLSInspect.privateKey(in: try FileAccess.read(key).bytes, path: key)
                    } catch let problem as TLSInspect.Problem {
                        throw UserError.noInput(problem.message)
                    }
                    if privateKey.publicKey == first.publicKey {
                        out += "  key:         \(key) matches this certificate\n"
                    } else {
                        out += "  key:         \(key) does NOT match this certificate\n"
                        failure = failure ?? "\(key) is not the private key of \(file) (its public key differs)"
                    }
                }
                Terminal.write(1, out)
                if let failure { throw UserError.refused(failure) }
            }
        }
    }

    // MARK: - Output

    static func describe(_ certificate: Certificate, der: [UInt8]) -> String {
        let names = TLSInspect.names(certificate)
        let now = Date()
        let daysLeft = Int((certificate.notValidAfter.timeIntervalSince1970 - now.timeIntervalSince1970) / 86400)
        let state: String
        if now > certificate.notValidAfter {
            state = "EXPIRED"
        } else if now < certificate.notValidBefore {
            state = "NOT VALID YET"
        } else {
            state = "\(daysLeft) day\(daysLeft == 1 ? "" : "s") left"
        }
        let selfSigned = TLSInspect.isSelfSigned(certificate)
        var lines: [(String, String)] = [
            ("subject", "\(certificate.subject)"),
            ("issuer", "\(certificate.issuer)\(selfSigned ? " (self-signed)" : "")"),
            ("names", names.isEmpty ? "(no subject alternative names)" : names.joined(separator: ", ")),
            ("valid from", TLSInspect.utc(certificate.notValidBefore)),
            ("valid until", "\(TLSInspect.utc(certificate.notValidAfter)) (\(state))"),
            ("public key", TLSInspect.keyDescription(certificate.publicKey)),
            ("usage", TLSInspect.usages(certificate)),
            ("CA", TLSInspect.isCA(certificate)
                ? (selfSigned ? "yes: children can trust it directly (--ca-file)" : "yes")
                : "no (no basicConstraints CA:TRUE)"),
            ("serial", certificate.serialNumber.bytes.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined(separator: ":")),
        ]
        lines.append(("SHA-256", TLSInspect.fingerprint(der)))
        return lines.map { "  \(($0.0 + ":").padded(12)) \($0.1)\n" }.joined()
    }

    static func instructions(generated: GeneratedTLS, keyPath: String, certificatePath: String, names: [TLSName], days: Int,
                             netdataConf: (path: String, edit: TLSNetdataConf.Edit)?) -> String {
        let certificate = generated.certificate
        let fingerprint = TLSInspect.fingerprint(generated.der)
        let parent = names.first { if case .dns(let n) = $0 { return n != "localhost" } else { return false } }?.value
            ?? names.first { if case .ip(let t, _) = $0 { return !t.hasPrefix("127.") && t != "::1" } else { return false } }?.value
            ?? "PARENT"
        let host = parent.contains(":") ? "[\(parent)]" : parent
        var out = """
            Certificate \(certificatePath)
              subject:     \(certificate.subject)
              names:       \(names.map(\.description).joined(separator: ", "))
              valid:       \(TLSInspect.utc(certificate.notValidBefore)) to \(TLSInspect.utc(certificate.notValidAfter)) (\(days) days)
              SHA-256 fingerprint: \(fingerprint)

            On this node (the parent):

            """
        if let netdataConf {
            out += "  \(netdataConf.path) [web] now has:\n"
        } else {
            out += "  add to netdata.conf (/etc/netdata/netdata.conf), section [web]:\n"
        }
        out += """
                  \(Advice.sslKey(keyPath))
                  \(Advice.sslCertificate(certificatePath))

            """
        if let previous = netdataConf?.edit, previous.previousKey != nil || previous.previousCertificate != nil,
           previous.previousKey != keyPath || previous.previousCertificate != certificatePath {
            out += "  (before: ssl key = \(previous.previousKey ?? "(unset)"), ssl certificate = \(previous.previousCertificate ?? "(unset)"))\n"
        }
        out += """
              then restart Netdata: sudo systemctl restart netdata
              Netdata then serves TLS on its web port, and plain HTTP requests get a redirect to https.
              Netdata 1.37.1 then answers only TLS children (plaintext children get no answer); 2.x keeps
              taking plaintext children until the port forces TLS. To refuse them on every version, put
              the port's access list before ^SSL=force in [web]:
                  \(Advice.bindTo(.tlsForced))
              (^SSL straight after the port makes it part of the port: Netdata cannot listen there and exits.)
              For `stream-config relay` instead: --tls-certificate \(certificatePath) --tls-key \(keyPath)

            On each child (recommended: TLS with the parent's certificate verified):
              1. copy the certificate, never the key, e.g.:
                   scp \(certificatePath) CHILD:/etc/netdata/ssl/parent.crt
              2. on the child, check that the fingerprint is the one above:
                   stream-config tls show /etc/netdata/ssl/parent.crt
              3. stream-config child set --destination \(host):19999 --ssl --ca-file /etc/netdata/ssl/parent.crt --api-key API_KEY
              4. restart Netdata on the child.
              The child must reach the parent by one of the names above (Netdata checks the certificate chain,
              not the name, but other TLS clients do).
              Lab only: --skip-certificate-verification instead of --ca-file encrypts without checking who
              answers, so anyone on the path can pose as the parent. Do not use it in production.

            """
        return out
    }

    // MARK: - Helpers

    static func absolute(_ path: String) -> String {
        var result = path
        if !result.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil {
                let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                result = (cwd == "/" ? "" : cwd) + "/" + result
            }
        }
        // Drop "." components and repeated or trailing slashes (".." is kept as written).
        let parts = result.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    static func refuseExisting(_ paths: [String], force: Bool) throws {
        let existing = paths.filter { FileAccess.exists($0) }
        guard !existing.isEmpty, !force else { return }
        throw UserError.refused(
            "\(existing.joined(separator: " and ")) already exist\(existing.count == 1 ? "s" : ""); nothing was changed",
            hint: "children that trust the current certificate would stop connecting: see it with `stream-config tls show \(paths.last!)`; add --force to replace the key and certificate, or choose another --dir")
    }

    /// Early, clear errors for a directory that cannot hold the files (staging checks again).
    static func checkWritable(directory: String) throws {
        var path = directory
        var info = stat()
        while stat(path, &info) != 0 {
            guard errno == ENOENT, path != "/" else { break }
            path = AtomicFile.directory(of: path)
        }
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw UserError.cannotWrite("\(path): exists and is not a directory", hint: "choose another --dir")
            }
            if access(path, W_OK | X_OK) != 0 {
                let what = path == directory ? "" : " (to create \(directory))"
                throw UserError.cannotWrite("\(path): cannot write to the directory\(what): \(FileAccess.describe(errno: errno))",
                                            hint: "run with sudo, or choose a --dir you can write")
            }
        }
    }

    /// User `netdata` (and its group) when it exists, else whoever runs the command.
    static func netdataOwner() -> (uid: uid_t, gid: gid_t, name: String?) {
        if let user = getpwnam("netdata") { return (user.pointee.pw_uid, user.pointee.pw_gid, "netdata") }
        return (geteuid(), getegid(), nil)
    }

    static func userName(_ uid: uid_t) -> String {
        if let user = getpwuid(uid) { return String(cString: user.pointee.pw_name) }
        return "uid \(uid)"
    }
}

private extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
