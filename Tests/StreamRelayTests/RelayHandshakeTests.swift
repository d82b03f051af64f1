import NIOCore
import NIOEmbedded
import NIOTestUtils
import StreamConfig
import Testing
import TestSupport
@testable import StreamRelay

/// A 1.37.1 child's request (shape of the lab capture `default-compression-on/conn01.c2s`).
let capturedRequest = "STREAM key=11111111-2222-3333-4444-555555555555&hostname=lab-child&registry_hostname=lab-child"
    + "&machine_guid=b7227164-e842-11f1-8b91-02fc00000001&update_every=1&os=linux&timezone=Etc/UTC&abbrev_timezone=UTC"
    + "&utc_offset=0&hops=1&ml_capable=0&ml_enabled=0&mc_version=1&tags=&ver=16376&NETDATA_INSTANCE_CLOUD_TYPE=unknown"
    + "&NETDATA_SYSTEM_OS_NAME=Debian+GNU%2fLinux&NETDATA_SYSTEM_OS_VERSION=12+%28bookworm%29"
    + "&NETDATA_CONTAINER_OS_NAME=Debian GNU/Linux&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
    + "User-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n"

let streamInfoRequest = "GET /api/v3/stream_info?machine_guid=b7227164-e842-11f1-8b91-02fc00000001 HTTP/1.1\r\n"
    + "Host: 10.0.0.1:19999\r\nUser-Agent: netdata/v2.11.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"

@Suite struct StreamRelayVersionTests {
    @Test func testVersionIsSet() { #expect(!StreamRelay.version.isEmpty) }
}

@Suite struct StreamRequestTests {
    @Test func testReadsTheQueryLikeNetdata() throws {
        let request = try StreamRequest(bytes: Array(capturedRequest.utf8))
        #expect(request.value("key", target: .v1_37) == "11111111-2222-3333-4444-555555555555")
        #expect(request.value("hostname", target: .v1_37) == "lab-child")
        #expect(request.value("NETDATA_SYSTEM_OS_NAME", target: .v1_37) == "Debian GNU/Linux")
        #expect(request.value("NETDATA_CONTAINER_OS_NAME", target: .v1_37) == "Debian GNU/Linux", "raw spaces survive")
        #expect(request.value("tags", target: .v1_37) == nil, "empty values are skipped")
        #expect(request.userAgent == "netdata/v1.37.1")
    }

    @Test func testDuplicatesFollowTheTarget() throws {
        let request = try StreamRequest(bytes: Array("STREAM hostname=a&hostname=b&hostname= HTTP/1.1\r\n\r\n".utf8))
        #expect(request.value("hostname", target: .v1_37) == "b")
        #expect(request.value("hostname", target: .v2) == "a")
        #expect(request.values("hostname") == ["a", "b"])
    }

    @Test func testReplacingTheKeyKeepsEveryOtherByte() throws {
        let request = try StreamRequest(bytes: Array(capturedRequest.utf8))
        let newKey = "99999999-8888-4777-8666-555555555555"
        let rewritten = String(decoding: request.replacingKey(with: newKey), as: UTF8.self)
        #expect(rewritten == capturedRequest.replacingFirst("11111111-2222-3333-4444-555555555555", with: newKey))
        // An encoded name is still the key: the parent decodes before splitting.
        let encoded = try StreamRequest(bytes: Array("STREAM %6bey=old&hops=1 HTTP/1.1\r\n\r\n".utf8))
        #expect(String(decoding: encoded.replacingKey(with: "new"), as: UTF8.self) == "STREAM key=new&hops=1 HTTP/1.1\r\n\r\n")
    }

