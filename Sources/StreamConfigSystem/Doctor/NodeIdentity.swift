import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// The hostname and machine GUID a child sends, found as Netdata finds them.
public struct NodeIdentity: Sendable {
    public var hostname: String
    /// nil when the child's GUID is unknown: doctor then never sends a STREAM request, since
    /// the parent would register a node for any GUID it accepts (a made-up one stays there as
    /// a host that is never reachable).
    public var machineGUID: String?
    /// The file the GUID was (or would have been) read from.
    public var guidFile: String?
    /// Why the GUID is unknown (missing, unreadable, not a GUID), when it is.
    public var problem: String?

    /// `hostname` or netdata.conf's [global] hostname or the system's; `machineGUID` or the
    /// file Netdata keeps it in (`registryFile`).
    public static func find(hostname: String?, machineGUID: String?, netdata: Ini?) -> NodeIdentity {
        var name = hostname ?? netdata?.section("global")?.value("hostname")
        if name == nil {
            var buffer = [CChar](repeating: 0, count: 256)
            gethostname(&buffer, buffer.count)
            name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let host = name ?? ""
        if let machineGUID { return NodeIdentity(hostname: host, machineGUID: machineGUID) }
        let file = registryFile(netdata)
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(file).bytes
        } catch {
            let why = !FileAccess.exists(file) ? "\(file) does not exist"
                : access(file, R_OK) != 0 ? "\(file) cannot be read by this user" : "\(file) cannot be read"
            return NodeIdentity(hostname: host, machineGUID: nil, guidFile: file, problem: why)
        }
        let guid = String(decoding: bytes, as: UTF8.self).trimmingBlanks.filter { !$0.isNewline }
        guard UUIDSyntax.isUUID(guid) else {
            return NodeIdentity(hostname: host, machineGUID: nil, guidFile: file, problem: "\(file) does not hold a machine GUID")
        }
        return NodeIdentity(hostname: host, machineGUID: guid, guidFile: file)
    }

    /// Where Netdata keeps this node's machine GUID: `[registry] netdata unique id file`, else
    /// `netdata.public.unique.id` in `[directories] registry`, whose default is the `registry`
    /// directory under `[directories] lib` (`/var/lib/netdata`).
    public static func registryFile(_ netdata: Ini?) -> String {
        if let file = netdata?.section("registry")?.value("netdata unique id file"), !file.isEmpty { return file }
        let lib = netdata?.section("directories")?.value("lib") ?? "/var/lib/netdata"
        let registry = netdata?.section("directories")?.value("registry") ?? "\(lib)/registry"
        return "\(registry)/netdata.public.unique.id"
    }
}
