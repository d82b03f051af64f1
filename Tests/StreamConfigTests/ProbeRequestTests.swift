import Testing
@testable import StreamConfig

/// What `doctor` sends as a child, the timeout it waits, and lint errors as its findings.
@Suite struct ProbeRequestTests {
    @Test func testTheRequestIsAChildsFirstLine() {
        let text = String(decoding: ProbeRequest.make(apiKey: "k", hostname: "h", machineGUID: "g", version: "9.9"), as: UTF8.self)
        #expect(text.hasPrefix("STREAM key=k&hostname=h&registry_hostname=h&machine_guid=g&update_every=1&"))
        #expect(text.hasSuffix(" HTTP/1.1\r\nUser-Agent: stream-config-doctor/9.9\r\nAccept: */*\r\n\r\n"))
        #expect(text.contains("NETDATA_PROTOCOL_VERSION=1.1"))
    }

    @Test func testTheConfiguredTimeoutPerLine() {
        let ini = Ini(Document("[stream]\n    timeout = 1m\n    timeout seconds = 30\n"))
        #expect(ProbeRequest.configuredTimeout(ini.section("stream"), target: .v1_37) == 30)
        #expect(ProbeRequest.configuredTimeout(ini.section("stream"), target: .v2) == 60)
        #expect(ProbeRequest.configuredTimeout(nil, target: .v1_37) == 600)
        #expect(ProbeRequest.configuredTimeout(nil, target: .v2) == 300)
    }

    @Test func testALintErrorAsAFinding() {
        let d = Diagnostic(code: "SC401", severity: .error, file: "f", line: 2, column: 5, message: "bad", hint: "fix it")
        let diagnosis = Diagnosis.lintError(d, file: "/etc/netdata/stream.conf")
        #expect(diagnosis.verdict == .misconfigured && diagnosis.code == "SC401")
        #expect(diagnosis.summary == "/etc/netdata/stream.conf:2:5: bad" && diagnosis.fix == "fix it")
    }
}
