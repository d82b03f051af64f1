import Testing
@testable import StreamConfig

/// A TLS child that verifies its parent with the system's CAs only: `fleet render` refuses to
/// write one (no `ca_file`), and `fleet check` finds one whose parent's certificate is
/// self-signed (FL208).
@Suite struct FleetTLSTrustTests {
    typealias F = FleetCheckerTests
    static let tlsWeb = "[web]\n    bind to = *:19999\n    ssl key = /etc/netdata/ssl/stream.key\n    ssl certificate = /etc/netdata/ssl/stream.crt\n"

    static func parent(selfSigned: Bool) -> FleetHost {
        var parent = F.host("p", "10.1.0.5", stream: F.parent(), netdata: tlsWeb)
        parent.serverCertificate = FleetServerCertificate(path: "p/stream.crt", fingerprint: "AB:CD", verifiedBy: [], selfSigned: selfSigned)
        return parent
    }

    @Test func testAVerifyingTLSChildWithoutCAToASelfSignedParentIsFL208() throws {
        let child = F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:19999:SSL"))
        #expect(F.fl([Self.parent(selfSigned: true), child]) == ["c/stream.conf FL208 3:19"])
        let hint = FleetChecker.check(Fleet(hosts: [Self.parent(selfSigned: true), child])).files.flatMap { $0.report.diagnostics }
            .first { $0.code == "FL208" }?.hint
        #expect(hint?.contains("`\(StreamAdvice.caFile("/etc/netdata/ssl/parent.crt"))`") == true, "\(hint ?? "")")
        // Applying the hint (a CAfile; its contents are FL207's business) clears it.
        #expect(try F.applyingTheHint([Self.parent(selfSigned: true), child], section: "stream").isEmpty)
        // A certificate from a CA the system may trust: nothing to say.
        #expect(F.fl([Self.parent(selfSigned: false), child]).isEmpty)
        // Uncollected certificate: nothing claimed.
        #expect(F.fl([F.host("p", "10.1.0.5", stream: F.parent(), netdata: Self.tlsWeb), child]).isEmpty)
    }

    @Test func testCAPathOrSkippingVerificationIsNotFL208() {
        let withPath = F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:19999:SSL") + "    CApath = /etc/netdata/ca\n")
        #expect(F.fl([Self.parent(selfSigned: true), withPath]).isEmpty)
        let skipping = F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:19999:SSL") + "    ssl skip certificate verification = yes\n")
        #expect(F.fl([Self.parent(selfSigned: true), skipping]).isEmpty)
        let emptyFile = F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:19999:SSL") + "    CAfile =\n")
        #expect(F.fl([Self.parent(selfSigned: true), emptyFile]) == ["c/stream.conf FL208 3:19"])
    }

    @Test func testRenderRefusesATLSChildWithoutCAFileNamingHostAndVariable() throws {
        var fleet = FleetRenderTLSTests.fleet(parentWeb: FleetRenderTLSTests.tlsWeb, caFile: nil)
        fleet.hosts[1].groups = ["web"]
        var store = FleetKeyStore()
        do {
            _ = try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make)
            Issue.record("render wrote a TLS child without ca_file")
        } catch let error as FleetRenderError {
            #expect(error.description.contains("`c`") && error.description.contains("`p`") && error.description.contains("`ca_file`")
                    && error.description.contains("`web`"), "\(error)")
        }
        // The same fleet with `ca_file` renders, and `fleet check` of it is quiet even when the
        // parent's certificate is self-signed.
        fleet.hosts[1].caFile = "/etc/netdata/ssl/parent.crt"
        fleet.hosts[0].serverCertificate = FleetServerCertificate(path: "p/stream.crt", fingerprint: "AB", verifiedBy: [], selfSigned: true)
        let rendered = try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make)
        let report = FleetChecker.check(FleetRenderTests.asFleet(rendered, like: fleet))
        #expect(report.files.flatMap { $0.report.diagnostics }.filter { $0.code.hasPrefix("FL") }.isEmpty)
    }

    @Test func testRenderKeepsACollectedCAfileOrCApath() throws {
        for line in ["CAfile = /etc/netdata/ssl/parent.crt", "CApath = /etc/netdata/ca"] {
            let fleet = FleetRenderTLSTests.fleet(parentWeb: FleetRenderTLSTests.tlsWeb,
                                                  childStream: "[stream]\n    enabled = yes\n    destination = 10.1.0.5:19999\n    \(line)\n", caFile: nil)
            var store = FleetKeyStore()
            let rendered = try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make)
            let stream = Ini(rendered[1].streamConf).section("stream")
            #expect(stream?.value("destination") == "10.1.0.5:19999:SSL")
            let option = StreamAdvice.option(line)
            #expect(stream?.value(option.key) == option.value)
        }
    }

    @Test func testRenderRemovesEveryOldBindName() throws {
        let fleet = FleetRenderTLSTests.fleet(parentWeb: "[global]\n    bind socket to IP = 127.0.0.1\n    bind to = 127.0.0.1\n", caFile: nil)
        var store = FleetKeyStore()
        let rendered = try FleetRenderer.render(fleet, keys: &store, generateKey: FleetRenderTests.Keys().make)
        let listen = WebListen(Ini(try #require(rendered[0].netdataConf)))
        #expect(listen.bindName == "[web] bind to" && listen.ignoredBinds.isEmpty && !listen.bind.loopbackOnly)
    }
}
