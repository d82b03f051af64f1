// Loopback ports for labs and relays that nothing listens on.

import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Free ports

enum FreePort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port in 20000..<32000 (below Linux's ephemeral range, so outgoing connections never
    /// take it) that nothing listens on and that this process has not handed out before.
    static func pick(address: String = "127.0.0.1") throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20000..<32000)
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh && isFree(port, address: address) { return port }
        }
        throw LabError("no free port found on \(address)")
    }

    /// True if a listening socket could bind `address:port` now (SO_REUSEADDR, like netdata,
    /// so TIME_WAIT leftovers of a previous run on the same port do not count).
    static func isFree(_ port: Int, address: String = "127.0.0.1") -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sa = sockaddr_in()
        #if canImport(Darwin)
        sa.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port)).bigEndian
        guard inet_pton(AF_INET, address, &sa.sin_addr) == 1 else { return false }
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }
}
