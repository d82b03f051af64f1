#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A unix datagram socket bound in a fresh temp directory, standing in for journald's socket so
/// that tests can read exactly what `JournaldSocket` sends. Receives block for at most
/// `timeoutMilliseconds` (SO_RCVTIMEO), so a missing datagram fails the test instead of hanging it.
final class LoggingDatagramReceiver {
    let directory: String
    let path: String
    private let fd: Int32

    init(timeoutMilliseconds: Int = 5000) throws {
        var template = Array("/tmp/sc-logtest-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        directory = String(cString: made)
        path = directory + "/socket"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: (timeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
        rmdir(directory)
    }

    struct Datagram {
        var bytes: [UInt8]
        /// Descriptors passed with SCM_RIGHTS (the memfd path); the caller closes them.
        var descriptors: [Int32]
    }

    /// Next datagram, or nil on timeout.
    func receive(maxBytes: Int = 1 << 20) -> Datagram? {
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        let controlSize = 64
        let control = UnsafeMutableRawPointer.allocate(byteCount: controlSize, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: controlSize)
        let received: Int = buffer.withUnsafeMutableBytes { raw in
            var iov = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
            return withUnsafeMutablePointer(to: &iov) { iovPointer in
                var message = msghdr()
                message.msg_iov = iovPointer
                message.msg_iovlen = 1
                message.msg_control = control
                message.msg_controllen = controlSize
                let n = recvmsg(fd, &message, Int32(MSG_CMSG_CLOEXEC))
                return n >= 0 ? n : -1
            }
        }
        guard received >= 0 else { return nil }
        // One cmsghdr at most in these tests: header (16 bytes on 64-bit Linux) then the ints.
        let header = control.load(as: cmsghdr.self)
        var descriptors: [Int32] = []
        if header.cmsg_level == SOL_SOCKET && header.cmsg_type == Int32(SCM_RIGHTS) {
            let count = (Int(header.cmsg_len) - MemoryLayout<cmsghdr>.size) / MemoryLayout<Int32>.size
            for index in 0..<count {
                descriptors.append(control.load(fromByteOffset: MemoryLayout<cmsghdr>.size + index * 4, as: Int32.self))
            }
        }
        return Datagram(bytes: Array(buffer[..<received]), descriptors: descriptors)
    }
}

/// Reads a whole file descriptor from offset 0 (for the memfd of a large entry).
func loggingReadAll(fd: Int32) -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    var offset: off_t = 0
    while true {
        let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
        if n <= 0 { break }
        result += chunk[..<n]
        offset += off_t(n)
    }
    return result
}

/// The binary form's length prefix: 64-bit little endian.
func loggingLE64(_ value: Int) -> [UInt8] {
    (0..<8).map { UInt8((UInt64(value) >> (8 * UInt64($0))) & 0xFF) }
}
