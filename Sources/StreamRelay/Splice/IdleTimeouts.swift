import NIOCore

/// Something `IdleTimeouts` watches: a spliced connection.
protocol IdleWatched: AnyObject {
    /// When it last moved bytes.
    var lastActivity: NIODeadline { get }
    /// Its place in the wheel while watched (kept for `IdleTimeouts.unwatch`).
    var idleHandle: TimerWheel<any IdleWatched>.Handle? { get set }
    /// It has moved nothing for the whole timeout: close it.
    func idleTimedOut()
}

/// The idle timeouts of the spliced connections on one event loop: one `TimerWheel` and one
/// repeating tick for all of them, instead of an `IdleStateHandler` in every child's pipeline
/// (a handler and its context, a scheduled task re-armed at every expiry, and a promise and a
/// callback per write). A connection only records when it last moved bytes
/// (`IdleWatched.lastActivity`); the wheel holds one deadline per connection and, when that
/// comes, the connection either closes (nothing moved since) or goes back in for the rest of
/// its time.
///
/// Used only on its event loop (`RelayContext.idleTimeouts(on:)` hands out one per loop).
final class IdleTimeouts {
    let timeout: TimeAmount
    private let loop: EventLoop
    private var wheel: TimerWheel<any IdleWatched>
    private var ticking: RepeatedTask?

    /// At most a second and at most 1/64 of the timeout: a connection closes about one tick
    /// after its timeout at most (900 s by default: within a second of it), never before.
    static func tick(for timeout: TimeAmount) -> TimeAmount {
        .nanoseconds(max(1_000_000, min(1_000_000_000, timeout.nanoseconds / 64)))
    }

    init(timeout: TimeAmount, loop: EventLoop) {
        precondition(timeout > .zero)
        self.timeout = timeout
        self.loop = loop
        let tick = Self.tick(for: timeout)
        // One turn of the wheel covers the timeout, so most deadlines are met on their first visit.
        let buckets = Int(min(4096, timeout.nanoseconds / tick.nanoseconds + 2))
        wheel = TimerWheel(tick: tick, buckets: buckets, start: loop.now)
    }

    /// Connections watched.
    var count: Int { wheel.count }

    /// Watches `watched` from its `lastActivity` on. The tick runs only while something is watched.
    func watch(_ watched: any IdleWatched) {
        loop.assertInEventLoop()
        watched.idleHandle = wheel.insert(watched, deadline: watched.lastActivity + timeout)
        if ticking == nil {
            let tick = wheel.tickAmount
            let loopBound = NIOLoopBound(self, eventLoop: loop)
            let now = loop.now
            // In step with the wheel's ticks, so a deadline is seen as soon as its tick ends.
            ticking = loop.scheduleRepeatedTask(initialDelay: wheel.nextTickEnd(after: now) - now, delay: tick) { _ in
                loopBound.value.advance()
            }
        }
    }

    func unwatch(_ watched: any IdleWatched) {
        loop.assertInEventLoop()
        if let handle = watched.idleHandle { wheel.remove(handle) }
        watched.idleHandle = nil
    }

    /// One tick: closes what moved nothing for the whole timeout, puts the rest back.
    private func advance() {
        let now = loop.now
        for watched in wheel.expire(now: now) {
            watched.idleHandle = nil
            let deadline = watched.lastActivity + timeout
            if deadline > now {
                watched.idleHandle = wheel.insert(watched, deadline: deadline)
            } else {
                watched.idleTimedOut()
            }
        }
        if wheel.isEmpty {
            ticking?.cancel()
            ticking = nil
        }
    }
}
