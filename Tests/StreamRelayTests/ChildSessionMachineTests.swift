import NIOCore
import StreamConfig
import Testing
@testable import StreamRelay

/// `ChildSession` without channels: events in, actions out.
@Suite struct ChildSessionMachineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let prompt = "Hit me baby, push them over with the version=16320"

    func session(_ limits: RelayLimits = RelayLimits()) -> ChildSession {
        ChildSession(limits: limits, hostID: "relay-host-id", started: start)
    }

    func stream(_ text: String = streamRequest()) throws -> HandshakeMessage {
        .stream(try StreamRequest(bytes: Array(text.utf8)))
    }

    func answer(_ text: String, _ kind: ParentAnswer.Kind) -> ParentAnswer {
        ParentAnswer(bytes: Array(text.utf8), kind: kind)
    }

    /// A session admitted and connecting to its parent.
    func connecting(_ limits: RelayLimits = RelayLimits()) throws -> ChildSession {
        var session = session(limits)
        let configuration = try relayConfiguration(destination: "127.0.0.1:19999")
        #expect(session.receivedRequest(try stream(), configuration: configuration, peerIP: "127.0.0.1").last == .reserveSlot(machineGUID: "0f6c3a2e-8d41-41ee-9b0a-525400123456"))
        _ = session.slotReserved(true)
        #expect(session.isConnecting)
        return session
    }

    @Test func anAdmittedChildGetsASlotThenTheParentIsAskedWithOnlyTheKeyReplaced() throws {
        var session = session()
        let configuration = try relayConfiguration(destination: "127.0.0.1:19999 127.0.0.2:19999")
        let request = streamRequest()
        let first = session.receivedRequest(try stream(request), configuration: configuration, peerIP: "127.0.0.1")
        #expect(first == [.cancelRequestTimer, .reserveSlot(machineGUID: "0f6c3a2e-8d41-41ee-9b0a-525400123456")])
        guard case .reservingSlot = session.state else { Issue.record("\(session.state)"); return }

        let actions = session.slotReserved(true, answeredBefore: "127.0.0.2:19999")
        #expect(actions.count == 3)
        guard case .log(.child(.info, let text, 200, "ACCEPTED")) = actions[0] else { Issue.record("\(actions)"); return }
        #expect(text.contains("forwarding to '127.0.0.2:19999 127.0.0.1:19999' (127.0.0.2:19999 first: it answered this node's stream_info)"), "\(text)")
        #expect(!text.contains(parentKey), "the key is masked: \(text)")
        #expect(actions[1] == .stopReading)
        guard case .connectUpstream(let bytes, let destinations, 19999, parentKey) = actions[2] else { Issue.record("\(actions)"); return }
        #expect(destinations.map(\.raw) == ["127.0.0.2:19999", "127.0.0.1:19999"])
        #expect(String(decoding: bytes, as: UTF8.self) == request.replacing(relayKey, with: parentKey))
    }

    @Test func aRefusalIsNetdatasSentenceAndCounted() throws {
        var session = session()
        let configuration = try relayConfiguration(destination: "127.0.0.1:19999")
        let actions = session.receivedRequest(try stream(streamRequest(key: "99999999-8888-4777-8666-555555555555")),
                                              configuration: configuration, peerIP: "127.0.0.1")
        #expect(actions.last == .answerAndClose(Array(StreamAnswer.notPermitted.utf8)))
        #expect(actions.contains { if case .countRefusal = $0 { true } else { false } })
        guard case .log(.child(.warning, let text, _, _)) = actions.dropFirst().first else { Issue.record("\(actions)"); return }
        #expect(text.hasPrefix("rejecting streaming connection; "), "\(text)")
        #expect(actions.first == .cancelRequestTimer)
        guard case .closing = session.state else { Issue.record("\(session.state)"); return }
        #expect(session.receivedRequest(try stream(), configuration: configuration, peerIP: "127.0.0.1").isEmpty, "one request per connection")
    }

    @Test func aFullRelayAnswersTooBusy() throws {
        var session = session()
        _ = session.receivedRequest(try stream(), configuration: try relayConfiguration(destination: "127.0.0.1:19999"), peerIP: "127.0.0.1")
        let actions = session.slotReserved(false)
        #expect(actions.contains(.countRefusal("maxConnections")))
        #expect(actions.last == .answerAndClose(Array(StreamAnswer.tooBusy.utf8)))
    }

    @Test func thePromptStartsTheSpliceWithTheEarlyBytesAndTheHandshakeTime() throws {
        var session = try connecting()
        #expect(session.receivedBytes(ByteBuffer(string: "early ")).isEmpty)
        #expect(session.receivedBytes(ByteBuffer(string: "bytes")).isEmpty)
        let actions = session.upstreamAnswered(.answer(answer(prompt, .prompt), destination: "127.0.0.1:19999"), now: start + .milliseconds(1500))
        guard case .startSplice(let bytes, let early, "127.0.0.1:19999", let seconds, nil) = actions.last else { Issue.record("\(actions)"); return }
        #expect(bytes == Array(prompt.utf8))
        #expect(early == ByteBuffer(string: "early bytes"))
        #expect(seconds == 1.5)
        guard case .log(.parent(.info, _, _, 200, nil, apiKey: parentKey)) = actions.first else { Issue.record("\(actions)"); return }
        guard case .splicing = session.state else { Issue.record("\(session.state)"); return }
    }

    @Test func aParentsRefusalIsPassedThroughAndBothSidesClose() throws {
        var session = try connecting()
        let refusal = StreamAnswer.notPermitted
        let actions = session.upstreamAnswered(.answer(answer(refusal, .refusal), destination: "127.0.0.1:19999"), now: start)
        #expect(Array(actions.suffix(3)) == [.countRefusal("parentRefused"), .closeUpstream, .answerAndClose(Array(refusal.utf8))])
    }

    @Test func noParentClosesWithoutAnAnswer() throws {
        var limits = RelayLimits()
        limits.upstreamBudget = .milliseconds(2500)
        var session = try connecting(limits)
        let actions = session.upstreamAnswered(.noParent("127.0.0.1:19999: connection refused"), now: start)
        guard case .log(.child(.error, let text, 503, "NO PARENT AVAILABLE")) = actions.first else { Issue.record("\(actions)"); return }
        #expect(text.contains("within 2.5s (last error: 127.0.0.1:19999: connection refused)"), "\(text)")
        #expect(actions.last == .closeAll)
        #expect(!actions.contains { if case .answerAndClose = $0 { true } else { false } })
    }

    @Test func anAnswerAfterTheChildLeftOnlyClosesTheParent() throws {
        var session = try connecting()
        #expect(session.channelInactive().last == .cancelUpstream)
        #expect(session.upstreamAnswered(.answer(answer(prompt, .prompt), destination: "p"), now: start) == [.closeUpstream])
    }

    @Test func tooManyEarlyBytesClose() throws {
        var limits = RelayLimits()
        limits.maxEarlyChildBytes = 8
        var session = try connecting(limits)
        #expect(session.receivedBytes(ByteBuffer(string: "12345678")).isEmpty)
        let actions = session.receivedBytes(ByteBuffer(string: "9"))
        guard case .log(.child(.warning, _, 413, "TOO MUCH EARLY DATA")) = actions.first else { Issue.record("\(actions)"); return }
        #expect(actions.last == .closeAll)
    }

    @Test func theRequestTimerOnlyActsBeforeTheRequest() throws {
        var limits = RelayLimits()
        limits.requestTimeout = .milliseconds(1500)
        var waiting = session(limits)
        let actions = waiting.requestTimedOut()
        guard case .log(.child(.notice, let text, 408, "REQUEST TIMEOUT")) = actions.first else { Issue.record("\(actions)"); return }
        #expect(text == "closing: no complete request within 1.5s")
        #expect(actions.contains(.countRefusal("requestTimeout")))
        var admitted = try connecting(limits)
        #expect(admitted.requestTimedOut().isEmpty)
    }

    @Test func anEndedInputBeforeTheRequestOrWhileConnectingCloses() throws {
        var waiting = session()
        #expect(waiting.inputClosed().last == .closeAll)
        var admitted = try connecting()
        let actions = admitted.inputClosed()
        guard case .log(.child(.notice, _, 499, "CHILD LEFT")) = actions.first else { Issue.record("\(actions)"); return }
        #expect(actions.last == .closeAll)
    }

    @Test func aPreflightSenderMayEndItsSideAndStillGetsItsAnswer() throws {
        var session = session()
        let configuration = try relayConfiguration(destination: "127.0.0.1:19999")
        let head = try #require(HTTPRequestHead(bytes: Array(streamInfoRequest.utf8)))
        #expect(session.receivedRequest(.streamInfo(head), configuration: configuration, peerIP: "127.0.0.1").last == .reserveSlot(machineGUID: nil))
        guard case .forwardStreamInfo(let bytes, let destinations, _) = session.slotReserved(true).last else { Issue.record("not forwarded"); return }
        #expect(bytes == Array(streamInfoRequest.utf8))
        #expect(destinations.map(\.raw) == ["127.0.0.1:19999"])
        #expect(session.inputClosed() == [.forwardEvent])
        let response = Array("HTTP/1.1 200 OK\r\n\r\n{}".utf8)
        let actions = session.streamInfoAnswered((response, "127.0.0.1:19999"), failure: "")
        #expect(actions.first == .rememberPairing(machineGUID: "b7227164-e842-11f1-8b91-02fc00000001", destination: "127.0.0.1:19999"))
        #expect(actions.last == .answerAndClose(response))
    }

    @Test func aPreflightWithoutAParentIsAnsweredByTheRelay() throws {
        var session = session()
        let configuration = try relayConfiguration(destination: "")
        let head = try #require(HTTPRequestHead(bytes: Array(streamInfoRequest.utf8)))
        let actions = session.receivedRequest(.streamInfo(head), configuration: configuration, peerIP: "127.0.0.1")
        #expect(actions.last == .answerAndClose(HTTPAnswers.streamInfoNotFound(hostID: "relay-host-id")))
    }

    @Test func rejectionsAndOtherHTTP() throws {
        let configuration = try relayConfiguration(destination: "127.0.0.1:19999")
        var garbage = session()
        let actions = garbage.receivedRequest(.rejected(.notARequest), configuration: configuration, peerIP: "127.0.0.1")
        #expect(actions.contains(.countRefusal("badRequest")))
        #expect(actions.last == .answerAndClose(HTTPAnswers.badRequest))
        var post = session()
        let head = try #require(HTTPRequestHead(bytes: Array("POST /x HTTP/1.1\r\n\r\n".utf8)))
        #expect(post.receivedRequest(.otherHTTP(head), configuration: configuration, peerIP: "127.0.0.1").last == .answerAndClose(HTTPAnswers.methodNotAllowed))
    }

    @Test func theDrainsEndClosesWhatIsStillOpenOnce() throws {
        var session = try connecting()
        let actions = session.drainEnded()
        guard case .log(.child(.notice, _, 503, "RELAY STOPPING")) = actions.first else { Issue.record("\(actions)"); return }
        #expect(session.drainEnded() == [.forwardEvent])
    }

    @Test func aTLSFailureBeforeTheRequestIsLoggedAndCounted() {
        var waiting = session()
        let actions = waiting.errorCaught("handshake failure", tlsHandshake: true)
        #expect(actions.contains(.countRefusal("tlsHandshake")))
        var other = session()
        #expect(other.errorCaught("reset", tlsHandshake: false) == [.log(.debug("connection error: reset")), .closeAll])
    }
}
