// Blocking POSIX socket helpers for the benchmark's synthetic children and sink (loopback only).
#if canImport(Glibc)
import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func errnoText() -> String { String(cString: strerror(errno)) }

enum Socket {
    /// A listening socket on 127.0.0.1; returns (fd, port).
    static func listen(port: Int = 0, backlog: Int32 = 4096) throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errnoText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BenchError("bind 127.0.0.1:\(port): \(errnoText())") }
        guard Glibc.listen(fd, backlog) == 0 else { throw BenchError("listen: \(errnoText())") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A blocking connection to 127.0.0.1:port with TCP_NODELAY and a receive timeout.
    static func connect(port: Int, receiveTimeoutSeconds: Int = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errnoText())") }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let text = errnoText()
            close(fd)
            throw BenchError("connect 127.0.0.1:\(port): \(text)")
        }
        setNoDelay(fd)
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Writes all of `bytes` (blocking socket); false when the peer went away.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Reads until `isComplete` holds for what was read (blocking, bounded by the receive
    /// timeout and by `limit` bytes).
    static func read(_ fd: Int32, limit: Int = 8192, until isComplete: ([UInt8]) -> Bool) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while !isComplete(received) {
            guard received.count < limit else { throw BenchError("answer over \(limit) bytes") }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw BenchError("recv: \(errnoText())") }
            if n == 0 { throw BenchError("closed after \(received.count) bytes: \(String(decoding: received, as: UTF8.self))") }
            received += chunk[0..<n]
        }
        return received
    }
}

/// RLIMIT_NOFILE's soft limit raised to the hard one; returns the limit in force.
func raiseDescriptorLimit() -> Int {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Where `needle` first starts in `haystack`. A plain loop: the standard library's generic
/// `firstRange(of:)` took 67 µs on a 1.4 KB request (measured), which made the single-threaded
/// sink a bottleneck of the handshake phase; this takes about 1 µs.
func findBytes(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    haystack.withUnsafeBufferPointer { haystack in
        needle.withUnsafeBufferPointer { needle in
            guard let first = needle.first, haystack.count >= needle.count else { return nil }
            var index = 0
            while index <= haystack.count - needle.count {
                if haystack[index] == first {
                    var matched = 1
                    while matched < needle.count && haystack[index + matched] == needle[matched] { matched += 1 }
                    if matched == needle.count { return index }
                }
                index += 1
            }
            return nil
        }
    }
}