    /// The request is read piece by piece without copying (a real one has 30 to 40 pieces, read
    /// on every handshake); this checks it against the plain reading Netdata does, over random
    /// queries full of escapes, `+`, `=`, `&`, control bytes and UTF-8: decode the whole query
    /// (else badEncoding), refuse an encoded `&`, then split on `&` and the first `=`.
    @Test func testReadingPieceByPieceIsReadingTheWholeQuery() throws {
        var random = SplitMix64(seed: 19)
        let alphabet: [[UInt8]] = ["k", "e", "y", "v", "r", "=", "&", "+", "%", "%3D", "%26", "%2B", "%6b", "%C3%A9", "%zz", "%0a",
                                   "%C3", "é", "\u{1}", " ", "0", "5"].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xA9]]
        for _ in 0..<20_000 {
            var query: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &random) { query += alphabet.randomElement(using: &random)! }
            let bytes = Array("STREAM ".utf8) + query + Array(" HTTP/1.1\r\n\r\n".utf8)
            let expected = Self.plainReading(query)
            do {
                let request = try StreamRequest(bytes: bytes)
                guard case .success(let parameters) = expected else {
                    Issue.record("\(String(decoding: query, as: UTF8.self)): read, expected \(expected)")
                    continue
                }
                #expect(request.parameters.map { "\($0.name)=\($0.value)" } == parameters.map { "\($0.name)=\($0.value)" })
                for name in ["key", "ver", "k", "é"] {
                    #expect(request.value(name, target: .v1_37) == parameters.last { $0.name == name }?.value)
                    #expect(request.value(name, target: .v2) == parameters.first { $0.name == name }?.value)
                }
                // Rewriting the key changes only `key` pieces: read again, the parameters are the
                // same but for the key.
                let rewritten = try StreamRequest(bytes: request.replacingKey(with: "NEW"))
                let others = { (list: [(name: String, value: String)]) in list.filter { $0.name != "key" }.map { "\($0.name)=\($0.value)" } }
                #expect(others(rewritten.parameters) == others(parameters))
                #expect(rewritten.values("key").allSatisfy { $0 == "NEW" })
            } catch {
                #expect(expected.failure == error, "\(String(decoding: query, as: UTF8.self))")
            }
        }
    }

    /// Netdata's reading, the simple way (and the relay's before it read piece by piece).
    static func plainReading(_ query: [UInt8]) -> Result<[(name: String, value: String)], StreamRequest.ParseError> {
        guard let decoded = URLDecoding.decode(query[...]) else { return .failure(.badEncoding) }
        for piece in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            if URLDecoding.decode(piece)?.contains(UInt8(ascii: "&")) == true { return .failure(.encodedSeparator) }
        }
        var result: [(name: String, value: String)] = []
        for piece in decoded.split(separator: UInt8(ascii: "&")) {
            guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = piece[..<equals], value = piece[(equals + 1)...]
            if name.isEmpty || value.isEmpty { continue }
            result.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return .success(result)
    }

    @Test func testMalformedRequests() {
        #expect(throws: StreamRequest.ParseError.badEncoding) { try StreamRequest(bytes: Array("STREAM key=%zz HTTP/1.1\r\n\r\n".utf8)) }
        #expect(throws: StreamRequest.ParseError.badEncoding) { try StreamRequest(bytes: Array("STREAM key=%0a HTTP/1.1\r\n\r\n".utf8)) }
        #expect(throws: StreamRequest.ParseError.encodedSeparator) {
            try StreamRequest(bytes: Array("STREAM hostname=a%26key%3Dx HTTP/1.1\r\n\r\n".utf8))
        }
        #expect(throws: StreamRequest.ParseError.noHTTPVersion) { try StreamRequest(bytes: Array("STREAM key=a\r\n\r\n".utf8)) }
    }
}

@Suite struct HandshakeDecoderTests {
    func decode(_ chunks: [String], max: Int = HandshakeDecoder.defaultMaxRequestBytes) throws -> [HandshakeMessage] {
        try decode(chunks.map { Array($0.utf8) }, max: max)
    }

