import NIOCore
import StreamConfig
import Testing
@testable import StreamRelay

/// The relay's options as values: one listen-address rule, limits, service ports.
@Suite struct RelaySettingsTests {
    @Test func listenAddressesFollowOneRule() throws {
        #expect(try ListenAddress.parse("127.0.0.1:9101") == ListenAddress(host: "127.0.0.1", port: 9101))
        #expect(try ListenAddress.parse("[::1]:19999") == ListenAddress(host: "::1", port: 19999))
        #expect(try ListenAddress.parse("localhost:0") == ListenAddress(host: "localhost", port: 0))
        #expect(try ListenAddress.parse("0.0.0.0:65535").description == "0.0.0.0:65535")
        #expect(try ListenAddress.parse("[::]:19999").description == "[::]:19999")
        for bad in ["9101", ":9101", "host:", "host:70000", "::1:9101", "[::1]9101", "[::1", "host:+1", "host:٣", "host:-1", "[]:1"] {
            #expect(throws: ListenAddressError(input: bad), "\(bad)") { try ListenAddress.parse(bad) }
        }
    }

    @Test func bothListenOptionsAreCheckedWithTheSameRule() {
        var settings = RelaySettings()
        settings.listen = ["127.0.0.1:19999", ":19999"]
        #expect(throws: RelaySettings.Invalid(message: ListenAddressError(input: ":19999").describing(option: "--listen"))) { try settings.validate() }
        settings.listen = ["127.0.0.1:19999"]
        settings.metricsListen = ":9180"
        #expect(throws: RelaySettings.Invalid(message: "invalid --metrics-listen ':9180': expected HOST:PORT or [IPv6]:PORT (e.g. 127.0.0.1:19999, [::1]:19999, 0.0.0.0:19999 for all interfaces)")) {
            try settings.validate()
        }
        settings.metricsListen = "127.0.0.1:9180"
        #expect(throws: Never.self) { try settings.validate() }
        #expect(settings.metricsAddress == ListenAddress(host: "127.0.0.1", port: 9180))
        #expect(settings.listenAddresses == [ListenAddress(host: "127.0.0.1", port: 19999)])
    }

    @Test func everyOptionIsChecked() {
        func problem(_ change: (inout RelaySettings) -> Void) -> String? {
            var settings = RelaySettings()
            settings.listen = ["127.0.0.1:19999"]
            change(&settings)
            do { try settings.validate() } catch { return error.message }
            return nil
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0.listen = [] } == "give at least one --listen HOST:PORT")
        #expect(problem { $0.tlsCertificate = "c.pem" } == "--tls-certificate and --tls-key go together")
        #expect(problem { $0.tlsKey = "k.pem" } == "--tls-certificate and --tls-key go together")
        #expect(problem { $0.logLevel = "loud" } == "invalid --log-level 'loud'")
        #expect(problem { $0.idleTimeout = 0 } == "--idle-timeout must be a positive number of seconds")
        #expect(problem { $0.requestTimeout = .nan } == "--request-timeout must be a positive number of seconds")
        #expect(problem { $0.drainTimeout = 1e7 } == "--drain-timeout must be a positive number of seconds")
        #expect(problem { $0.maxHandshakesPerAddress = 0 } == "--max-handshakes-per-address must be at least 1")
        #expect(problem { $0.coalesceMs = 1000.5 } == "--coalesce-ms must be between 0 and 1000")
        #expect(problem { $0.coalesceMs = 0 } == nil)
    }

    @Test func optionsBecomeLimits() {
        var settings = RelaySettings()
        settings.requestTimeout = 2.5
        settings.connectTimeout = 0.25
        settings.upstreamTimeout = 7
        settings.idleTimeout = 600
        settings.drainTimeout = 1
        settings.maxConnections = 10
        settings.maxHandshakes = 20
        settings.maxHandshakesPerAddress = 3
        settings.coalesceMs = 0.5
        let limits = settings.limits
        #expect(limits.requestTimeout == .milliseconds(2500))
        #expect(limits.connectTimeout == .milliseconds(250))
        #expect(limits.upstreamBudget == .seconds(7))
        #expect(limits.idleTimeout == .seconds(600))
        #expect(limits.drainTimeout == .seconds(1))
        #expect(limits.maxConnections == 10 && limits.maxPendingHandshakes == 20 && limits.maxPendingHandshakesPerAddress == 3)
        #expect(limits.readCoalescing == .microseconds(500))
        #expect(RelaySettings().limits == RelayLimits(), "the options' defaults are the library's")
        settings.tlsCertificate = "c.pem"
        #expect(settings.tlsFiles == nil)
        settings.tlsKey = "k.pem"
        #expect(settings.tlsFiles == ServerTLSFiles(certificateChain: "c.pem", privateKey: "k.pem"))
    }

    @Test func secondsAreFormattedOnce() {
        #expect(formatSeconds(.seconds(30)) == "30s")
        #expect(formatSeconds(.milliseconds(2500)) == "2.5s")
        #expect(formatSeconds(.milliseconds(1)) == "0.001s")
        #expect(format3(1.5) == "1.500")
    }

    @Test func servicePortsAreResolvedWhenTheConfigurationIsBuilt() throws {
        let ini = Ini(Document(bytes: Array("""
            [stream]
                destination = parent:netdata tcp:other:http:SSL 10.0.0.1:19999
            [k]
                default proxy destination = a:https b
            """.utf8)))
        var asked: [String] = []
        let ports = ServicePorts.resolving(ini) { name in
            asked.append(name)
            return ["netdata": 19999, "http": 80, "https": 443][name]
        }
        #expect(Set(asked) == ["netdata", "http", "https"], "numbers and entries without a port are not looked up")
        #expect(ports.port("netdata", default: 1) == 19999)
        #expect(ports.port("https", default: 1) == 443)
        #expect(ports.port(nil, default: 19999) == 19999)
        #expect(ports.port("", default: 19999) == 19999)
        #expect(ports.port("8080", default: 1) == 8080)
        #expect(ports.port("0", default: 1) == nil)
        #expect(ports.port("70000", default: 1) == nil)
        #expect(ports.port("gopher-unknown", default: 1) == nil, "a name the configuration did not use is not resolved on the event loop")
    }

    @Test func theSystemServicesDatabaseIsRead() throws {
        // /etc/services names these on every Debian system (netbase); `getservbyname_r` is reentrant.
        guard let http = ServicePorts.lookUp("http") else {
            Issue.record("no /etc/services entry for http")
            return
        }
        #expect(http == 80)
        #expect(ServicePorts.lookUp("no-such-service-name") == nil)
        let configuration = try relayConfiguration(destination: "127.0.0.1:http")
        #expect(configuration.servicePorts.port("http", default: 1) == 80)
    }
}
