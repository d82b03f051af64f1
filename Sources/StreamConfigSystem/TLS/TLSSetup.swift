import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// `tls init`: a key and a self-signed certificate in a directory, and optionally netdata.conf
/// set to use them, as one change. Nothing is written unless everything can be: the netdata.conf
/// edit is checked first, then the key, the certificate and netdata.conf are staged next to
/// their targets and renamed into place together (`TLSFileSet`).
public enum TLSSetup {
    public static let keyFileName = "stream.key"
    public static let certificateFileName = "stream.crt"
    public static let defaultDays = 825

    public struct Request: Sendable {
        public var directory: String
        public var names: [TLSName]
        public var days: Int
        /// The netdata.conf to set [web] ssl key / ssl certificate in (already absolute).
        public var netdataConf: String?
        public var force: Bool

        public init(directory: String, names: [TLSName], days: Int = TLSSetup.defaultDays, netdataConf: String? = nil, force: Bool = false) {
            self.directory = directory
            self.names = names
            self.days = days
            self.netdataConf = netdataConf
            self.force = force
        }

        public var keyPath: String { "\(directory)/\(TLSSetup.keyFileName)" }
        public var certificatePath: String { "\(directory)/\(TLSSetup.certificateFileName)" }
    }

    public struct Outcome: Sendable {
        public var generated: GeneratedTLS
        /// The owner the files got (user netdata when it exists and we may give files away).
        public var ownerName: String
        /// Set when user netdata exists but the files could not be given to it.
        public var ownerWarning: String?
        /// The netdata.conf path and its edit, when one was asked for.
        public var netdataConf: (path: String, edit: TLSNetdataConf.Edit)?
    }

    /// The names a certificate gets when none are given: this host's name, localhost, 127.0.0.1.
    public static func defaultNames() -> [TLSName] {
        TLSName.unique([TLSName.machineHostname(), .dns("localhost"), .ip("127.0.0.1", [127, 0, 0, 1])].compactMap { $0 })
    }

    public static func run(_ request: Request, configDirectory: String, note: (String) -> Void = { _ in }) throws -> Outcome {
        let keyPath = request.keyPath
        let certificatePath = request.certificatePath

        // 1. netdata.conf: read, check and edit in memory before anything is written.
        var configuration: (path: String, edit: TLSNetdataConf.Edit, lock: FileLock)?
        if let given = request.netdataConf {
            // Named with the option: a link is written through wherever it leads.
            let path = try WriteTarget.resolve(given, configDirectory: configDirectory, explicit: true, note: note)
            guard FileAccess.exists(path) else {
                throw StreamConfigError.noInput("\(path): no such file", hint: "give the netdata.conf Netdata reads (Debian: /etc/netdata/netdata.conf); an empty file is fine")
            }
            let lock = try FileLock(for: path)
            let contents = try FileAccess.read(path)
            if let problem = FileSystem.writeProblem(path) {
                throw StreamConfigError.cannotWrite("\(path): the file is read-only for you (\(problem))", hint: "run with sudo, or check the file's permissions")
            }
            do {
                let edit = try TLSNetdataConf.edit(Document(bytes: contents.bytes), path: path, keyPath: keyPath, certificatePath: certificatePath)
                configuration = (path, edit, lock)
            } catch {
                throw StreamConfigError(.refused, error.message, hint: error.hint,
                                        details: error.problems.map { "\(path):\($0.line): error: \($0.why)" })
            }
        }

        // 2. The key and certificate must not exist (unless --force), and DIR must be writable.
        try refuseExisting([keyPath, certificatePath], force: request.force)
        try checkWritable(directory: request.directory)

        // 3. Everything in memory, then staged next to the targets, then renamed together.
        let generated: GeneratedTLS
        do {
            generated = try GeneratedTLS.make(names: request.names, days: request.days)
        } catch {
            throw StreamConfigError.refused("cannot make the certificate: \(error)")
        }
        let files = TLSFileSet()
        defer { files.discard() }
        try files.makeDirectory(request.directory)
        let sslLock = try FileLock(for: keyPath)
        try refuseExisting([keyPath, certificatePath], force: request.force)  // again, under the lock
        for path in [keyPath, certificatePath] + (configuration.map { [$0.path] } ?? []) {
            AtomicFile.removeStaleTemporaryFiles(for: path)
        }
        let owner = netdataOwner()
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

        let ownerName = keyStage.ownerApplied ? (owner.name ?? FileSystem.userName(owner.uid)) : FileSystem.userName(geteuid())
        var warning: String?
        if !keyStage.ownerApplied, let wanted = owner.name {
            warning = "\(keyPath) is owned by \(ownerName), not \(wanted) (only root can give files away); Netdata running as \(wanted) cannot read it: sudo chown \(wanted): \(keyPath) \(certificatePath)"
        }
        return Outcome(generated: generated, ownerName: ownerName, ownerWarning: warning,
                       netdataConf: configuration.map { ($0.path, $0.edit) })
    }

    static func refuseExisting(_ paths: [String], force: Bool) throws {
        let existing = paths.filter { FileAccess.exists($0) }
        guard !existing.isEmpty, !force else { return }
        throw StreamConfigError.refused(
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
                throw StreamConfigError.cannotWrite("\(path): exists and is not a directory", hint: "choose another --dir")
            }
            if access(path, W_OK | X_OK) != 0 {
                let what = path == directory ? "" : " (to create \(directory))"
                throw StreamConfigError.cannotWrite("\(path): cannot write to the directory\(what): \(FileAccess.describe(errno: errno))",
                                                    hint: "run with sudo, or choose a --dir you can write")
            }
        }
    }

    /// User `netdata` (and its group) when it exists, else whoever runs the command.
    static func netdataOwner() -> (uid: uid_t, gid: gid_t, name: String?) {
        if let user = getpwnam("netdata") { return (user.pointee.pw_uid, user.pointee.pw_gid, "netdata") }
        return (geteuid(), getegid(), nil)
    }
}
