#if canImport(Glibc)
import Glibc
#endif

/// The file `edit` works on, found and refused the way Netdata's edit-config does it.
public struct EditTarget: Sendable {
    /// Relative to the user config directory: `stream.conf`, `go.d/nginx.conf`.
    public var name: String
    /// The user file (replaced on install; may not exist yet).
    public var path: String
    /// The stock copy, as shown to the user (`NAME:/usr/lib/netdata/conf.d/FILE` in a container).
    public var stockPath: String
    public var exists: Bool
    /// Set when the stock files come from a Netdata container (`--container`, or detected).
    public var container: NetdataContainer? = nil

    /// Only stream.conf is validated; every other file is edited as edit-config would.
    public var isStreamConf: Bool { name == "stream.conf" }

    /// `note` is told what was found on the way (a container, a link written through).
    public static func resolve(argument: String?, file: String?, directories: ConfigDirectories,
                               container containerName: String? = nil, note: (String) -> Void = { _ in }) throws -> EditTarget {
        if let argument, let file, argument != file {
            throw StreamConfigError.usage("give the file once: either FILE or --file", hint: "stream-config edit stream.conf")
        }
        let user = trimmedDirectory(directories.user)
        var name = file ?? argument ?? "stream.conf"
        if file != nil, name.hasPrefix("/") {
            name = try relativeToUserDirectory(name, user: user)
        }
        try checkName(name)

        guard isDirectory(user) else {
            throw StreamConfigError.cannotWrite("the user config directory \(user) does not exist",
                                        hint: "create it, or set NETDATA_USER_CONFIG_DIR to Netdata's configuration directory")
        }
        var path = "\(user)/\(name)"
        var stockPath = "\(trimmedDirectory(directories.stock))/\(name)"
        let exists = FileAccess.exists(path)
        var container: NetdataContainer? = nil
        var notes: [String] = []
        if let containerName {
            // An existing file is edited without asking the container; it only names the restart.
            container = exists ? try NetdataContainer.unverified(containerName) : try NetdataContainer.named(containerName)
        } else if !exists {
            // As edit-config: a user directory with `.container-hostname` is a container's mount.
            let detected = NetdataContainer.detect(userDirectory: user)
            if let found = detected.container {
                note("\(user)/.container-hostname: using the stock files of container '\(found.name)' (\(found.runtimeName))")
                container = found
            }
            notes = detected.notes
        }
        if let container, !exists { stockPath = container.stockLabel(name) }
        guard exists || container != nil || FileAccess.exists(stockPath) else {
            let why = notes.isEmpty ? "" : " (no container either: \(notes.joined(separator: "; ")))"
            throw StreamConfigError.noInput("File '\(name)' is not found in '\(trimmedDirectory(directories.stock))'\(why)",
                                    hint: "`stream-config edit --list` lists the stock files; NETDATA_STOCK_CONFIG_DIR sets the stock directory; "
                                        + "--container NAME takes them from a Netdata container")
        }
        // A symlinked config is edited where it points, so the install does not replace the link.
        path = try WriteTarget.resolve(path, configDirectory: user, explicit: file != nil, note: note)
        let directory = AtomicFile.directory(of: path)
        // `mkdir -p` of a subdirectory for a file such as `go.d/nginx.conf`, as edit-config 2.x does.
        if !isDirectory(directory) { try FileSystem.makeDirectories(directory, from: user, hint: "run with sudo, as for edit-config") }
        if access(directory, W_OK) != 0 {
            throw StreamConfigError.cannotWrite("Cannot write to directory \(directory) (\(FileAccess.describe(errno: errno)))",
                                        hint: "run with sudo, as for edit-config")
        }
        if exists, access(path, W_OK) != 0 {
            throw StreamConfigError.cannotWrite("Cannot write to \(path) (\(FileAccess.describe(errno: errno)))", hint: "run with sudo, as for edit-config")
        }
        return EditTarget(name: name, path: path, stockPath: stockPath, exists: exists, container: container)
    }

    /// The stock copy to start from, and for a container the owner and mode the new file gets.
    public struct StockStart: Sendable {
        public var bytes: [UInt8]
        /// nil: the native rules (0640, group netdata for stream.conf).
        public var ownership: AtomicFile.Ownership? = nil
        public var note: String? = nil
    }

