import NIOCore

/// Who may hold a connection slot, as plain bookkeeping (no channels, no clock), so every rule
/// is tested on its own.
///
/// Two budgets, because they are spent by different people:
/// - *pending*: connections still in their handshake (accepted, first request not yet complete).
///   Anyone who can reach the port can spend these, so they are capped in total and per source
///   address, and when the total is full the oldest pending connection makes room for the
///   newest: a flood can slow a real child down but never lock it out, because a real child
///   completes its request within milliseconds of connecting.
/// - *admitted*: connections whose first request was complete (a STREAM request or a
///   `stream_info` pre-flight). Only these count against `--max-connections`, so children that
///   already stream never lose their place to sockets that say nothing.
struct SlotTable<ID: Hashable> {
    struct Limits: Equatable {
        var maxAdmitted: Int
        var maxPending: Int
        var maxPendingPerSource: Int
    }

    enum Arrival: Equatable {
        /// Holds a pending slot now.
        case pending
        /// Holds a pending slot now; `evicted`, the oldest pending connection, lost its slot and
        /// must be closed.
        case pendingEvicting(ID)
        /// Its source already holds `maxPendingPerSource` pending slots: close it at once.
        case refusedSource
    }

    let limits: Limits
    private var pending: [ID: (source: String, sequence: UInt64)] = [:]
    private var pendingBySource: [String: Int] = [:]
    /// Arrival order of pending connections; entries of connections that left or were admitted
    /// stay until they reach the front (or a compaction), and are recognised by their sequence.
    private var arrivals = CircularBuffer<(id: ID, sequence: UInt64)>()
    private var nextSequence: UInt64 = 0
    private(set) var admitted: Set<ID> = []

    init(limits: Limits) {
        precondition(limits.maxAdmitted > 0 && limits.maxPending > 0 && limits.maxPendingPerSource > 0)
        self.limits = limits
    }

    var pendingCount: Int { pending.count }
    var admittedCount: Int { admitted.count }
    func pendingCount(source: String) -> Int { pendingBySource[source] ?? 0 }
    func isPending(_ id: ID) -> Bool { pending[id] != nil }

    /// A connection was accepted from `source`.
    mutating func arrive(_ id: ID, source: String) -> Arrival {
        guard pendingCount(source: source) < limits.maxPendingPerSource else { return .refusedSource }
        var evicted: ID?
        if pending.count >= limits.maxPending { evicted = evictOldest() }
        nextSequence += 1
        pending[id] = (source, nextSequence)
        pendingBySource[source, default: 0] += 1
        arrivals.append((id, nextSequence))
        compactIfSparse()
        return evicted.map { .pendingEvicting($0) } ?? .pending
    }

    /// The connection's first request is complete: it moves to the admitted budget if there is
    /// room (true), otherwise it stays pending (false) and should be answered "too busy".
    mutating func admit(_ id: ID) -> Bool {
        if admitted.contains(id) { return true }
        guard admitted.count < limits.maxAdmitted else { return false }
        removePending(id)
        admitted.insert(id)
        return true
    }

    /// The connection closed (idempotent).
    mutating func leave(_ id: ID) {
        removePending(id)
        admitted.remove(id)
    }

    private mutating func removePending(_ id: ID) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        let left = (pendingBySource[entry.source] ?? 1) - 1
        pendingBySource[entry.source] = left > 0 ? left : nil
    }

    private mutating func evictOldest() -> ID? {
        while let oldest = arrivals.popFirst() {
            if pending[oldest.id]?.sequence == oldest.sequence {
                removePending(oldest.id)
                return oldest.id
            }
        }
        return nil
    }

    /// Keeps `arrivals` within a constant factor of the pending count however many connections
    /// come and go without an eviction.
    private mutating func compactIfSparse() {
        guard arrivals.count > 2 * pending.count + 64 else { return }
        var live = CircularBuffer<(id: ID, sequence: UInt64)>(initialCapacity: pending.count)
        for entry in arrivals where pending[entry.id]?.sequence == entry.sequence { live.append(entry) }
        arrivals = live
    }
}

/// The part of a peer's address that a per-source cap counts by: the IPv4 address, or the /64
/// of an IPv6 address (one host usually owns a whole /64). Unix sockets and unknown peers share
/// one source.
enum SourceAddress {
    static func key(_ address: SocketAddress?) -> String {
        switch address {
        case .v4:
            return address?.ipAddress ?? "?"
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0.prefix(8)) }
            if bytes.starts(with: [0, 0, 0, 0, 0, 0, 0, 0]) {
                // ::ffff:a.b.c.d and ::1 are single hosts: count the whole address.
                return address?.ipAddress ?? "?"
            }
            return bytes.map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "local"
        }
    }
}
