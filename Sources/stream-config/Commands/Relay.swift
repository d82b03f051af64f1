import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import StreamConfig
import StreamConfigSystem
import StreamRelay

struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay Netdata streaming: admit children by stream.conf and forward them to real parents.",
        discussion: """
        Children connect to the relay as to a parent. Each STREAM request is admitted exactly as \
        a Netdata parent would admit it from the relay's stream.conf (API key, machine GUID, \
        allow from), then forwarded, with only `key` replaced, to the parent named by the proxy \
        settings (proxy destination / proxy api key / proxy enabled, machine section, then key \
        section, then [stream]). The parent's answer is relayed verbatim and the connection is \
        spliced. The file is linted first; errors prevent the start (and a reload).

        Signals: SIGHUP re-reads, lints and swaps the configuration (an invalid file keeps the \
        old one), and re-reads --tls-certificate/--tls-key (renewed files are served to children \
        that connect from then on; files that do not fit together keep the running certificate); \
        SIGTERM and SIGINT stop accepting, let connections drain, then exit 0.

        Exit status: 0 stopped by a signal; 1 the configuration has lint errors, the certificate \
        and key cannot be used, or a listener cannot be opened; 64 usage error; 66 the configuration cannot be read.
        """
    )

    @Option(help: ArgumentHelp("The relay's stream.conf (default: $NETDATA_USER_CONFIG_DIR/stream.conf, /etc/netdata/stream.conf).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("listen"), help: ArgumentHelp("Address for children, HOST:PORT or [IPv6]:PORT; repeatable.", valueName: "host:port"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("PEM certificate (chain) offered to children that start TLS (same port, detected by the first byte).", valueName: "file"))
    var tlsCertificate: String?

    @Option(help: ArgumentHelp("PEM private key for --tls-certificate.", valueName: "file"))
    var tlsKey: String?

    @Option(help: "Netdata line the stream.conf is written for: 1.37, 2 or auto (infer from the options used).")
    var target: TargetChoice = .auto

    @Option(help: ArgumentHelp("Serve Prometheus metrics on HOST:PORT (GET /metrics, /health).", valueName: "host:port"))
    var metricsListen: String?

    @Option(help: "Seconds a child has to send its first request.")
    var requestTimeout: Double = 30

    @Option(help: "Seconds for one TCP connect to a parent.")
    var connectTimeout: Double = 5

    @Option(help: "Seconds for all upstream attempts of one child (connects, back-offs, the parent's answer).")
    var upstreamTimeout: Double = 20

    @Option(help: "Seconds without traffic in either direction before a spliced connection is closed.")
    var idleTimeout: Double = 900

    @Option(help: "Seconds connections get to finish after SIGTERM/SIGINT.")
    var drainTimeout: Double = 10

    @Option(help: "Most children admitted at once (a complete STREAM request or stream_info); more are answered \"too busy\".")
    var maxConnections: Int = 4096

    @Option(help: "Most connections still sending their first request; when full, the oldest of them is closed.")
    var maxHandshakes: Int = 1024

    @Option(help: ArgumentHelp("Most connections still sending their first request from one address (IPv6: one /64); more are closed at once.", valueName: "n"))
    var maxHandshakesPerAddress: Int = 128

    @Option(help: ArgumentHelp("Milliseconds a child's next read waits after a small one, so many small sends are forwarded together (0: forward each at once).", valueName: "ms"))
    var coalesceMs: Double = 5

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if listen.isEmpty { throw ValidationError("give at least one --listen HOST:PORT") }
        for address in listen where ListenAddress(address) == nil {
            throw ValidationError("invalid --listen '\(address)': expected HOST:PORT or [IPv6]:PORT")
        }
        if (tlsCertificate == nil) != (tlsKey == nil) { throw ValidationError("--tls-certificate and --tls-key go together") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("invalid --log-level '\(logLevel)'") }
        for (name, value) in [("request", requestTimeout), ("connect", connectTimeout), ("upstream", upstreamTimeout),
                              ("idle", idleTimeout), ("drain", drainTimeout)] where !(value > 0 && value < 1e7) {
            throw ValidationError("--\(name)-timeout must be a positive number of seconds")
        }
        for (name, value) in [("max-connections", maxConnections), ("max-handshakes", maxHandshakes),
                              ("max-handshakes-per-address", maxHandshakesPerAddress)] where value < 1 {
            throw ValidationError("--\(name) must be at least 1")
        }
        if !(coalesceMs >= 0 && coalesceMs <= 1000) { throw ValidationError("--coalesce-ms must be between 0 and 1000") }
    }

    func run() async throws {
        try await withUserErrors {
            let path = config ?? ConfigDirectories.fromEnvironment().userFile()
            let configuration = try load(path)
            let sink = RelayLogging.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
            let logger = Logger(label: "stream-config.relay")
            // On every way out, start-up failures included: the queued lines reach the journal.
            defer { finishLogging(logger) }
            logger.notice("stream-config relay \(StreamRelay.version): logging to \(sink)")
            announce(configuration, logger: logger)
            let descriptors = DescriptorLimit.raiseToHardLimit()
            if DescriptorLimit.children(fitting: descriptors) < maxConnections {
                logger.warning("the open-file limit (\(descriptors)) leaves room for about \(DescriptorLimit.children(fitting: descriptors)) children (two descriptors each), fewer than --max-connections \(maxConnections): raise LimitNOFILE / ulimit -n")
            }

            let options = RelayOptions(listen: listen.compactMap(ListenAddress.init), tls: tlsFiles, limits: limits)
            let serverTLS = try tlsFiles.map { files in
                do {
                    let loaded = try RelayCertificate.load(files, make: RelayServer.makeServerTLS(certificateChainPEM:privateKeyPEM:))
                    logger.notice("TLS certificate \(loaded.summary)")
                    if let warning = loaded.warning { logger.warning("\(warning)") }
                    return loaded.context
                } catch {
                    throw UserError.refused("cannot load --tls-certificate/--tls-key: \(error)")
                }
            }
            // NIO's process-wide group (one loop per core), which ends with the process.
            let group = MultiThreadedEventLoopGroup.singleton
            let metrics = RelayMetrics()
            let server = RelayServer(configuration: configuration, options: options, serverTLS: serverTLS,
                                     logger: logger, metrics: metrics, group: group)
            // The service traps its signals before the port opens: a signal that comes once
            // children can connect finds the handlers.
            let relay = await RelayService.make(server: server, logger: logger) { [target = target.target, tlsFiles] in
                reload(path, target: target, server: server, logger: logger)
                if let tlsFiles { reloadCertificate(tlsFiles, server: server, logger: logger) }
            }
            do {
                _ = try server.start()
            } catch {
                throw UserError.refused("\(error)", hint: "another process (or relay) is using it; choose another --listen address")
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: relay, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ]
            if let metricsServer = try await startMetrics(metrics, group: group) {
                services.append(.init(service: MetricsService(server: metricsServer)))
            }
            var groupLogger = logger
            groupLogger.logLevel = .warning
            try await ServiceGroup(configuration: .init(services: services, logger: groupLogger)).run()
        }
    }

    /// Sends what the journal queue still holds (at most 2 s), then says on stderr too (the
    /// journal may be what failed) how many entries were lost.
    private func finishLogging(_ logger: Logger) {
        let flushed = RelayLogging.flush(timeout: 2)
        let dropped = RelayLogging.droppedJournalEntries
        guard dropped > 0 || !flushed else { return }
        let text = "\(dropped) journal entr\(dropped == 1 ? "y was" : "ies were") dropped (journald busy or gone)"
            + (flushed ? "" : "; entries still queued after 2 s are lost")
        logger.notice("\(text)")
        RelayLogging.flush(timeout: 1)
        Terminal.write(2, "stream-config relay: \(text)\n")
    }

    private var tlsFiles: ServerTLSFiles? {
        guard let tlsCertificate, let tlsKey else { return nil }
        return ServerTLSFiles(certificateChain: tlsCertificate, privateKey: tlsKey)
    }

    private var limits: RelayLimits {
        var limits = RelayLimits()
        limits.requestTimeout = Self.amount(requestTimeout)
        limits.connectTimeout = Self.amount(connectTimeout)
        limits.upstreamBudget = Self.amount(upstreamTimeout)
        limits.idleTimeout = Self.amount(idleTimeout)
        limits.drainTimeout = Self.amount(drainTimeout)
        limits.maxConnections = maxConnections
        limits.maxPendingHandshakes = maxHandshakes
        limits.maxPendingHandshakesPerAddress = maxHandshakesPerAddress
        limits.readCoalescing = .nanoseconds(Int64(coalesceMs * 1_000_000))
        return limits
    }

    static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }

    /// Reads and lints; lint errors are printed in gcc format on stderr (exit 1).
    private func load(_ path: String) throws -> RelayConfiguration {
        let contents = try FileAccess.read(path)
        do {
            return try RelayConfiguration.load(bytes: contents.bytes, file: path, target: target.target, fileMode: contents.mode)
        } catch {
            let printer = DiagnosticPrinter(format: .gcc, color: false, showSecrets: false)
            let text = printer.render(error.report, document: error.document)
            if !text.isEmpty { Terminal.write(2, text) }
            throw UserError.refused("\(error)", hint: "`stream-config lint \(path)` explains each finding")
        }
    }

    /// Warnings are printed (gcc format, stderr) and logged, but do not stop the relay.
    private func announce(_ configuration: RelayConfiguration, logger: Logger) {
        let printer = DiagnosticPrinter(format: .gcc, color: false, showSecrets: false)
        let text = printer.render(configuration.report, document: configuration.document)
        if !text.isEmpty { Terminal.write(2, text) }
        logger.notice("configuration \(configuration.file): \(configuration.target.displayName) (\(configuration.report.targetReason)), \(configuration.report.warningCount) warning(s)")
        if let warning = configuration.tlsWarning { logger.warning("\(warning)") }
    }

    private func startMetrics(_ metrics: RelayMetrics, group: EventLoopGroup) async throws -> MetricsServer? {
        guard let metricsListen else { return nil }
        let (host, port) = try MetricsServer.parseListenAddress(metricsListen)
        do {
            return try await MetricsServer.start(host: host, port: port, metrics: metrics, group: group)
        } catch {
            throw UserError.refused("cannot listen on \(metricsListen) for metrics: \(error)")
        }
    }
}

