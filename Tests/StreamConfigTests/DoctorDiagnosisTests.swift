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
        #expect(diagnose(.noAnswer).code == "closed-without-answer")
        #expect(diagnose(.noAnswer).summary.contains("closed it without an answer"))
        #expect(diagnose(.tlsFailed("certificate verify failed: self-signed certificate"), tls: true).fix?.contains("--ca-file") == true)
        #expect(diagnose(.answered([0x15, 0x03, 0x01, 0x00, 0x02])).code == "tls-expected")
    }

    /// A parent that stays silent is "no answer" within the timeout, not "closed it"; with
    /// TLS and no handshake answer, the port does not serve TLS.
    @Test func testSilenceIsNoAnswerWithinTheTimeout() {
        let silent = diagnose(.silent(seconds: 2, handshakeDone: false))
        #expect(silent.code == "no-answer" && silent.verdict == .refused && silent.mark == "FAIL")
        #expect(silent.summary.hasPrefix("no answer from 10.0.0.1:19999 within 2 s") && !silent.summary.contains("closed"), "\(silent.summary)")
        #expect(diagnose(.silent(seconds: 2, handshakeDone: false), tls: true).code == "tls-not-served")
        #expect(diagnose(.silent(seconds: 2, handshakeDone: true), tls: true).code == "no-answer")
    }

    /// Without the child's GUID, doctor says the key was not tried and why, and whether each
    /// parent answers at all (a GET).
    @Test func testUnknownMachineGUIDIsAFailureThatSaysWhy() {
        let unknown = AnswerDiagnosis.unknownMachineGUID("/var/lib/netdata/registry/netdata.public.unique.id does not exist", hostname: "web1")
        #expect(unknown.code == "machine-guid-unknown" && !unknown.isSuccess)
        #expect(unknown.summary.contains("does not exist") && unknown.summary.contains("`web1`") && unknown.fix?.contains("--machine-guid") == true)
        let reachable = AnswerDiagnosis.reachability(.answered(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)),
                                                     destination: "p:19999", usedTLS: false)
        #expect(reachable.code == "reachable" && reachable.summary.contains("HTTP/1.1 404 Not Found") && reachable.summary.contains("the key was not tried"))
        #expect(AnswerDiagnosis.reachability(.connectRefused, destination: "p:19999", usedTLS: false).code == "connection-refused")
    }

    /// Debian's stock line (`[global] bind socket to IP`): the finding names FILE:LINE and the
    /// line to write there, from Advice.
    @Test func testParentChecksDebianLoopbackBindAndMissingKeys() throws {
        let stream = Ini(Document("[stream]\n    enabled = no\n[API_KEY]\n    enabled = no\n"))
        let netdata = Ini(Document("# NetData Configuration\n[global]\n    run as user = netdata\n    bind socket to IP = 127.0.0.1\n"))
        let results = ParentChecks.check(streamConf: stream, netdataConf: netdata, netdataFile: "/etc/netdata/netdata.conf", target: .v1_37)
        #expect(results.map(\.code) == ["no-enabled-key", "bound-to-loopback"])
        let loopback = try #require(results.last)
        #expect(loopback.summary.hasPrefix("/etc/netdata/netdata.conf:4: `bind socket to IP = 127.0.0.1` ([global] bind socket to IP"), "\(loopback.summary)")
        #expect(loopback.fix == "in /etc/netdata/netdata.conf, change line 4 to `bind socket to IP = *`, then restart Netdata", "\(loopback.fix ?? "")")
        #expect(loopback.fix?.contains(Advice.listenOnEveryAddress(replacing: "bind socket to IP", value: "127.0.0.1")) == true)
        // `[web] bind to` wins over the old name, as in Netdata.
        let both = Ini(Document("[global]\n    bind socket to IP = 127.0.0.1\n[web]\n    bind to = *\n"))
        #expect(!ParentChecks.check(streamConf: stream, netdataConf: both, target: .v1_37).map(\.code).contains("bound-to-loopback"))
        // `[global] bind to` is moved too when neither `[web] bind to` nor `bind socket to IP` is there.
        let old = Ini(Document("[global]\n    bind to = localhost:19999\n"))
        let moved = try #require(ParentChecks.check(streamConf: stream, netdataConf: old, target: .v1_37).first { $0.code == "bound-to-loopback" })
        #expect(moved.summary.hasPrefix("netdata.conf:2: `bind to = localhost:19999` ([global] bind to"), "\(moved.summary)")
        #expect(moved.fix?.contains("`bind to = *:19999`") == true)
    }

    /// Netdata's moves: `[web] bind to`, else `[global] bind socket to IP`, else `[global] bind to`;
    /// `[web] default port`, else `[global] port`, else `[global] default port`, else 19999.
    @Test func testWhereTheWebServerListensIsReadAsNetdataMovesTheOldNames() {
        let stock = ParentChecks.WebListen(Ini(Document("[global]\n    bind socket to IP = 127.0.0.1\n")))
        #expect(stock.bindOption?.value == "127.0.0.1" && stock.bindName == "[global] bind socket to IP" && stock.defaultPort == 19999)
        let web = ParentChecks.WebListen(Ini(Document("[global]\n    bind socket to IP = 127.0.0.1\n    port = 1000\n[web]\n    bind to = 10.0.0.5\n    default port = 2000\n")))
        #expect(web.bindOption?.value == "10.0.0.5" && web.bindName == "[web] bind to" && web.defaultPort == 2000)
        let global = ParentChecks.WebListen(Ini(Document("[global]\n    bind to = ::1\n    port = 1000\n    default port = 3000\n")))
        #expect(global.bindName == "[global] bind to" && global.defaultPort == 1000)
        let none = ParentChecks.WebListen(Ini(Document("[global]\n    hostname = p\n")))
        #expect(none.bindOption == nil && none.defaultPort == 19999)
    }

    /// The replacement keeps the name (so it stays in its section), ports and access lists.
    @Test func testListenOnEveryAddressReplacesOnlyTheHosts() {
        #expect(Advice.listenOnEveryAddress(replacing: "bind socket to IP", value: "127.0.0.1") == "bind socket to IP = *")
        #expect(Advice.listenOnEveryAddress(replacing: "bind to", value: "127.0.0.1:19999 [::1]:19999") == "bind to = *:19999")
        #expect(Advice.listenOnEveryAddress(replacing: "bind to", value: "localhost:19999=dashboard 127.0.0.1:19998=streaming^SSL=force")
            == "bind to = *:19999=dashboard *:19998=streaming^SSL=force")
    }

    /// Every `ok` line is something that works; what is worth knowing but not a failure is a
    /// `note`; a failure is `FAIL`.
    @Test func testOkLinesNeverDescribeAProblem() {
        #expect(diagnose(.answered(Array("Hit me baby, push them over with the version=16320".utf8))).mark == "ok")
        #expect(diagnose(.answered(Array(StreamAnswer.alreadyStreaming.utf8))).mark == "ok")
        #expect(diagnose(.connectRefused).mark == "FAIL")
        let failedPreflight = StreamInfoDiagnosis.diagnose(.noAnswer, destination: "p", childIsV2: false)
        #expect(failedPreflight.mark == "note" && failedPreflight.isSuccess)
        let redirect = StreamInfoDiagnosis.diagnose(.answered(Array("HTTP/1.1 301 Moved Permanently\r\nLocation: https://p:19999/x\r\nContent-Length: 0\r\n\r\n".utf8)),
                                                    destination: "p", childIsV2: false)
        #expect(redirect.code == "stream-info-tls" && redirect.mark == "note")
        let origin = #"{"version":1,"status":200,"host_id":"x","ingest_type":"localhost","ingest_status":"online"}"#
        let own = StreamInfoDiagnosis.diagnose(.answered(Array("HTTP/1.1 200 OK\r\nContent-Length: \(origin.utf8.count)\r\n\r\n\(origin)".utf8)),
                                               destination: "p", childIsV2: true)
        #expect(own.code == "stream-info-origin" && own.mark == "FAIL", "\(own)")
        let skipped = ParentSelection.diagnosis(ParentSelection.order([("a", .noInfo), ("b", .failed)]))
        #expect(skipped.mark == "note")
        #expect(ParentSelection.diagnosis(ParentSelection.order([("a", .noInfo), ("b", .noInfo)])).mark == "ok")
        // A port that forces TLS beside one that does not: a fact, without a fix.
        let stream = Ini(Document("[11111111-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n"))
        let mixed = Ini(Document("[web]\n    bind to = *:19999 *:19998=streaming^SSL=force\n"))
        let forced = ParentChecks.check(streamConf: stream, netdataConf: mixed, target: .v1_37).first { $0.code == "tls-forced" }
        #expect(forced?.mark == "ok" && forced?.fix == nil)
        // Every `ok` diagnosis of the parent checks and the answers has no fix: nothing to change.
        let all = ParentChecks.check(streamConf: stream, netdataConf: mixed, target: .v1_37)
            + [StreamAnswer.promptV1, StreamAnswer.alreadyStreaming].map { diagnose(.answered(Array($0.utf8))) }
        #expect(all.filter { $0.mark == "ok" }.allSatisfy { $0.fix == nil })
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
        #expect(StreamInfoDiagnosis.diagnose(.silent(seconds: 5, handshakeDone: true), destination: "p", childIsV2: true).verdict == .refused)
    }

    @Test func testRequestIsWhatA2xChildSends() {
        let text = String(decoding: StreamInfoDiagnosis.request(machineGUID: "g", destination: "p:19999"), as: UTF8.self)
        #expect(text.hasPrefix("GET /api/v3/stream_info?machine_guid=g HTTP/1.1\r\nHost: p:19999\r\n"))
        #expect(text.hasSuffix("Connection: close\r\n\r\n"))
    }
}

