import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// What the listeners do when `accept` fails (most often EMFILE/ENFILE: no descriptor left).
///
/// NIO's future-based `ServerBootstrap.bind(host:port:)` adds no back-off, so a listener
/// whose `accept` fails is readable again at once and spins a core. NIO's
/// `AcceptBackoffHandler` delays the next `accept`; its back-off callback is where the failure
/// is counted (`accept_errors_total`) and logged, at most once a second.
enum AcceptFailures {
    /// How long the listener waits after a failed `accept`: short enough that children get in
    /// soon after descriptors are free again, long enough not to spin.
    static let backoff: TimeAmount = .milliseconds(100)

    static func backoffHandler(metrics: RelayMetrics, notice: ThrottledNotice, logger: Logger,
                               listener: String = "children") -> AcceptBackoffHandler {
        AcceptBackoffHandler(shouldForwardIOErrorCaught: false) { error in
            metrics.acceptFailed()
            if let unsaid = notice.shouldSay() {
                logger.error("cannot accept connections (\(listener)): \(describe(error)); retrying every \(UpstreamConnector.seconds(backoff))\(unsaid > 0 ? " (\(unsaid) more failures since the last line)" : "")")
            }
            return backoff
        }
    }

    static func describe(_ error: IOError) -> String {
        switch error.errnoCode {
        case EMFILE: return "no file descriptor left in the relay (EMFILE): raise LimitNOFILE / ulimit -n, or lower --max-connections"
        case ENFILE: return "no file descriptor left on the system (ENFILE)"
        default: return "\(error)"
        }
    }
}

/// Sent through a connection's pipeline when the drain period is over and the relay closes it,
/// so its log says the relay cut it, not that a side closed.
struct RelayDrainEnded: Sendable {
    static let reason = "the relay stopped (drain period over)"
}
