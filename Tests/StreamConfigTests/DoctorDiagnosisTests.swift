import Testing
@testable import StreamConfig

@Suite struct DoctorDiagnosisTests {
    func diagnose(_ outcome: ProbeOutcome, tls: Bool = false) -> Diagnosis {
        AnswerDiagnosis.diagnose(outcome, destination: "10.0.0.1:19999", usedTLS: tls, peerAddress: "127.0.0.1")
    }

    @Test func testEveryParentAnswerHasItsOwnDiagnosis() {
        let cases: [(String, String, Diagnosis.Verdict)] = [
            ("Hit me baby, push them over with the version=16320", "accepted", .accepted),
            (StreamAnswer.promptV1, "accepted", .accepted),
            (StreamAnswer.notPermitted, "key-refused", .refused),
            (StreamAnswer.alreadyStreaming, "already-streaming", .alreadyConnected),
            (StreamAnswer.sameLocalhost, "same-machine-guid", .misconfigured),
            (StreamAnswer.sameVnode, "vnode", .misconfigured),
            (StreamAnswer.tooBusy, "parent-busy", .refused),
            (StreamAnswer.notAllowedV1, "web-acl", .refused),
            (StreamAnswer.notAuthorizedV2, "web-acl", .refused),
            ("HTTP/1.1 400 Bad Request\r\n\r\n", "tls-expected", .refused),
            ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", "not-netdata", .misconfigured),
            ("statsd says hi", "not-understood", .misconfigured),
        ]
        for (answer, code, verdict) in cases {
            let result = diagnose(.answered(Array(answer.utf8)))
            #expect(result.code == code, "\(answer)")
            #expect(result.verdict == verdict, "\(answer)")
        }
    }

    @Test func testKeyRefusalAdviceNamesTheAddressTheParentSees() {
        let result = diagnose(.answered(Array(StreamAnswer.notPermitted.utf8)))
        #expect(result.fix?.contains("matches localhost") == true)
        #expect(result.fix?.contains("enabled = yes") == true)
    }

    @Test func testAlreadyStreamingMeansTheKeyWorks() {
        let result = diagnose(.answered(Array(StreamAnswer.alreadyStreaming.utf8)))
        #expect(result.isSuccess)
        #expect(result.summary.contains("your key works"))
    }

    @Test func testTransportFailures() {
        #expect(diagnose(.connectRefused).code == "connection-refused")
        #expect(diagnose(.connectTimedOut(seconds: 5)).verdict == .unreachable)
        #expect(diagnose(.noAnswer, tls: true).code == "tls-not-served")
        #expect(diagnose(.noAnswer).code == "no-answer")
        #expect(diagnose(.tlsFailed("certificate verify failed: self-signed certificate"), tls: true).fix?.contains("--ca-file") == true)
        #expect(diagnose(.answered([0x15, 0x03, 0x01, 0x00, 0x02])).code == "tls-expected")
    }

    @Test func testParentChecksDebianLoopbackBindAndMissingKeys() {
        let stream = Ini(Document("[stream]\n    enabled = no\n[API_KEY]\n    enabled = no\n"))
        let netdata = Ini(Document("[global]\n    bind socket to IP = 127.0.0.1\n"))
        let codes = ParentChecks.check(streamConf: stream, netdataConf: netdata, target: .v1_37).map(\.code)
        #expect(codes == ["no-enabled-key", "bound-to-loopback"])
        // `[web] bind to` wins over the old name, as in Netdata.
        let both = Ini(Document("[global]\n    bind socket to IP = 127.0.0.1\n[web]\n    bind to = *\n"))
        #expect(!ParentChecks.check(streamConf: stream, netdataConf: both, target: .v1_37).map(\.code).contains("bound-to-loopback"))
    }

