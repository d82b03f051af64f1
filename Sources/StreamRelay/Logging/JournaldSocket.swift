#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Why a `JournaldSocket` could not be created.
public enum JournaldSocketError: Error, Equatable, CustomStringConvertible {
    /// `sockaddr_un.sun_path` holds at most 107 bytes plus the terminating NUL.
    case pathTooLong(String)
    /// `socket(2)` failed (errno).
    case socketFailed(Int32)

    public var description: String {
        switch self {
        case .pathTooLong(let path): return "journal socket path too long: \(path)"
        case .socketFailed(let errnoValue): return "socket(AF_UNIX, SOCK_DGRAM) failed: \(JournaldSocket.errorText(errnoValue))"
        }
    }
}

/// Sends finished journal entries to journald's native socket (e.g.
/// `/run/systemd/journal.netdata/socket`) as datagrams, the way `sd_journal_sendv` and
/// Netdata 2.x do (protocol.md §6.2).
///
/// * One unconnected `AF_UNIX`/`SOCK_DGRAM` socket per process, addressed with `sendto` on every
///   entry. Unconnected on purpose: if journald restarts and re-creates its socket, the next send
///   reaches the new one; a connected socket would keep failing with `ECONNREFUSED`.
/// * Thread-safe without a lock: the descriptor and the address never change after `init`, and
///   the kernel delivers each datagram whole, so concurrent senders cannot interleave.
/// * Never blocks: every send uses `MSG_DONTWAIT`. When journald is slow (its queue is full:
///   `EAGAIN`) or gone (`ENOENT`/`ECONNREFUSED`), the entry is dropped and counted. Logging must
///   not stall an event loop that is relaying metrics. The queue is short: the kernel allows
///   `net.unix.max_dgram_qlen` (default 10) datagrams in flight, so a tight burst of hundreds of
///   entries loses most of them (measured here: of 1000 entries sent within 7 ms, 866 were
///   dropped; with 0.5 ms between entries, none). The next entry that gets through carries
///   `STREAM_CONFIG_DROPPED_BEFORE=<n>`, so the loss shows in the journal itself.
/// * An entry too big for one datagram (`EMSGSIZE`; the limit is the socket send buffer, about
///   208 KiB by default) is written to a sealed memfd that is passed with `SCM_RIGHTS`, as
///   systemd's own client does. journald reads the entry from the memfd.
public final class JournaldSocket: Sendable {
    /// The socket path this instance sends to.
    public let path: String
    private let fd: Int32
    private let address: sockaddr_un
    private let sentEntries = Atomic<Int>(0)
    private let droppedEntries = Atomic<Int>(0)
    private let lastErrno = Atomic<Int32>(0)
    /// Drops not yet reported in the journal (see `send`).
    private let unreportedDrops = Atomic<Int>(0)

