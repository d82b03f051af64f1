import Foundation
import NIOSSL
import StreamRelay
@_exported import TestSupport

#if canImport(Glibc)
import Glibc
#endif

struct SocketError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking IPv4 loopback client that can choose its source address (any of 127.0.0.0/8),
/// so one test can play several hosts. Closed on deinit. Unchecked: a test hands it from one
/// thread to the next, never using it from two at once.
final class LoopbackSocket: @unchecked Sendable {
    private(set) var fd: Int32

    init(port: Int, from source: String? = nil, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = Self.address(source, port: 0)
            let rc = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else {
                let error = SocketError(description: "bind \(source): \(String(cString: strerror(errno)))")
                close()
                throw error
            }
        }
        var remote = Self.address("127.0.0.1", port: port)
        let rc = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            // close() marks it closed: a class whose init throws is still deinitialized, and a
            // second close(2) would hit whatever reused the number (a relay socket of this
            // same test process).
            let error = SocketError(description: "connect: \(String(cString: strerror(errno)))")
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes now (idempotent).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private static func address(_ ip: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        inet_pton(AF_INET, ip, &address.sin_addr)
        return address
    }

    func send(_ text: String) { sendBytes(Array(text.utf8)) }

    func sendBytes(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The close sends RST instead of FIN (SO_LINGER with a zero timeout).
    func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// The peer has not closed (a look without waiting: nothing to read is open, EOF is not).
    var isOpenAtPeer: Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    }

    /// One recv: nil on timeout or error, "" on EOF.
    func receiveOnce() -> String? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 8192, 0) }
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }
}

/// A server TLS context for tests, from a throwaway self-signed certificate made by openssl.
struct NIOSSLContextBox: Sendable {
    let context: NIOSSLContext

    static func selfSigned() throws -> NIOSSLContextBox {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem").path, certificate = directory.appendingPathComponent("cert.pem").path
        // system(3), not Foundation's Process: Process closes descriptors on a queue of its own
        // after the child ends, and such a late close was seen to hit a socket of the next test
        // that had reused the number (a relay connection closed before it became active).
        let command = "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
            + "-keyout '\(key)' -out '\(certificate)' -days 2 -subj /CN=relay-test >/dev/null 2>&1"
        let status = system(command)
        guard status == 0 else { throw SocketError(description: "openssl req failed (\(status))") }
        let context = try RelayServer.makeServerTLS(certificateChainPEM: Array(try Data(contentsOf: URL(fileURLWithPath: certificate))),
                                                    privateKeyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: key))))
        return NIOSSLContextBox(context: context)
    }
}