    /// `^SSL` straight after the port is part of the port (protocol 1.37.1 and 2.11 both exit):
    /// not "forces TLS", and the fix is the form with an access list, from `Advice`.
    @Test func testParentChecksCaretAfterPortCannotListen() throws {
        let stream = Ini(Document("[11111111-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n"))
        let netdata = Ini(Document("[web]\n    bind to = *:19999^SSL=force\n"))
        let results = ParentChecks.check(streamConf: stream, netdataConf: netdata, target: .v1_37)
        #expect(results.map(\.code) == ["keys", "bind-to-unlistenable"])
        let broken = try #require(results.last)
        #expect(broken.summary.contains("`19999^SSL` as the port") && broken.summary.contains("Cannot listen on any API socket"))
        #expect(broken.fix?.contains(Advice.bindTo(.tlsForced)) == true, "\(broken.fix ?? "")")
        // With another entry that listens, Netdata starts: no claim that it exits.
        let two = Ini(Document("[web]\n    bind to = *:19999 *:19998^SSL=force\n"))
        let partly = try #require(ParentChecks.check(streamConf: stream, netdataConf: two, target: .v1_37).first { $0.code == "bind-to-unlistenable" })
        #expect(!partly.summary.contains("exits"))
    }

    @Test func testParentChecksAccessListWithoutStreaming() {
        let stream = Ini(Document("[11111111-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n"))
        let netdata = Ini(Document("[web]\n    bind to = *:19999=dashboard|registry\n"))
        #expect(ParentChecks.check(streamConf: stream, netdataConf: netdata, target: .v1_37).map(\.code) == ["keys", "bind-to-no-streaming"])
    }

    @Test func testParentChecksForcedTLSAndEmptyACL() {
        let stream = Ini(Document("[11111111-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n"))
        let netdata = Ini(Document("[web]\n    \(Advice.bindTo(.tlsForced))\n    allow streaming from = !*\n    ssl key = /etc/netdata/ssl/key.pem\n"))
        let codes = ParentChecks.check(streamConf: stream, netdataConf: netdata, target: .v2).map(\.code)
        #expect(codes == ["keys", "tls-forced", "streaming-acl-empty", "tls-incomplete"])
    }
}

@Suite struct StreamInfoDiagnosisTests {
    func answer(_ text: String) -> ProbeOutcome { .answered(Array(text.utf8)) }

    @Test func testTwoXParentThatKnowsTheNode() {
        let body = #"{"version":1,"status":200,"host_id":"x","nodes":3,"receivers":1,"nonce":1,"ingest_type":"child","ingest_status":"offline"}"#
        let result = StreamInfoDiagnosis.diagnose(answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"), destination: "p:19999", childIsV2: true)
        #expect(result.code == "stream-info" && result.isSuccess)
        #expect(result.summary.contains("ingest status offline"))
    }

    @Test func testOneXParentAnswers404AndChildrenGoOn() {
        let result = StreamInfoDiagnosis.diagnose(answer("HTTP/1.1 404 Not Found\r\nContent-Length: 27\r\n\r\nUnsupported API version: v3"), destination: "p:19999", childIsV2: true)
        #expect(result.code == "stream-info-v1" && result.isSuccess)
    }

    @Test func testNoAnswerBlocksTwoXChildrenOnly() {
        #expect(StreamInfoDiagnosis.diagnose(.noAnswer, destination: "p", childIsV2: true).verdict == .refused)
        #expect(StreamInfoDiagnosis.diagnose(.noAnswer, destination: "p", childIsV2: false).isSuccess)
    }

    @Test func testRequestIsWhatA2xChildSends() {
        let text = String(decoding: StreamInfoDiagnosis.request(machineGUID: "g", destination: "p:19999"), as: UTF8.self)
        #expect(text.hasPrefix("GET /api/v3/stream_info?machine_guid=g HTTP/1.1\r\nHost: p:19999\r\n"))
        #expect(text.hasSuffix("Connection: close\r\n\r\n"))
    }
}
