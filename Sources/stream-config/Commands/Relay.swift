import ArgumentParser
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

    @Option(help: ArgumentHelp("The relay's stream.conf (default: $NETDATA_USER_CONFIG_DIR/stream.conf, /etc/netdata/stream.conf).", valueName: "file"), completion: .file()) var config: String?
    @Option(name: .customLong("listen"), help: ArgumentHelp("Address for children, HOST:PORT or [IPv6]:PORT; repeatable.", valueName: "host:port")) var listen: [String] = []
    @Option(help: ArgumentHelp("PEM certificate (chain) offered to children that start TLS (same port, detected by the first byte).", valueName: "file"), completion: .file()) var tlsCertificate: String?
    @Option(help: ArgumentHelp("PEM private key for --tls-certificate.", valueName: "file"), completion: .file()) var tlsKey: String?
    @Option(help: "Netdata line the stream.conf is written for: 1.37, 2 or auto (infer from the options used).") var target: TargetChoice = .auto
    @Option(help: ArgumentHelp("Serve Prometheus metrics on HOST:PORT (GET /metrics, /health).", valueName: "host:port")) var metricsListen: String?
    @Option(help: "Seconds a child has to send its first request.") var requestTimeout: Double = 30
    @Option(help: "Seconds for one TCP connect to a parent.") var connectTimeout: Double = 5
    @Option(help: "Seconds for all upstream attempts of one child (connects, back-offs, the parent's answer).") var upstreamTimeout: Double = 20
    @Option(help: "Seconds without traffic in either direction before a spliced connection is closed.") var idleTimeout: Double = 900
    @Option(help: "Seconds connections get to finish after SIGTERM/SIGINT.") var drainTimeout: Double = 10
    @Option(help: "Most children admitted at once (a complete STREAM request or stream_info); more are answered \"too busy\".") var maxConnections: Int = 4096
    @Option(help: "Most connections still sending their first request; when full, the oldest of them is closed.") var maxHandshakes: Int = 1024
    @Option(help: ArgumentHelp("Most connections still sending their first request from one address (IPv6: one /64); more are closed at once.", valueName: "n")) var maxHandshakesPerAddress: Int = 128
    @Option(help: ArgumentHelp("Milliseconds a child's next read waits after a small one, so many small sends are forwarded together (0: forward each at once).", valueName: "ms")) var coalesceMs: Double = 5
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @OptionGroup var quiet: QuietOption

    /// The options as the relay library takes them (it checks and translates them).
    var settings: RelaySettings {
        var settings = RelaySettings()
        settings.listen = listen
        (settings.tlsCertificate, settings.tlsKey, settings.metricsListen) = (tlsCertificate, tlsKey, metricsListen)
        (settings.requestTimeout, settings.connectTimeout, settings.upstreamTimeout) = (requestTimeout, connectTimeout, upstreamTimeout)
        (settings.idleTimeout, settings.drainTimeout) = (idleTimeout, drainTimeout)
        (settings.maxConnections, settings.maxHandshakes, settings.maxHandshakesPerAddress) = (maxConnections, maxHandshakes, maxHandshakesPerAddress)
        // -q: from warning up, unless --log-level names another level than the default.
        (settings.coalesceMs, settings.logLevel) = (coalesceMs, quiet.quiet && logLevel == "info" ? "warning" : logLevel)
        return settings
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        try await withUserErrors {
            let path = config ?? ConfigDirectories.fromEnvironment().userFile()
            let descriptors = DescriptorLimit.raiseToHardLimit()
            let host = RelayLaunch.Host(
                read: { path in
                    let contents = try FileAccess.read(path)
                    return (contents.bytes, contents.mode)
                },
                loadCertificate: { files in
                    let loaded = try RelayCertificate.load(files, make: RelayServer.makeServerTLS(certificateChainPEM:privateKeyPEM:))
                    return RelayLaunch.Certificate(context: loaded.context, summary: loaded.summary, warning: loaded.warning)
                },
                render: { report, document in
                    DiagnosticPrinter(format: .gcc, color: false, showSecrets: false).render(report, document: document)
                },
                printError: { Terminal.write(2, $0) },
                descriptors: (descriptors, DescriptorLimit.children(fitting: descriptors)))
            do {
                try await RelayLaunch.run(settings, configurationPath: path, target: target.target, host: host)
            } catch let failure as RelayLaunch.Failure {
                throw StreamConfigError.refused(failure.message, hint: failure.hint)
            }
        }
    }
}