    func decode(_ chunks: [[UInt8]], max: Int = HandshakeDecoder.defaultMaxRequestBytes) throws -> [HandshakeMessage] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HandshakeDecoder(maxRequestBytes: max)))
        var out: [HandshakeMessage] = []
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            while let message = try channel.readInbound(as: HandshakeMessage.self) { out.append(message) }
        }
        _ = try? channel.finish()
        return out
    }

    /// One connection's first request, as the relay reads it: a fresh `HandshakeDecoder` per
    /// message. `ByteToMessageDecoderVerifier` feeds one decoder many copies of an input (whole,
    /// drip-fed byte by byte, many in one buffer), while a connection carries one request; this
    /// adapter starts over after each message, as the next connection would.
    struct FirstRequestOfEachConnection: ByteToMessageDecoder {
        typealias InboundOut = HandshakeMessage
        let maxRequestBytes: Int
        var decoder: HandshakeDecoder

        init(maxRequestBytes: Int) {
            self.maxRequestBytes = maxRequestBytes
            decoder = HandshakeDecoder(maxRequestBytes: maxRequestBytes)
        }

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let message = decoder.nextMessage(&buffer) else { return .needMoreData }
            context.fireChannelRead(Self.wrapInboundOut(message))
            decoder = HandshakeDecoder(maxRequestBytes: maxRequestBytes)
            return .continue
        }

        mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
            while try decode(context: context, buffer: &buffer) == .continue {}
            return .needMoreData
        }
    }

    /// NIOTestUtils' verifier: the same messages however the bytes are cut.
    func verify(_ input: String, _ expected: [HandshakeMessage], max: Int = HandshakeDecoder.defaultMaxRequestBytes,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(throws: Never.self, sourceLocation: sourceLocation) {
            try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: [(input, expected)]) {
                FirstRequestOfEachConnection(maxRequestBytes: max)
            }
        }
    }

    /// Rejections that drop everything buffered (the connection is closed): whole, byte by byte
    /// and in uneven chunks give the one rejection (the verifier's repeated inputs do not apply:
    /// the bytes after such a rejection are never read).
    func verifyDroppingRejection(_ input: String, _ expected: HandshakeRejection, max: Int = HandshakeDecoder.defaultMaxRequestBytes,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = Array(input.utf8)
        #expect(try decode([bytes], max: max) == [.rejected(expected)], "whole", sourceLocation: sourceLocation)
        #expect(try decode(bytes.map { [$0] }, max: max) == [.rejected(expected)], "byte by byte", sourceLocation: sourceLocation)
        var chunks: [[UInt8]] = []
        var index = 0
        var size = 1
        while index < bytes.count {
            chunks.append(Array(bytes[index..<min(bytes.count, index + size)]))
            index += size
            size = size % 7 + 3
        }
        #expect(try decode(chunks, max: max) == [.rejected(expected)], "chunks", sourceLocation: sourceLocation)
    }

    @Test func testStreamRequest() throws {
        try verify(capturedRequest, [.stream(try StreamRequest(bytes: Array(capturedRequest.utf8)))])
    }

    @Test func testStreamInfoAndOtherHTTP() throws {
        let head = try #require(HTTPRequestHead(bytes: Array(streamInfoRequest.utf8)))
        try verify(streamInfoRequest, [.streamInfo(head)])
        #expect(head.queryValue("machine_guid") == "b7227164-e842-11f1-8b91-02fc00000001")
        let other = "GET /api/v1/info HTTP/1.1\r\nHost: x\r\n\r\n"
        try verify(other, [.otherHTTP(try #require(HTTPRequestHead(bytes: Array(other.utf8))))])
    }

    @Test func testGarbageIsRejectedAtOnce() throws {
        #expect(try decode([[0x16, 0x03, 0x01]]) == [.rejected(.notARequest)])
        #expect(try decode(["stream key=x"]) == [.rejected(.notARequest)], "methods are upper case")
        #expect(try decode(["STREAMING_IS_NOT_A_METHOD_AT_ALL x"]) == [.rejected(.notARequest)])
        try verifyDroppingRejection("GET\r\n\r\n", .notARequest)
        try verify("GET /x\r\n\r\n", [.rejected(.badRequestLine)])
        try verify("STREAM key=%zz HTTP/1.1\r\n\r\n", [.rejected(.malformedStream(.badEncoding))])
    }

    @Test func testRequestOverTheCapIsRejected() throws {
        try verifyDroppingRejection("STREAM key=" + String(repeating: "a", count: 200), .tooLarge, max: 100)
        // a complete request, but longer than the cap
        try verifyDroppingRejection("STREAM key=" + String(repeating: "a", count: 200) + " HTTP/1.1\r\n\r\n", .tooLarge, max: 100)
        // exactly at the cap is fine
        let fits = "STREAM key=a HTTP/1.1\r\n\r\n"
        try verify(fits, [.stream(try StreamRequest(bytes: Array(fits.utf8)))], max: fits.utf8.count)
    }

    @Test func testIncompleteRequestWaits() throws {
        #expect(try decode(["STREAM key=a HTTP/1.1\r\nUser-Agent: x\r\n"]).isEmpty)
        #expect(try decode(["STREAM key=a HTTP/1.1\n\n"]).isEmpty, "bare newlines do not end a request")
    }

    @Test func testBytesAfterTheRequestArePassedOn() throws {
        let out = try decode([capturedRequest + "CHART x", "\n"])
        #expect(out.count == 3)
        #expect(out[1] == .bytes(ByteBuffer(string: "CHART x")))
        #expect(out[2] == .bytes(ByteBuffer(string: "\n")))
    }
}

@Suite struct ParentAnswerScannerTests {
    func scan(_ text: String, final: Bool = false) -> ParentAnswerScanner.Result {
        ParentAnswerScanner.scan(Array(text.utf8), final: final)
    }

    @Test func testPromptDigitsHaveNoTerminator() {
        #expect(scan("Hit me baby, push them over with the version=") == .needMore)
        #expect(scan("Hit me baby, push them over with the version=163") == .needMore)
        guard case .complete(let answer) = scan("Hit me baby, push them over with the version=16320", final: true) else {
            Issue.record("not complete")
            return
        }
        #expect(answer.isPrompt && answer.text == "Hit me baby, push them over with the version=16320" && answer.responseCode == 200)
    }

    @Test func testBytesAfterThePromptAreNotPartOfIt() {
        guard case .complete(let answer) = scan("Hit me baby, push them over with the version=16320REPLAY_CHART \"a\"\n") else {
            Issue.record("not complete")
            return
        }
        #expect(answer.text == "Hit me baby, push them over with the version=16320")
        #expect(scan("Hit me baby, push them over with the version=4294967295") != .needMore, "ten digits: a u32 is complete")
    }

    @Test func testPromptWithVersionAtTheEndOfARead() {
        let prompt = { (text: String) in ParentAnswerScanner.isPromptWithVersion(Array(text.utf8)) }
        #expect(prompt("Hit me baby, push them over with the version=5"))
        #expect(prompt("Hit me baby, push them over with the version=16320"))
        #expect(!prompt("Hit me baby, push them over with the version="), "no digit yet")
        #expect(!prompt("Hit me baby, push them over with the version=5X"), "bytes after the digits: the scanner decides")
        #expect(!prompt("Hit me baby"))
        #expect(!prompt(StreamAnswer.notPermitted))
    }

    @Test func testFixedSentences() {
        #expect(scan(StreamAnswer.promptV1) == .complete(ParentAnswer(bytes: Array(StreamAnswer.promptV1.utf8), kind: .prompt)))
        #expect(scan(StreamAnswer.notPermitted) == .complete(ParentAnswer(bytes: Array(StreamAnswer.notPermitted.utf8), kind: .refusal)))
        #expect(scan(String(StreamAnswer.notPermitted.prefix(30))) == .needMore)
        guard case .complete(let busy) = scan(StreamAnswer.alreadyStreaming) else { Issue.record("not complete"); return }
        #expect(busy.responseCode == 409)
        #expect(busy.childReaction.contains("already streamed"))
    }

    @Test func testUnknownAnswersWaitForTheEnd() {
        #expect(scan("HTTP/1.1 400 Bad Request\r\n") == .needMore)
        guard case .complete(let answer) = scan("HTTP/1.1 400 Bad Request\r\n", final: true) else { Issue.record("not complete"); return }
        #expect(answer.kind == .unknown && answer.responseCode == 400)
        guard case .complete(let capped) = scan(String(repeating: "x", count: 9000)) else { Issue.record("not complete"); return }
        #expect(capped.bytes.count == ParentAnswerScanner.maxAnswerBytes)
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        return self[..<range.lowerBound] + replacement + self[range.upperBound...]
    }
}

/// The upstream answer handler on an embedded channel: the quiet period is an hour, so any answer
/// that completes did so without waiting for it.
@Suite struct UpstreamAnswerHandlerTests {
    func makeChannel() throws -> (EmbeddedChannel, UpstreamAnswerHandler) {
        let channel = EmbeddedChannel()
        let handler = UpstreamAnswerHandler(exchange: .stream(request: []), eventLoop: channel.eventLoop,
                                            quietPeriod: .hours(1), deadline: .now() + .hours(2))
        try channel.pipeline.syncOperations.addHandler(handler)
        return (channel, handler)
    }

    func read(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(channel.allocator.buffer(string: text))
    }

    @Test func testAPromptEndingAReadIsCompleteAtOnce() throws {
        let (channel, handler) = try makeChannel()
        nonisolated(unsafe) var reply: UpstreamReply?  // EmbeddedChannel: callbacks run on this thread
        handler.reply.whenSuccess { reply = $0 }
        try read(channel, "Hit me baby, push them over with the version=5")
        guard case .answer(let answer) = reply else {
            Issue.record("no answer without waiting for the quiet period")
            return
        }
        #expect(answer.text == "Hit me baby, push them over with the version=5" && answer.isPrompt)
        #expect(handler.takeLeftover() == nil)
    }

    @Test func testAPromptSplitBeforeItsDigitsWaitsForThem() throws {
        let (channel, handler) = try makeChannel()
        nonisolated(unsafe) var reply: UpstreamReply?  // EmbeddedChannel: callbacks run on this thread
        handler.reply.whenSuccess { reply = $0 }
        try read(channel, "Hit me baby, push them over with the version=")
        #expect(reply == nil)
        try read(channel, "16320")
        guard case .answer(let answer) = reply else {
            Issue.record("not complete after the digits")
            return
        }
        #expect(answer.text == "Hit me baby, push them over with the version=16320")
    }

    @Test func testAnUnknownAnswerStillWaitsForTheQuietPeriod() throws {
        let (channel, handler) = try makeChannel()
        nonisolated(unsafe) var reply: UpstreamReply?  // EmbeddedChannel: callbacks run on this thread
        handler.reply.whenSuccess { reply = $0 }
        try read(channel, "HTTP/1.1 400 Bad Request\r\n")
        #expect(reply == nil)
        channel.embeddedEventLoop.advanceTime(by: .hours(1))
        guard case .answer(let answer) = reply else {
            Issue.record("not complete after the quiet period")
            return
        }
        #expect(answer.responseCode == 400)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
