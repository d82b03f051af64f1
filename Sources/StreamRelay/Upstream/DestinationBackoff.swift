import NIOCore
import Synchronization

/// Per-destination back-off shared by all connections: a destination that failed is skipped
/// until its postponement ends (as Netdata's `postpone_reconnection_until`), with the delay
/// doubling per consecutive failure up to a maximum. A success clears it. Times are the
/// caller's `eventLoop.now`.
final class DestinationBackoff: Sendable {
    private struct Entry {
        var failures = 0
        var until = NIODeadline.uptimeNanoseconds(0)
    }

    private let entries = Mutex<[String: Entry]>([:])
    let base: TimeAmount
    let maximum: TimeAmount
    /// Destinations not seen for this long are forgotten (keeps the table small).
    static let maxEntries = 1024

    init(base: TimeAmount, maximum: TimeAmount) {
        self.base = base
        self.maximum = maximum
    }

    /// When `destination` may be tried again (nil = now).
    func postponedUntil(_ destination: String, now: NIODeadline) -> NIODeadline? {
        entries.withLock { table in
            guard let entry = table[destination], entry.until > now else { return nil }
            return entry.until
        }
    }

    /// Records a failure; returns the delay now in force.
    @discardableResult
    func recordFailure(_ destination: String, now: NIODeadline) -> TimeAmount {
        entries.withLock { table in
            if table.count >= Self.maxEntries, table[destination] == nil {
                table = table.filter { $0.value.until > now }
            }
            var entry = table[destination] ?? Entry()
            entry.failures += 1
            let shift = min(entry.failures - 1, 20)
            let delay = TimeAmount.nanoseconds(min(base.nanoseconds << shift, maximum.nanoseconds))
            entry.until = now + delay
            table[destination] = entry
            return delay
        }
    }

    func recordSuccess(_ destination: String) {
        _ = entries.withLock { $0.removeValue(forKey: destination) }
    }
}
