import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import StreamConfig

/// `stream-config relay` from parsed options to a running `ServiceGroup`: loads and lints the
/// configuration, starts logging, loads the certificate, opens the listeners and the metrics
/// port, and runs until SIGTERM/SIGINT (SIGHUP reloads). What touches files or the terminal is
/// the caller's (`Host`), so the executable stays the only place that knows exit statuses.
public enum RelayLaunch {
    /// A certificate and key ready to serve, described for the log.
    public struct Certificate: Sendable {
        public var context: NIOSSLContext
        public var summary: String
        public var warning: String?

        public init(context: NIOSSLContext, summary: String, warning: String?) {
            self.context = context
            self.summary = summary
            self.warning = warning
        }
    }

    /// What the caller provides.
    public struct Host: Sendable {
        /// Reads a file: its bytes and mode. Errors thrown here at start are passed through unchanged.
        public var read: @Sendable (String) throws -> (bytes: [UInt8], mode: UInt32?)
        /// Reads `--tls-certificate/--tls-key` and builds the context (`RelayServer.makeServerTLS`).
        public var loadCertificate: @Sendable (ServerTLSFiles) throws -> Certificate
        /// Findings in gcc format (empty when there are none).
        public var render: @Sendable (LintReport, Document) -> String
        /// Writes to standard error.
        public var printError: @Sendable (String) -> Void
        /// The open-file limit in force, and how many children fit in it (two descriptors each).
        public var descriptors: (limit: Int, children: Int)

        public init(read: @escaping @Sendable (String) throws -> (bytes: [UInt8], mode: UInt32?),
                    loadCertificate: @escaping @Sendable (ServerTLSFiles) throws -> Certificate,
                    render: @escaping @Sendable (LintReport, Document) -> String,
                    printError: @escaping @Sendable (String) -> Void, descriptors: (limit: Int, children: Int)) {
            self.read = read
            self.loadCertificate = loadCertificate
            self.render = render
            self.printError = printError
            self.descriptors = descriptors
        }
    }

