import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// `fleet check` and `fleet render` on disk: the fleet file and each host's collected files
/// read through the checked reader (regular files only, size cap), and the rendered fleet written
/// atomically with its key store (0600). Printing is the caller's.
public enum FleetRun {
    /// The fleet in `path`, with every host's files.
    public static func load(_ path: String) throws -> Fleet {
        let read: FleetLoader.ReadFile = { file in
            guard FileAccess.exists(file) else { return nil }
            return try FileAccess.read(file).bytes
        }
        var fleet = FleetLoader.load(fleetPath: path, bytes: try FileAccess.read(path).bytes, readFile: read)
        FleetTLSFiles.attach(&fleet, read: read)
        return fleet
    }

    public struct HostChange: Encodable, Sendable {
        public var host: String
        public var changed: Bool
        public var files: [String]
    }

    public struct Rendered: Sendable {
        public var changes: [HostChange]
        public var hostCount: Int
        /// New keys were made (and, unless checking, kept in `keyPath`).
        public var keysChanged: Bool
        public var keyPath: String
    }

    /// Renders `fleetFile` into `out` (`check`: compares only). `keys`: the key store (default:
    /// the fleet file's name with `.keys`); `stock`: Netdata's stock stream.conf, when there is one.
    public static func render(fleetFile: String, out: String, keys: String?, check: Bool, stock stockPath: String) throws -> Rendered {
        let fleet = try load(fleetFile)
        if let first = fleet.loadFindings.first(where: { $0.code == "FL001" }) {
            throw StreamConfigError.refused("\(first.file):\(first.line):\(first.column): \(first.message)", hint: first.hint)
        }
        let keyPath = keys ?? keyStorePath(fleetFile)
        var store = FleetKeyStore()
        if FileAccess.exists(keyPath) {
            do { store = try FleetKeyStore(text: String(decoding: try FileAccess.read(keyPath).bytes, as: UTF8.self)) }
            catch let error as FleetRenderError { throw StreamConfigError.refused("\(keyPath): \(error)") }
        }
        do {
            let stock = FileAccess.exists(stockPath) ? Document(bytes: try FileAccess.read(stockPath).bytes) : nil
            let rendered = try FleetRenderer.render(fleet, keys: &store, stock: stock)
            var changes: [HostChange] = []
            var writes: [(path: String, bytes: [UInt8])] = []
            func compare(_ path: String, _ bytes: [UInt8]) throws -> Bool {
                guard (FileAccess.exists(path) ? try FileAccess.read(path).bytes : nil) != bytes else { return false }
                writes.append((path, bytes))
                return true
            }
            for host in rendered {
                let files = [("stream.conf", host.streamConf.render())] + (host.netdataConf.map { [("netdata.conf", $0.render())] } ?? [])
                let changed = try files.map { ("\(out)/hosts/\(host.name)/\($0.0)", $0.1) }.filter { try compare($0.0, $0.1) }.map(\.0)
                changes.append(HostChange(host: host.name, changed: !changed.isEmpty, files: changed))
            }
            _ = try compare("\(out)/fleet.yaml", Array(FleetRenderer.fleetFile(fleet).utf8))
            if !check {
                for write in writes {
                    try FileSystem.makeDirectories(AtomicFile.directory(of: write.path))
                    try AtomicFile.write(write.bytes, to: write.path)
                }
                if store.changed {
                    try AtomicFile.write(Array(store.text.utf8), to: keyPath, ownership: AtomicFile.Ownership(uid: geteuid(), gid: getegid(), mode: 0o600))
                }
            }
            return Rendered(changes: changes, hostCount: rendered.count, keysChanged: store.changed, keyPath: keyPath)
        } catch let error as FleetRenderError {
            throw StreamConfigError.refused(error.description)
        }
    }

    public static func keyStorePath(_ fleetPath: String) -> String {
        for suffix in [".yaml", ".yml"] where fleetPath.hasSuffix(suffix) { return String(fleetPath.dropLast(suffix.count)) + ".keys" }
        return fleetPath + ".keys"
    }
}
