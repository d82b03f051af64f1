import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGHUP (reload) and SIGTERM/SIGINT (stop), delivered on a serial queue instead of in a
/// signal handler. Keep the watcher alive for as long as the signals should be handled.
public final class SignalWatcher {
    private let sources: [DispatchSourceSignal]

    public init(onHangup: @escaping @Sendable () -> Void, onTerminate: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "stream-config.relay.signals")
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGHUP, SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            if signalNumber == SIGHUP {
                source.setEventHandler { onHangup() }
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
