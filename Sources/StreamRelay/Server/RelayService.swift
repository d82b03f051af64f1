import Logging
import ServiceLifecycle
import UnixSignals

/// The relay as a swift-service-lifecycle `Service`, for a `ServiceGroup`.
///
/// `run` serves until SIGTERM or SIGINT (or the group's graceful shutdown), then drains
/// (`RelayServer.shutdown`) and returns when the relay has stopped. SIGHUP calls `reload` on a
/// queue of its own, so a reload that takes long never delays a stop; SIGHUPs that come during
/// a reload become one more reload after it.
///
/// The relay traps its own signals rather than leaving them to the group, so that its log says
/// which signal stopped it. Make the service (`make`) before the listeners open: its signals
/// are trapped from then on, so a signal that comes once children can connect finds them.
public struct RelayService: Service {
    private let server: RelayServer
    private let logger: Logger
    private let signals: any AsyncSequence<UnixSignal, Never> & Sendable
    private let reload: @Sendable () -> Void

    public static func make(server: RelayServer, logger: Logger, reload: @escaping @Sendable () -> Void) async -> RelayService {
        RelayService(server: server, logger: logger, signals: await UnixSignalsSequence(trapping: .sighup, .sigterm, .sigint),
                     reload: reload)
    }

    /// `signals`: where SIGHUP, SIGTERM and SIGINT come from (tests give their own sequence).
    init(server: RelayServer, logger: Logger, signals: any AsyncSequence<UnixSignal, Never> & Sendable,
         reload: @escaping @Sendable () -> Void) {
        self.server = server
        self.logger = logger
        self.signals = signals
        self.reload = reload
    }

    public func run() async throws {
        let signals = self.signals
        let reloads = ReloadQueue(reload)
        let server = self.server
        let logger = self.logger
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await signal in signals {
                        if signal == .sighup {
                            reloads.request()
                        } else {
                            logger.notice("received \(signal == .sigint ? "SIGINT" : "SIGTERM"): stopping")
                            server.shutdown()
                        }
                    }
                }
                try? await server.stoppedFuture.get()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            server.shutdown()
        }
    }
}

/// Stops a `MetricsServer` when its group shuts down.
public struct MetricsService: Service {
    private let server: MetricsServer

    public init(server: MetricsServer) {
        self.server = server
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await server.stop()
    }
}
