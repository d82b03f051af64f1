import NIOCore
import Synchronization

/// The relay's open child connections: their channels (closed at the end of a drain) and the
/// slot each holds (`SlotTable`), behind one lock. Every open connection is in exactly one
/// budget; `leave` on close frees it.
final class ConnectionSlots: Sendable {
    enum Arrival {
        case pending
        /// The oldest pending connection lost its slot to this one: close it.
        case pendingEvicting(Channel)
        /// Too many pending connections from this source: close this one at once.
        case refusedSource(String)
    }

    private struct State {
        var table: SlotTable<ObjectIdentifier>
        var channels: [ObjectIdentifier: Channel] = [:]
        /// Called once, when the last connection leaves (`whenEmpty`).
        var onEmpty: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>
    private let metrics: RelayMetrics
    let limits: SlotTable<ObjectIdentifier>.Limits

    init(limits: SlotTable<ObjectIdentifier>.Limits, metrics: RelayMetrics) {
        self.limits = limits
        self.metrics = metrics
        state = Mutex(State(table: SlotTable(limits: limits)))
    }

    func arrive(_ channel: Channel) -> Arrival {
        let id = ObjectIdentifier(channel)
        let source = SourceAddress.key(channel.remoteAddress)
        let (arrival, pending) = state.withLock { state -> (Arrival, Int) in
            let arrival: Arrival
            switch state.table.arrive(id, source: source) {
            case .refusedSource:
                arrival = .refusedSource(source)
            case .pending:
                state.channels[id] = channel
                arrival = .pending
            case .pendingEvicting(let old):
                state.channels[id] = channel
                arrival = state.channels[old].map { .pendingEvicting($0) } ?? .pending
            }
            return (arrival, state.table.pendingCount)
        }
        metrics.setPendingHandshakes(pending)
        return arrival
    }

    /// Moves the channel to the admitted budget; false when `maxAdmitted` connections are
    /// admitted already.
    func admit(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let (admitted, pending) = state.withLock { state in (state.table.admit(id), state.table.pendingCount) }
        metrics.setPendingHandshakes(pending)
        return admitted
    }

    func leave(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        let (pending, emptied) = state.withLock { state -> (Int, (@Sendable () -> Void)?) in
            state.table.leave(id)
            state.channels.removeValue(forKey: id)
            var emptied: (@Sendable () -> Void)?
            if state.channels.isEmpty { swap(&emptied, &state.onEmpty) }
            return (state.table.pendingCount, emptied)
        }
        metrics.setPendingHandshakes(pending)
        emptied?()
    }

    /// Calls `body` once, when no connection is open (at once if none is). The drain waits on
    /// this instead of polling.
    func whenEmpty(_ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.channels.isEmpty { return true }
            state.onEmpty = body
            return false
        }
        if now { body() }
    }

    var count: Int { state.withLock { $0.channels.count } }
    var pendingCount: Int { state.withLock { $0.table.pendingCount } }
    var admittedCount: Int { state.withLock { $0.table.admittedCount } }
    var channels: [Channel] { state.withLock { Array($0.channels.values) } }
}

/// Says a recurring event at most once per `interval`, with how many were not said since.
/// Used where an attacker decides how often the event happens (refused floods, `accept`
/// failures), so the log stays readable and cheap.
final class ThrottledNotice: Sendable {
    private struct State {
        var nextAllowed: NIODeadline = .uptimeNanoseconds(0)
        var suppressed = 0
    }

    private let interval: TimeAmount
    private let state = Mutex(State())

    init(interval: TimeAmount = .seconds(1)) {
        self.interval = interval
    }

    /// nil while throttled; otherwise the number of events not said since the last one.
    func shouldSay(now: NIODeadline) -> Int? {
        state.withLock { state in
            guard now >= state.nextAllowed else {
                state.suppressed += 1
                return nil
            }
            defer {
                state.suppressed = 0
                state.nextAllowed = now + interval
            }
            return state.suppressed
        }
    }
}