/// Diagnoses built on real Netdata 2.11.0 answers (fixtures/captures-2.11, README there).
@Suite struct TwoElevenCaptureDiagnosisTests {
    static func capture(_ name: String) throws -> [UInt8] {
        try Paths.bytes(Paths.fixtures.appendingPathComponent("captures-2.11/\(name)"))
    }

    func diagnose(_ outcome: ProbeOutcome, tls: Bool, child: NetdataTarget? = nil) -> Diagnosis {
        AnswerDiagnosis.diagnose(outcome, destination: "10.0.0.1:19999:SSL", usedTLS: tls, peerAddress: "10.0.0.2", child: child)
    }

    /// A 2.11 parent without a certificate answers the ClientHello with a plaintext HTTP 400:
    /// the parent does not serve TLS, so `:SSL` goes; nothing about certificates.
    @Test func testPlaintextAnswerToClientHelloIsTLSNotServed() throws {
        let answer = try Self.capture("tls-hello-on-plain-port.bin")
        #expect(answer.starts(with: Array("HTTP/1.1 400 Bad Request".utf8)))
        let result = diagnose(.plaintextAnswerToTLS(answer), tls: true)
        #expect(result.code == "tls-not-served" && result.verdict == .refused)
        #expect(result.summary.contains("HTTP/1.1 400 Bad Request"))
        #expect(result.fix?.contains("remove `:SSL`") == true && result.fix?.contains("certificate verif") == false)
        // BoringSSL's reason for the same bytes, when the raw answer is not available.
        #expect(diagnose(.tlsFailed("WRONG_VERSION_NUMBER"), tls: true).code == "tls-not-served")
    }