    /// - Parameter waitLimit: seconds a waiting send may wait for room (`SO_SNDTIMEO`).
    public init(path: String, waitLimit: Double = 1) throws(JournaldSocketError) {
        guard let address = Self.makeAddress(path) else { throw .pathTooLong(path) }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed(errno) }
        // Bounds the waiting sends only; the others pass MSG_DONTWAIT.
        var limit = timeval(tv_sec: Int(waitLimit), tv_usec: Int((waitLimit - waitLimit.rounded(.down)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        self.waitLimit = waitLimit
        self.path = path
        self.fd = fd
        self.address = address
    }

    deinit { close(fd) }

    /// Entries handed to journald since start.
    public var sentCount: Int { sentEntries.load(ordering: .relaxed) }
    /// Entries lost because journald was busy, absent or refused them.
    public var droppedCount: Int { droppedEntries.load(ordering: .relaxed) }
    /// errno of the most recent failed send (0 if none), for diagnostics.
    public var lastErrorNumber: Int32 { lastErrno.load(ordering: .relaxed) }

    /// How long a waiting send (`send(_:waiting: true)`) waits for room in journald's queue.
    public let waitLimit: Double

    /// Sends one encoded entry. Returns `false` (and counts a drop) when it could not be sent.
    ///
    /// `waiting`: wait up to `waitLimit` for room in journald's queue instead of failing at once
    /// (for `JournaldWriter`'s own thread; never on an event loop).
    @discardableResult
    public func send(_ entry: [UInt8], waiting: Bool = false) -> Bool {
        // Report earlier drops on this entry: one more text-form field at the end.
        let dropsToReport = unreportedDrops.exchange(0, ordering: .relaxed)
        var entry = entry
        if dropsToReport > 0 { entry += Array("STREAM_CONFIG_DROPPED_BEFORE=\(dropsToReport)\n".utf8) }

        var result = sendDatagram(entry, waiting: waiting)
        if result == EMSGSIZE || result == ENOBUFS {
            // Too large for a datagram (ENOBUFS: systemd's client treats it the same way).
            result = sendViaMemfd(entry, waiting: waiting)
        }
        if result == 0 {
            sentEntries.add(1, ordering: .relaxed)
            return true
        }
        droppedEntries.add(1, ordering: .relaxed)
        unreportedDrops.add(dropsToReport + 1, ordering: .relaxed)
        lastErrno.store(result, ordering: .relaxed)
        return false
    }

    /// Checks, without sending anything, that a receiver is bound to `path` and that we may write
    /// to it: `connect(2)` on a datagram socket fails with `ENOENT` for a missing path and with
    /// `ECONNREFUSED` for a stale socket file left by a stopped journald. A probe entry would
    /// otherwise end up in the journal.
    public static func probe(path: String) -> Bool {
        guard var address = makeAddress(path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return rc == 0
    }

    // MARK: - Sending

    /// Counts an entry lost before it reached this socket (a full `JournaldWriter` queue, which
    /// says so itself on the next entry it accepts).
    func recordDrop() {
        droppedEntries.add(1, ordering: .relaxed)
    }

    /// Returns 0 on success, else errno. Retries only on EINTR.
    private func sendDatagram(_ entry: [UInt8], waiting: Bool) -> Int32 {
        var address = self.address
        return withUnsafePointer(to: &address) { addressPointer in
            addressPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                entry.withUnsafeBytes { bytes in
                    while true {
                        let n = sendto(
                            fd, bytes.baseAddress, bytes.count, Int32(waiting ? MSG_NOSIGNAL : MSG_DONTWAIT | MSG_NOSIGNAL),
                            sa, socklen_t(MemoryLayout<sockaddr_un>.size))
                        if n >= 0 { return 0 }
                        if errno != EINTR { return errno }
                    }
                }
            }
        }
    }

    /// The large-entry path of the native protocol: write the entry to a memfd, seal it (journald
    /// then maps it instead of copying, and knows we cannot change it afterwards), and send only
    /// the descriptor in an `SCM_RIGHTS` control message with an empty payload.
    private func sendViaMemfd(_ entry: [UInt8], waiting: Bool) -> Int32 {
        guard let memfdCreate = Self.memfdCreate else { return ENOSYS }
        let memfd = memfdCreate("stream-config-journal", Self.mfdCloexec | Self.mfdAllowSealing)
        guard memfd >= 0 else { return errno }
        defer { close(memfd) }  // journald holds its own reference once the message is queued

        var written = 0
        let writeError: Int32 = entry.withUnsafeBytes { bytes in
            while written < bytes.count {
                let n = write(memfd, bytes.baseAddress! + written, bytes.count - written)
                if n > 0 { written += n } else if n < 0 && errno == EINTR { continue } else { return n < 0 ? errno : EIO }
            }
            return 0
        }
        guard writeError == 0 else { return writeError }
        guard fcntl(memfd, Self.fAddSeals, Self.fSealAll) == 0 else { return errno }

        // Control message: cmsghdr followed by one int. CMSG_SPACE/CMSG_LEN are C macros that
        // Swift cannot import, so compute them: the data starts after the header rounded up to
        // the alignment of size_t, and the buffer is rounded up the same way.
        let align = MemoryLayout<Int>.alignment
        let headerSize = (MemoryLayout<cmsghdr>.size + align - 1) & ~(align - 1)
        let space = (headerSize + MemoryLayout<Int32>.size + align - 1) & ~(align - 1)
        let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: align)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
        let header = control.bindMemory(to: cmsghdr.self, capacity: 1)
        header.pointee.cmsg_len = headerSize + MemoryLayout<Int32>.size
        header.pointee.cmsg_level = SOL_SOCKET
        header.pointee.cmsg_type = Int32(SCM_RIGHTS)
        (control + headerSize).storeBytes(of: memfd, as: Int32.self)

        var address = self.address
        return withUnsafeMutablePointer(to: &address) { addressPointer in
            var message = msghdr()
            message.msg_name = UnsafeMutableRawPointer(addressPointer)
            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_un>.size)
            message.msg_iov = nil
            message.msg_iovlen = 0
            message.msg_control = control
            message.msg_controllen = space
            while true {
                if sendmsg(fd, &message, Int32(waiting ? MSG_NOSIGNAL : MSG_DONTWAIT | MSG_NOSIGNAL)) >= 0 { return 0 }
                if errno != EINTR { return errno }
            }
        }
    }

    // MARK: - Platform details

    static func makeAddress(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)  // the rest stays zero, so the path is NUL-terminated
        }
        return address
    }

    static func errorText(_ errnoValue: Int32) -> String {
        guard let text = strerror(errnoValue) else { return "errno \(errnoValue)" }
        return "\(String(cString: text)) (errno \(errnoValue))"
    }

    // Glibc's module map does not export memfd_create (it needs _GNU_SOURCE) nor the sealing
    // constants from <linux/fcntl.h>, so look the function up at run time and spell the values
    // out. They are part of the Linux ABI and do not change.
    private typealias MemfdCreateFunction = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    private static let memfdCreate: MemfdCreateFunction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return nil }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: MemfdCreateFunction.self)
    }()
    private static let mfdCloexec: UInt32 = 0x0001
    private static let mfdAllowSealing: UInt32 = 0x0002
    private static let fAddSeals: Int32 = 1024 + 9  // F_LINUX_SPECIFIC_BASE + 9
    private static let fSealAll: Int32 = 0x0001 | 0x0002 | 0x0004 | 0x0008  // SEAL, SHRINK, GROW, WRITE
}
