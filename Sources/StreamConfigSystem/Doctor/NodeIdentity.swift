import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// The hostname and machine GUID a child sends, found as Netdata finds them.
public struct NodeIdentity: Sendable {
    public var hostname: String
    public var machineGUID: String
    /// Set when no GUID was found and a random one stands in.
    public var note: String?

    /// `hostname` or netdata.conf's [global] hostname or the system's; `machineGUID` or the
    /// registry's `netdata.public.unique.id` (under netdata.conf's directories) or a new one.
    public static func find(hostname: String?, machineGUID: String?, netdata: Ini?) -> NodeIdentity {
        var name = hostname ?? netdata?.section("global")?.value("hostname")
        if name == nil {
            var buffer = [CChar](repeating: 0, count: 256)
            gethostname(&buffer, buffer.count)
            name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let host = name ?? ""
        if let machineGUID { return NodeIdentity(hostname: host, machineGUID: machineGUID) }
        let lib = netdata?.section("directories")?.value("lib") ?? "/var/lib/netdata"
        let registry = netdata?.section("directories")?.value("registry") ?? "\(lib)/registry"
        let file = "\(registry)/netdata.public.unique.id"
        if let bytes = try? FileAccess.read(file).bytes {
            let guid = String(decoding: bytes, as: UTF8.self).trimmingBlanks.filter { !$0.isNewline }
            if UUIDSyntax.isUUID(guid) { return NodeIdentity(hostname: host, machineGUID: guid) }
        }
        let random = KeyGenerator.randomKey()
        return NodeIdentity(hostname: host, machineGUID: random,
                            note: "no machine GUID in \(file); probing as a new machine \(random) (pass --machine-guid to use the child's)")
    }
}