    /// Read from the container when there is one. There, the new file gets mode 0640 and the
    /// container's netdata group (the host's netdata group means nothing inside it); when that
    /// group cannot be asked for, the stock file's owner and mode, as edit-config's `cp -a`.
    public func readStock() throws -> StockStart {
        guard let container, !exists else { return StockStart(bytes: try FileAccess.read(stockPath).bytes) }
        guard let copy = try container.stockFile(name) else {
            throw StreamConfigError.noInput("File '\(name)' is not found in '\(container.name):\(NetdataContainer.stockDirectory)'",
                                    hint: "`stream-config edit --list --container \(container.name)` lists the container's stock files")
        }
        let group = container.netdataGroup()
        if let gid = group.gid {
            return StockStart(bytes: copy.bytes, ownership: AtomicFile.Ownership(uid: geteuid(), gid: gid, mode: 0o640))
        }
        let mode = String(copy.ownership.mode, radix: 8)
        return StockStart(bytes: copy.bytes, ownership: copy.ownership,
                          note: "the netdata group of container '\(container.name)' is unknown (\(group.problem ?? "?")): "
                              + "\(path) gets the stock file's owner \(copy.ownership.uid):\(copy.ownership.gid) and mode \(mode), as edit-config would")
    }

    /// How to make Netdata read the installed file.
    public var restartCommand: String { container?.restartCommand ?? "sudo systemctl restart netdata" }

    /// edit-config's rules: no absolute names, no hidden files, no way out of the directory.
    public static func checkName(_ name: String) throws {
        if name.isEmpty || name.hasPrefix("/") || name.hasPrefix(".") || name.contains("..") {
            throw StreamConfigError.usage("refusing to edit '\(name)': the name must be relative to the config directory, must not start with '/' or '.', and must not contain '..'",
                                  hint: "e.g. stream-config edit stream.conf, or stream-config edit go.d/nginx.conf")
        }
    }

    /// `--file /etc/netdata/x.conf` is accepted only under the user config directory (as edit-config 2.x).
    private static func relativeToUserDirectory(_ file: String, user: String) throws -> String {
        for directory in [user, WriteTarget.realPath(user)].compactMap({ $0 }) where file.hasPrefix(directory + "/") {
            return String(file.dropFirst(directory.count + 1))
        }
        throw StreamConfigError.usage("refusing to edit \(file): it is not located under \(user)",
                              hint: "set NETDATA_USER_CONFIG_DIR, or give the name relative to it")
    }

    private static func trimmedDirectory(_ directory: String) -> String {
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        return directory
    }

    public static func isDirectory(_ path: String) -> Bool { FileSystem.isDirectory(path) }
}

/// `edit --list`: every file under the stock directory (or in the container), as paths
/// relative to it, sorted.
public enum StockListing {
    public struct Listing: Sendable {
        /// Set when the names come from a container.
        public var container: NetdataContainer?
        public var directory: String
        public var names: [String]
    }

    public static func list(_ directories: ConfigDirectories, container containerName: String?) throws -> Listing {
        var container = try containerName.map(NetdataContainer.named)
        if container == nil, !FileSystem.isDirectory(directories.stock) {
            container = NetdataContainer.detect(userDirectory: directories.user).container
        }
        if let container {
            return Listing(container: container, directory: NetdataContainer.stockDirectory, names: try container.stockFiles().sorted())
        }
        guard FileSystem.isDirectory(directories.stock) else {
            throw StreamConfigError.noInput("Unable to find stock config directory \(directories.stock)",
                                            hint: "set NETDATA_STOCK_CONFIG_DIR, or --container NAME for a Netdata container")
        }
        return Listing(container: nil, directory: directories.stock, names: files(in: directories.stock, prefix: "").sorted())
    }

    private static func files(in directory: String, prefix: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            if FileSystem.isDirectory("\(directory)/\(name)") {
                found += files(in: "\(directory)/\(name)", prefix: "\(prefix)\(name)/")
            } else {
                found.append(prefix + name)
            }
        }
        return found
    }
}
