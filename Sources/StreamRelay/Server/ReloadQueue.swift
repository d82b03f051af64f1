import Dispatch
import Synchronization

/// Runs `reload` on its own queue; requests made while one runs become a single rerun.
final class ReloadQueue: Sendable {
    private let queue = DispatchQueue(label: "stream-config.relay.reload")
    private let reload: @Sendable () -> Void
    /// 0 idle, 1 running, 2 running with another request waiting.
    private let state = Atomic<Int>(0)

    init(_ reload: @escaping @Sendable () -> Void) {
        self.reload = reload
    }

    func request() {
        while true {
            let current = state.load(ordering: .acquiring)
            if current == 2 { return }
            if state.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged {
                if current == 0 { queue.async { self.run() } }
                return
            }
        }
    }

    private func run() {
        repeat {
            reload()
        } while state.subtract(1, ordering: .acquiringAndReleasing).newValue > 0
    }
}