    /// A 2.11 parent with TLS answers a plaintext stream_info with `399 Redirection`: a 2.x
    /// parent that wants TLS, not "a 1.x parent without the v3 API".
    @Test func testRedirect399IsATwoXParentServingTLS() throws {
        for name in ["plain-http-on-tls-parent.bin", "tls-forced-plain-http.bin"] {
            let result = StreamInfoDiagnosis.diagnose(.answered(try Self.capture(name)), destination: "127.0.0.1:32201", childIsV2: true)
            #expect(result.code == "stream-info-tls", "\(name): \(result)")
            #expect(result.summary.contains("Netdata 2.x parent") && !result.summary.contains("1.x parent"), "\(name)")
            #expect(result.fix?.contains(":SSL") == true)
        }
        // 1.37.1 redirects with a 301.
        let v1 = StreamInfoDiagnosis.diagnose(.answered(Array("HTTP/1.1 301 Moved Permanently\r\nLocation: https://p:19999/api/v3/stream_info\r\nContent-Length: 0\r\n\r\n".utf8)),
                                              destination: "p:19999", childIsV2: true)
        #expect(v1.code == "stream-info-tls" && v1.summary.contains("1.x parent"))
    }

    @Test func testPlaintextStreamToForcedTwoElevenParentIsTLSExpected() throws {
        let result = diagnose(.answered(try Self.capture("tls-forced-plain-stream.bin")), tls: false)
        #expect(result.code == "tls-expected" && result.fix?.contains(":SSL") == true)
    }

    @Test func testStreamInfoAnswersOfATwoElevenParent() throws {
        let fresh = StreamInfoDiagnosis.diagnose(.answered(try Self.capture("parent-stream-info-answer.bin")), destination: "p", childIsV2: true)
        #expect(fresh.code == "stream-info" && fresh.summary.contains("does not hold this node yet"))
        let online = StreamInfoDiagnosis.diagnose(.answered(try Self.capture("parent-stream-info-answer-known-online.bin")), destination: "p", childIsV2: true)
        #expect(online.code == "stream-info" && online.summary.contains("ingest status online"))
        let offline = StreamInfoDiagnosis.diagnose(.answered(try Self.capture("parent-stream-info-answer-known-offline.bin")), destination: "p", childIsV2: true)
        #expect(offline.summary.contains("ingest status offline"))
    }

