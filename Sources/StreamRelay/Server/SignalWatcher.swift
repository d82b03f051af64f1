import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGHUP (reload) and SIGTERM/SIGINT (stop), delivered on serial queues instead of in a
/// signal handler. Keep the watcher alive for as long as the signals should be handled.
///
/// A reload runs on a queue of its own, so one that takes long (a slow disk, a file that is
/// not what it should be) never delays SIGTERM/SIGINT. SIGHUPs that arrive during a reload are
/// folded into one more reload after it.
public final class SignalWatcher {
    private let sources: [DispatchSourceSignal]

    public init(onHangup: @escaping @Sendable () -> Void, onTerminate: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "stream-config.relay.signals")
        let reloads = ReloadQueue(onHangup)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGHUP, SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            if signalNumber == SIGHUP {
                source.setEventHandler { reloads.request() }
            } else {
                source.setEventHandler { onTerminate(signalNumber) }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    deinit {
        for source in sources { source.cancel() }
    }
}

/// Runs `reload` on its own queue; requests made while one runs become a single rerun.
private final class ReloadQueue: Sendable {
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