/// SIGHUP: the certificate files are read again (a renewed certificate is served to children
/// that connect from then on); files that cannot be used keep the running certificate.
private func reloadCertificate(_ files: ServerTLSFiles, server: RelayServer, logger: Logger) {
    do {
        let loaded = try RelayCertificate.load(files, make: RelayServer.makeServerTLS(certificateChainPEM:privateKeyPEM:))
        server.reloadTLS(loaded.context)
        logger.notice("SIGHUP: reloaded the TLS certificate \(loaded.summary)")
        if let warning = loaded.warning { logger.warning("\(warning)") }
    } catch {
        logger.error("SIGHUP: cannot load --tls-certificate/--tls-key (\(error)); keeping the running certificate")
    }
}

/// SIGHUP: read, lint, swap; on any error keep the running configuration and log why.
private func reload(_ path: String, target chosen: NetdataTarget?, server: RelayServer, logger: Logger) {
    let target = server.configuration.report.target
    let contents: FileAccess.Contents
    do {
        contents = try FileAccess.read(path)
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
    } catch {
        let printer = DiagnosticPrinter(format: .gcc, color: false, showSecrets: false)
        let findings = printer.render(error.report, document: error.document)
            .split(separator: "\n").filter { $0.contains(": error: ") }.joined(separator: "; ")
        logger.error("SIGHUP: \(error); keeping the running configuration: \(findings)")
    }
}