    /// Why the relay did not start (the caller exits 1).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let hint: String?
        public var description: String { message }
    }

    /// Runs the relay until it is stopped by a signal. `settings` must have passed `validate`.
    public static func run(_ settings: RelaySettings, configurationPath path: String, target: NetdataTarget?, host: Host) async throws {
        let configuration = try load(path, target: target, host: host)
        let sink = RelayLogging.bootstrap(level: settings.level)
        let logger = Logger(label: "stream-config.relay")
        // On every way out, start-up failures included: the queued lines reach the journal.
        defer { finishLogging(logger, host: host) }
        logger.notice("stream-config relay \(StreamRelay.version): logging to \(sink)")
        announce(configuration, logger: logger, host: host)
        let (limit, fitting) = host.descriptors
        if fitting < settings.maxConnections {
            logger.warning("the open-file limit (\(limit)) leaves room for about \(fitting) children (two descriptors each), fewer than --max-connections \(settings.maxConnections): raise LimitNOFILE / ulimit -n")
        }
        let tlsFiles = settings.tlsFiles
        let serverTLS = try tlsFiles.map { files in
            do {
                let loaded = try host.loadCertificate(files)
                logger.notice("TLS certificate \(loaded.summary)")
                if let warning = loaded.warning { logger.warning("\(warning)") }
                return loaded.context
            } catch {
                throw Failure(message: "cannot load --tls-certificate/--tls-key: \(error)", hint: nil)
            }
        }
        // NIO's process-wide group (one loop per core), which ends with the process.
        let group = MultiThreadedEventLoopGroup.singleton
        let metrics = RelayMetrics()
        let options = RelayOptions(listen: settings.listenAddresses, tls: tlsFiles, limits: settings.limits)
        let server = RelayServer(configuration: configuration, options: options, serverTLS: serverTLS,
                                 logger: logger, metrics: metrics, group: group)
        // The service traps its signals before the port opens: a signal that comes once
        // children can connect finds the handlers.
        let relay = await RelayService.make(server: server, logger: logger) {
            reload(path, target: target, server: server, logger: logger, host: host)
            if let tlsFiles { reloadCertificate(tlsFiles, server: server, logger: logger, host: host) }
        }
        do {
            _ = try server.start()
        } catch {
            throw Failure(message: "\(error)", hint: "another process (or relay) is using it; choose another --listen address")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: relay, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let address = settings.metricsAddress {
            do {
                let metricsServer = try await MetricsServer.start(host: address.host, port: address.port, metrics: metrics, group: group)
                services.append(.init(service: MetricsService(server: metricsServer)))
            } catch {
                throw Failure(message: "cannot listen on \(address) for metrics: \(error)", hint: nil)
            }
        }
        var groupLogger = logger
        groupLogger.logLevel = .warning
        try await ServiceGroup(configuration: .init(services: services, logger: groupLogger)).run()
    }

    /// Reads and lints; lint errors are printed in gcc format on stderr.
    static func load(_ path: String, target: NetdataTarget?, host: Host) throws -> RelayConfiguration {
        let contents = try host.read(path)
        do {
            return try RelayConfiguration.load(bytes: contents.bytes, file: path, target: target, fileMode: contents.mode)
        } catch {
            let text = host.render(error.report, error.document)
            if !text.isEmpty { host.printError(text) }
            throw Failure(message: "\(error)", hint: "`stream-config lint \(path)` explains each finding")
        }
    }

    /// Warnings are printed (gcc format, stderr) and logged, but do not stop the relay.
    private static func announce(_ configuration: RelayConfiguration, logger: Logger, host: Host) {
        let text = host.render(configuration.report, configuration.document)
        if !text.isEmpty {
            RelayLogging.flush(timeout: 1)  // the lines logged so far come first on stderr
            host.printError(text)
        }
        logger.notice("configuration \(configuration.file): \(configuration.target.displayName) (\(configuration.report.targetReason)), \(configuration.report.warningCount) warning(s)")
        if let warning = configuration.tlsWarning { logger.warning("\(warning)") }
        logUnhonoured(configuration, logger: logger, prefix: "")
    }

    /// One warning per option the relay reads but does not honour (SC901), naming file and line.
    static func logUnhonoured(_ configuration: RelayConfiguration, logger: Logger, prefix: String) {
        for line in configuration.unhonoured { logger.warning("\(prefix)\(line)") }
    }

    /// Sends what the journal queue still holds (at most 2 s), then says on stderr too (the
    /// journal may be what failed) how many entries were lost.
    private static func finishLogging(_ logger: Logger, host: Host) {
        let flushed = RelayLogging.flush(timeout: 2)
        let dropped = RelayLogging.droppedJournalEntries
        guard dropped > 0 || !flushed else { return }
        let text = "\(dropped) journal entr\(dropped == 1 ? "y was" : "ies were") dropped (journald busy or gone)"
            + (flushed ? "" : "; entries still queued after 2 s are lost")
        logger.notice("\(text)")
        RelayLogging.flush(timeout: 1)
        host.printError("stream-config relay: \(text)\n")
    }

    /// SIGHUP: the certificate files are read again (a renewed certificate is served to children
    /// that connect from then on); files that cannot be used keep the running certificate.
    static func reloadCertificate(_ files: ServerTLSFiles, server: RelayServer, logger: Logger, host: Host) {
        do {
            let loaded = try host.loadCertificate(files)
            server.reloadTLS(loaded.context)
            logger.notice("SIGHUP: reloaded the TLS certificate \(loaded.summary)")
            if let warning = loaded.warning { logger.warning("\(warning)") }
        } catch {
            logger.error("SIGHUP: cannot load --tls-certificate/--tls-key (\(error)); keeping the running certificate")
        }
    }

    /// SIGHUP: read, lint, swap; on any error keep the running configuration and log why.
    static func reload(_ path: String, target chosen: NetdataTarget?, server: RelayServer, logger: Logger, host: Host) {
        let target = server.configuration.report.target
        let contents: (bytes: [UInt8], mode: UInt32?)
        do {
            contents = try host.read(path)
        } catch {
            logger.error("SIGHUP: cannot read \(path) (\(error)); keeping the running configuration")
            return
        }
        do {
            let configuration = try RelayConfiguration.load(bytes: contents.bytes, file: path, target: chosen, fileMode: contents.mode)
            server.reload(configuration)
            logger.notice("SIGHUP: reloaded \(path): \(configuration.target.displayName), \(configuration.report.warningCount) warning(s)")
            if configuration.target != target { logger.notice("SIGHUP: the target changed from \(target.displayName)") }
            if let warning = configuration.tlsWarning { logger.warning("\(warning)") }
            logUnhonoured(configuration, logger: logger, prefix: "SIGHUP: ")
        } catch {
            let findings = host.render(error.report, error.document)
                .split(separator: "\n").filter { $0.contains(": error: ") }.joined(separator: "; ")
            logger.error("SIGHUP: \(error); keeping the running configuration: \(findings)")
        }
    }
}
