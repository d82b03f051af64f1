import Testing
@testable import StreamConfig

/// `fleet render` and TLS: a parent whose collected netdata.conf has a key and a certificate
/// serves TLS only, and its children use `:SSL` with their `ca_file`.
@Suite struct FleetRenderTLSTests {
    static let tlsWeb = "[web]\n    bind to = *:19999\n    ssl key = /etc/netdata/ssl/stream.key\n    ssl certificate = /etc/netdata/ssl/stream.crt\n"

    static func fleet(parentWeb: String, childStream: String? = nil, caFile: String? = "/etc/netdata/parent.crt") -> Fleet {
        var parent = FleetRenderTests.host("p", "10.1.0.5")
        parent.target = .v1_37
        parent.netdataConf = FleetFile(path: "p/netdata.conf", document: Document(parentWeb))
        var tlsChild = FleetRenderTests.host("c", "10.1.0.11", streamsTo: ["p"], owner: "web", stream: childStream)
        tlsChild.target = .v1_37
        tlsChild.caFile = caFile
        return Fleet(hosts: [parent, tlsChild])
    }

    @Test func testAParentWithACertificateServesOnlyTLSAndItsChildrenUseSSLWithTheirCAFile() throws {
        let fleet = Self.fleet(parentWeb: Self.tlsWeb, childStream: "[stream]\n    enabled = yes\n    destination = 10.1.0.5:19999\n")
        var store = FleetKeyStore()
        let rendered = try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make)
        let web = Ini(try #require(rendered[0].netdataConf)).section("web")
        #expect(web?.value("bind to") == StreamAdvice.option(Advice.bindTo(.tlsForced, address: "*:19999")).value)
        #expect(web?.value("ssl certificate") == "/etc/netdata/ssl/stream.crt")
        let child = Ini(rendered[1].streamConf).section("stream")
        #expect(child?.value("destination") == "10.1.0.5:19999:SSL")
        #expect(child?.value("CAfile") == "/etc/netdata/parent.crt")
        let report = FleetChecker.check(FleetRenderTests.asFleet(rendered, like: fleet))
        let findings = report.files.flatMap { $0.report.diagnostics }.filter { $0.code.hasPrefix("FL") || $0.severity == .error }
        #expect(findings.isEmpty, "\(findings.map { "\($0.file) \($0.code) \($0.message)" })")
    }

    @Test func testWithoutCAFileATLSChildIsRefusedAndAPlainParentGetsPlainChildren() throws {
        var store = FleetKeyStore()
        // The system's CAs would verify it: refused (FleetTLSTrustTests has the message).
        #expect(throws: FleetRenderError.self) {
            try FleetRenderer.render(Self.fleet(parentWeb: Self.tlsWeb, caFile: nil), keys: &store, generateKey: FleetRenderTests.Keys().make)
        }
        let plain = try FleetRenderer.render(Self.fleet(parentWeb: "[web]\n    bind to = *:19999\n"), keys: &store, generateKey: FleetRenderTests.Keys().make)
        #expect(Ini(plain[1].streamConf).section("stream")?.value("destination") == "10.1.0.5:19999")
        #expect(Ini(plain[1].streamConf).section("stream")?.value("CAfile") == nil)
        #expect(Ini(try #require(plain[0].netdataConf)).section("web")?.value("bind to") == "*:19999")
    }
}

/// `tls_key` and `tls_certificate`: render writes the parent's TLS lines itself.
@Suite struct FleetRenderTLSRoleTests {
    @Test func testTLSVariablesBecomeTheParentsSSLLinesAndItsChildrenUseSSL() throws {
        var fleet = FleetRenderTLSTests.fleet(parentWeb: "[global]\n    run as user = netdata\n")
        fleet.hosts[0].tlsKey = "/etc/netdata/ssl/stream.key"
        fleet.hosts[0].tlsCertificate = "/etc/netdata/ssl/stream.crt"
        var store = FleetKeyStore()
        let rendered = try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make)
        let netdata = try #require(rendered[0].netdataConf).renderedString
        let bind = Advice.bindTo(.tlsForced, address: "*:19999")
        #expect(netdata == "[global]\n    run as user = netdata\n\n[web]\n    \(bind)\n    \(Advice.sslKey("/etc/netdata/ssl/stream.key"))\n    \(Advice.sslCertificate("/etc/netdata/ssl/stream.crt"))\n",
                "\(netdata)")
        #expect(Ini(rendered[1].streamConf).section("stream")?.value("destination") == "10.1.0.5:19999:SSL")
        let report = FleetChecker.check(FleetRenderTests.asFleet(rendered, like: fleet))
        #expect(report.files.flatMap { $0.report.diagnostics }.filter { $0.code.hasPrefix("FL") || $0.severity == .error }.isEmpty)
    }

    @Test func testOnlyOneOfTheTwoIsRefused() {
        var fleet = FleetRenderTLSTests.fleet(parentWeb: "")
        fleet.hosts[0].tlsKey = "/etc/netdata/ssl/stream.key"
        var store = FleetKeyStore()
        #expect(throws: FleetRenderError.self) { try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make) }
    }
}