    /// Each line states what the child of that line does: 1.37 waits the listed time, 2.x a
    /// random time between 5 s and it.
    @Test func testRefusalTimingSaysWhatEachLineDoes() throws {
        let deny = try Self.capture("parent-deny-answer.bin")
        #expect(deny.count == 67)
        let v2 = diagnose(.answered(deny), tls: false, child: .v2)
        #expect(v2.code == "key-refused" && v2.summary.contains("a random 5 s to 60 s") && !v2.summary.contains("1.37"), "\(v2.summary)")
        let v1 = diagnose(.answered(deny), tls: false, child: .v1_37)
        #expect(v1.summary.contains("after 60 s") && !v1.summary.contains("random"), "\(v1.summary)")
        let both = diagnose(.answered(deny), tls: false)
        #expect(both.summary.contains("a 1.37 child") && both.summary.contains("a 2.x child"), "\(both.summary)")
        #expect(diagnose(.answered(Array(StreamAnswer.sameLocalhost.utf8)), tls: false, child: .v2).summary.contains("random 5 s to 1 h"))
    }
}

/// Which parent a 2.x child picks first, from real 2.11.0 stream_info answers.
@Suite struct ParentSelectionTests {
    func info(_ name: String) throws -> ParentSelection.Answer {
        let bytes = try TwoElevenCaptureDiagnosisTests.capture(name)
        return .info(try #require(ParentSelection.Info.parse(bytes)))
    }

    @Test func testCapturedAnswersParse() throws {
        let online = try #require(ParentSelection.Info.parse(try TwoElevenCaptureDiagnosisTests.capture("parent-stream-info-answer-known-online.bin")))
        #expect(online.status == 200 && online.ingestStatus == "online" && online.lastTime == 1796401287 && online.hostID != nil)
        let fresh = try #require(ParentSelection.Info.parse(try TwoElevenCaptureDiagnosisTests.capture("parent-stream-info-answer.bin")))
        #expect(fresh.status == 404 && fresh.lastTime == 0)
        // A 1.x parent's 404 page and a redirect are no stream_info.
        #expect(ParentSelection.Info.parse(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 27\r\n\r\nUnsupported API version: v3".utf8)) == nil)
        #expect(ParentSelection.Info.parse(try TwoElevenCaptureDiagnosisTests.capture("plain-http-on-tls-parent.bin")) == nil)
    }

    /// The parent holding the newest data of this node comes first; one that never saw it and
    /// one that answers nothing useful come after; a failed one is skipped.
    @Test func testNewestDataFirstAndFailuresSkipped() throws {
        let choices = ParentSelection.order([
            ("fresh:19999", try info("parent-stream-info-answer.bin")),
            ("down:19999", .failed),
            ("online:19999", try info("parent-stream-info-answer-known-online.bin")),
            ("offline:19999", try info("parent-stream-info-answer-known-offline.bin")),
        ])
        #expect(choices.map(\.destination) == ["online:19999", "fresh:19999", "offline:19999", "down:19999"])
        #expect(choices.map(\.rank) == [1, 2, 3, nil])
        // Both hold nothing of this node (0): the child takes them in random order.
        #expect(choices[1].why.contains("random order with offline:19999"))
        #expect(choices[0].why.contains("already in this node's path"))
        let diagnosis = ParentSelection.diagnosis(choices)
        #expect(diagnosis.code == "parent-order" && diagnosis.summary.hasPrefix("a 2.x child tries online:19999 first"))
    }

    @Test func testOriginAndInitializingParentsAreSkipped() {
        func answer(_ type: String, _ status: String) -> ParentSelection.Answer {
            .info(ParentSelection.Info(status: 200, hostID: "h", ingestType: type, ingestStatus: status, lastTime: 100))
        }
        let choices = ParentSelection.order([("self:19999", answer("localhost", "online")), ("busy:19999", answer("child", "initializing")),
                                             ("ok:19999", .noInfo)])
        #expect(choices.map(\.rank) == [1, nil, nil])
        #expect(choices[0].why.contains("the only parent left"))
        #expect(choices[1].why.contains("banned for good") && choices[2].why.contains("postponed 30-60 s"))
        #expect(ParentSelection.diagnosis(ParentSelection.order([("a", .failed)])).verdict == .refused)
    }
}
