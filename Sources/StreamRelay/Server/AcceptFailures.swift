import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the listeners do when `accept` fails (most often EMFILE/ENFILE: no descriptor left).
///
/// Hand-written because NIO has no answer for it: its `ServerSocketChannel` keeps the listener
/// registered for reading after a failed `accept`, and the connection that could not be
/// accepted stays in the kernel's queue, so epoll reports it again at once and the relay spins
/// a core (NIO's `AcceptBackoffHandler` only delays reads the pipeline asks for, and none is
/// asked for here). So the relay makes its listening sockets itself (`ListeningSocket`), and on
/// such a failure frees a descriptor kept in reserve, accepts and closes what waits in the
/// queue (those peers see their connection closed, as from a full server, and retry), then
/// takes the reserve again: the listener is quiet until the next connection arrives, and the
/// CPU spent follows the rate of new connections instead of spinning. NIO's
/// `AcceptBackoffHandler` then delays the next `accept`; its callback is where the failure is
/// counted (`accept_errors_total`, and each closed connection in
/// `refusals_total{reason="noDescriptor"}`) and logged, at most once a second.
enum AcceptFailures {
    /// How long the listener waits after a failed `accept`.
    static let backoff: TimeAmount = .milliseconds(100)

    /// `eventLoop`: the listener's (its clock throttles the log lines).
    static func backoffHandler(listener: CInt, eventLoop: any EventLoop, metrics: RelayMetrics, notice: ThrottledNotice, logger: Logger,
                               name: String = "children") -> AcceptBackoffHandler {
        AcceptBackoffHandler(shouldForwardIOErrorCaught: false) { error in
            metrics.acceptFailed()
            var closed = 0
            if error.errnoCode == EMFILE || error.errnoCode == ENFILE {
                closed = DescriptorReserve.shared.shed(listener: listener)
                for _ in 0..<closed { metrics.refused(reason: "noDescriptor") }
            }
            if let unsaid = notice.shouldSay(now: eventLoop.now) {
                logger.error("cannot accept connections (\(name)): \(describe(error))\(closed > 0 ? "; closed \(closed) waiting connection(s)" : "")\(unsaid > 0 ? " (\(unsaid) more failures since the last line)" : "")")
            }
            return backoff
        }
    }

    static func describe(_ error: IOError) -> String {
        switch error.errnoCode {
        case EMFILE: return "no file descriptor left in the relay (EMFILE): raise LimitNOFILE / ulimit -n, or lower --max-connections and --max-handshakes"
        case ENFILE: return "no file descriptor left on the system (ENFILE)"
        default: return "\(error)"
        }
    }
}

/// One descriptor held open (on /dev/null) so that a listener out of descriptors can still
/// take the connections waiting in its queue off it (`AcceptFailures`).
final class DescriptorReserve: Sendable {
    /// Take it before the first listener opens (`RelayServer.start`, `MetricsServer.start`):
    /// made lazily at the first failure, it would find no descriptor to hold.
    static let shared = DescriptorReserve()

    /// True while a descriptor is held in reserve.
    var isHeld: Bool { spare.withLock { $0 >= 0 } }

    private let spare: Mutex<CInt>

    init() {
        spare = Mutex(open("/dev/null", O_RDONLY | O_CLOEXEC))
    }

    /// Accepts and closes what waits on `listener` (at most `limit`), using the reserve;
    /// returns how many. Another thread may take the freed descriptor first: then nothing is
    /// shed this time, and the reserve is taken again as soon as a descriptor is free.
    func shed(listener: CInt, limit: Int = 4096) -> Int {
        spare.withLock { spare in
            if spare >= 0 { close(spare) }
            var closed = 0
            while closed < limit {
                // The listener is non-blocking (NIO made it so): an empty queue answers EAGAIN.
                let fd = accept(listener, nil, nil)
                if fd < 0 {
                    if errno == EINTR { continue }
                    break
                }
                close(fd)
                closed += 1
            }
            spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
            return closed
        }
    }
}

/// A listening TCP socket made here rather than by `ServerBootstrap.bind`, so its descriptor is
/// known to `AcceptFailures` (NIO takes it over with `withBoundSocket` and calls `listen`).
enum ListeningSocket {
    static func make(host: String, port: Int) throws -> (fd: CInt, address: SocketAddress) {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: CInt
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        default: throw IOError(errnoCode: EAFNOSUPPORT, reason: "listen on \(host)")
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        let rc = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "bind")
        }
        return (fd, address)
    }
}

/// Sent through a connection's pipeline when the drain period is over and the relay closes it,
/// so its log says the relay cut it, not that a side closed.
struct RelayDrainEnded: Sendable {
    static let reason = "the relay stopped (drain period over)"
}
