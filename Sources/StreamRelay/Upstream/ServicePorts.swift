import StreamConfig

#if canImport(Glibc)
import Glibc
#endif

/// The service names (`/etc/services`, e.g. `destination = parent:netdata`) that a configuration's
/// destinations use as ports, resolved once when the configuration is built: on the thread that
/// loads it, never on an event loop, and with the reentrant `getservbyname_r` (no lock).
public struct ServicePorts: Sendable, Equatable {
    private(set) var ports: [String: Int] = [:]

    public init() {}

    init(ports: [String: Int]) {
        self.ports = ports
    }

    /// Every port name in the values of options that name destinations (`destination`,
    /// `proxy destination`, `default proxy destination`), resolved.
    static func resolving(_ ini: Ini, lookup: (String) -> Int? = ServicePorts.lookUp) -> ServicePorts {
        var names = Set<String>()
        for section in ini.sections {
            for option in section.options where option.key.hasSuffix("destination") {
                for target in [NetdataTarget.v2, .v1_37] {
                    for destination in DestinationList.parse(option.value, target: target, isStreamDestination: true) {
                        if let port = destination.port, !port.isEmpty, !Self.isDigits(port) { names.insert(port) }
                    }
                }
            }
        }
        var ports: [String: Int] = [:]
        for name in names {
            if let port = lookup(name) { ports[name] = port }
        }
        return ServicePorts(ports: ports)
    }

    /// A port number, a resolved service name, or `defaultPort` when the destination names none;
    /// nil when it cannot be used.
    func port(_ text: String?, default defaultPort: Int) -> Int? {
        guard let text, !text.isEmpty else { return defaultPort }
        if Self.isDigits(text) {
            guard let value = Int(text), (1...65535).contains(value) else { return nil }
            return value
        }
        return ports[text]
    }

    private static func isDigits(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// `getservbyname_r(name, "tcp")`.
    static func lookUp(_ name: String) -> Int? {
        var entry = servent()
        var result: UnsafeMutablePointer<servent>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = getservbyname_r(name, "tcp", &entry, &buffer, buffer.count, &result)
        guard status == 0, let result else { return nil }
        let port = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: result.pointee.s_port)))
        return (1...65535).contains(port) ? port : nil
    }
}
