import Logging
import NIOCore
import NIOEmbedded
import StreamConfig
import Testing
import TestSupport
@testable import StreamRelay

let relayKey = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
let parentKey = "11111111-2222-4333-8444-555555555555"

func relayConfiguration(destination: String, extra: String = "") throws -> RelayConfiguration {
    let text = """
        [stream]
            enabled = no


        """ + relayKeySection(relayKey, destination: destination, upstreamKey: parentKey, extra: extra)
    return try RelayConfiguration.load(bytes: Array(text.utf8), file: "relay.conf")
}

func streamRequest(key: String = relayKey, host: String = "child", extra: String = "") -> String {
    "STREAM key=\(key)&hostname=\(host)&machine_guid=0f6c3a2e-8d41-41ee-9b0a-525400123456&hops=1&ver=16376\(extra) HTTP/1.1\r\n"
        + "User-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n"
}

/// A child connection on `EmbeddedChannel`: the same pipeline as `RelayServer.setUp`.
func makeChildChannel(_ configuration: RelayConfiguration, limits: RelayLimits = RelayLimits(),
                      peer: String = "127.0.0.1") throws -> (EmbeddedChannel, RelayContext) {
    let channel = EmbeddedChannel()
    try channel.connect(to: SocketAddress(ipAddress: peer, port: 40000)).wait()
    let context = RelayContext(configuration: configuration, limits: limits, logger: Logger(label: "test"))
    try channel.pipeline.syncOperations.addHandler(ChildSessionHandler(relay: context))
    return (channel, context)
}

extension EmbeddedChannel {
    /// Every buffer written to the peer so far, in order.
    func writes() throws -> [String] {
        var out: [String] = []
        while let buffer = try readOutbound(as: ByteBuffer.self) { out.append(String(buffer: buffer)) }
        return out
    }
}

@Suite struct ChildSessionTests {
    @Test func testRefusalIsTheExactSentenceInOneWriteThenClose() throws {
        let (channel, context) = try makeChildChannel(try relayConfiguration(destination: "127.0.0.1:1"))
        try channel.writeInbound(ByteBuffer(string: streamRequest(key: "99999999-8888-4777-8666-555555555555")))
        #expect(try channel.writes() == [StreamAnswer.notPermitted])
        #expect(!channel.isActive)
        #expect(context.metrics.prometheusText().contains("keyNotEnabled"))
    }

    /// The handler reads the request itself: in any number of pieces it is the same request, and
    /// no piece's buffer is kept (NIO reads into a channel's buffer again only while nobody else
    /// holds it; a kept buffer makes it allocate another, held for the channel's life).
    @Test(arguments: [1, 7, 512, 1000])
    func testARequestInPiecesIsReadWholeWithoutKeepingTheReadBuffers(pieceBytes: Int) throws {
        let (channel, _) = try makeChildChannel(try relayConfiguration(destination: "127.0.0.1:1"))
        // As long as a real 1.37.1 request (1.4 KB with its host facts), so 512 and 1000 split it too.
        let facts = (0..<40).map { "&NETDATA_FACT_\($0)=value-\($0)-of-a-host" }.joined()
        let request = Array(streamRequest(key: "99999999-8888-4777-8666-555555555555", extra: facts).utf8)
        #expect(request.count > 1400)
        var offset = 0
        while offset < request.count {
            let piece = request[offset..<min(offset + pieceBytes, request.count)]
            var fed = ByteBuffer(bytes: piece)
            try channel.writeInbound(fed)
            #expect(fed.modifyIfUniquelyOwned { _ in true } == true, "the piece at \(offset) is still held")
            offset += piece.count
            if offset < request.count { #expect(try channel.writes().isEmpty) }
        }
        #expect(try channel.writes() == [StreamAnswer.notPermitted])
        #expect(!channel.isActive)
    }

    @Test func testEveryAdmissionRefusalAnswersTheSame() throws {
        let configuration = try relayConfiguration(destination: "127.0.0.1:1", extra: """

            [0f6c3a2e-8d41-41ee-9b0a-525400123456]
                enabled = no
            """)
        for request in [streamRequest(), streamRequest(key: "not-a-uuid"), "STREAM hostname=x HTTP/1.1\r\n\r\n",
                        streamRequest(extra: "&key=\(parentKey)")] {
            let (channel, _) = try makeChildChannel(configuration)
            try channel.writeInbound(ByteBuffer(string: request))
            #expect(try channel.writes() == [StreamAnswer.notPermitted], "\(request)")
            #expect(!channel.isActive)
        }
    }

    @Test func testAllowFromSeesThePeer() throws {
        let configuration = try relayConfiguration(destination: "127.0.0.1:1")
        let (channel, _) = try makeChildChannel(configuration, peer: "10.1.2.3")
        try channel.writeInbound(ByteBuffer(string: streamRequest()))
        #expect(try channel.writes() == [StreamAnswer.notPermitted])
    }

    @Test func testStreamInfoWithoutAParentIsASynthesized404() throws {
        let configuration = try RelayConfiguration.load(bytes: Array("[stream]\n    enabled = no\n".utf8), file: "relay.conf")
        let (channel, context) = try makeChildChannel(configuration)
        try channel.writeInbound(ByteBuffer(string: streamInfoRequest))
        let writes = try channel.writes()
        #expect(writes.count == 1)
        let response = writes.first ?? ""
        #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        let body = #"{"version":1,"status":404,"host_id":"\#(context.hostID)","nodes":0,"receivers":0,"nonce":1}"#
        #expect(response.hasSuffix("\r\n\r\n" + body))
        #expect(response.contains("Content-Length: \(body.utf8.count)\r\n"))
        #expect(response.contains("Content-Type: application/json\r\n"))
        #expect(HTTPResponseScan.isUsableStreamInfo(Array(response.utf8)))
        #expect(!channel.isActive)
    }

    @Test func testOtherRequestsGetHTTPErrors() throws {
        let configuration = try relayConfiguration(destination: "127.0.0.1:1")
        let cases: [(String, String)] = [
            ("GET /api/v1/info HTTP/1.1\r\n\r\n", "HTTP/1.1 404 "),
            ("POST /api/v3/stream_info HTTP/1.1\r\n\r\n", "HTTP/1.1 405 "),
            ("\u{1}\u{2}garbage", "HTTP/1.1 400 "),
            ("STREAM key=%zz HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"),
            ("GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 3000), "HTTP/1.1 431 "),
        ]
        for (request, status) in cases {
            let (channel, _) = try makeChildChannel(configuration)
            try channel.writeInbound(ByteBuffer(string: request))
            let writes = try channel.writes()
            #expect(writes.count == 1 && writes[0].hasPrefix(status), "\(request.prefix(30)): \(writes)")
            #expect(!channel.isActive)
        }
    }

    @Test func testSlowRequestIsClosedAfterTheTimeout() throws {
        var limits = RelayLimits()
        limits.requestTimeout = .seconds(2)
        let (channel, _) = try makeChildChannel(try relayConfiguration(destination: "127.0.0.1:1"), limits: limits)
        try channel.writeInbound(ByteBuffer(string: "STREAM key="))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
        #expect(try channel.writes().isEmpty)
    }
}

@Suite struct SpliceHandlerTests {
    /// Two channels on one loop, spliced: (child, parent).
    func spliced(leftover: String? = nil) throws -> (EmbeddedChannel, EmbeddedChannel) {
        let loop = EmbeddedEventLoop()
        let child = EmbeddedChannel(loop: loop)
        let parent = EmbeddedChannel(loop: loop)
        try child.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try parent.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let (childHalf, parentHalf) = SpliceHandler.pair(parentLeftover: leftover.map { ByteBuffer(string: $0) }, metrics: RelayMetrics())
        try child.pipeline.syncOperations.addHandler(childHalf)
        try parent.pipeline.syncOperations.addHandler(parentHalf)
        return (child, parent)
    }

    @Test func testParentBytesWaitUntilTheChildHasSpoken() throws {
        let (child, parent) = try spliced(leftover: "NODE_ID x\n")
        child.read()
        parent.read()
        // The parent's bytes (with the answer, and later) are held...
        try parent.writeInbound(ByteBuffer(string: "REPLAY_CHART \"a\"\n"))
        #expect(try child.writes().isEmpty)
        // ...until the child sends its first byte; then delivered in order.
        try child.writeInbound(ByteBuffer(string: "CHART a\n"))
        #expect(try parent.writes() == ["CHART a\n"])
        parent.read()
        try parent.writeInbound(ByteBuffer(string: "REPLAY_CHART \"b\"\n"))
        #expect(try child.writes().joined() == "NODE_ID x\nREPLAY_CHART \"a\"\nREPLAY_CHART \"b\"\n")
    }

    /// Counts the reads the splice asks of the child's channel.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    func splicedCounting(coalesce: TimeAmount) throws -> (EmbeddedEventLoop, EmbeddedChannel, EmbeddedChannel, ReadCounter) {
        let loop = EmbeddedEventLoop()
        let child = EmbeddedChannel(loop: loop)
        let parent = EmbeddedChannel(loop: loop)
        try child.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try parent.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let counter = ReadCounter()
        let (childHalf, parentHalf) = SpliceHandler.pair(parentLeftover: nil, coalesce: coalesce, metrics: RelayMetrics())
        try child.pipeline.syncOperations.addHandler(counter)
        try child.pipeline.syncOperations.addHandler(childHalf)
        try parent.pipeline.syncOperations.addHandler(parentHalf)
        return (loop, child, parent, counter)
    }

    @Test func testSmallReadsWaitForTheCoalescingInterval() throws {
        let (loop, child, parent, counter) = try splicedCounting(coalesce: .milliseconds(5))
        child.read()
        #expect(counter.reads == 1, "the first read is never delayed")
        try child.writeInbound(ByteBuffer(string: "BEGIN a\nSET x = 1\nEND\n"))
        #expect(try parent.writes() == ["BEGIN a\nSET x = 1\nEND\n"], "what was read is forwarded at once")
        child.read()
        #expect(counter.reads == 1, "after a small cycle the next read waits")
        loop.advanceTime(by: .milliseconds(4))
        #expect(counter.reads == 1)
        loop.advanceTime(by: .milliseconds(1))
        #expect(counter.reads == 2, "and is issued when the interval has passed")
    }

    @Test func testLargeReadsAndZeroIntervalAreNotDelayed() throws {
        let (_, child, _, counter) = try splicedCounting(coalesce: .milliseconds(5))
        child.read()
        try child.writeInbound(ByteBuffer(repeating: 65, count: SpliceHandler.smallCycleBytes))
        child.read()
        #expect(counter.reads == 2, "a large cycle means bulk traffic: read again at once")

        let (_, eager, _, eagerCounter) = try splicedCounting(coalesce: .zero)
        eager.read()
        try eager.writeInbound(ByteBuffer(string: "END\n"))
        eager.read()
        #expect(eagerCounter.reads == 2, "--coalesce-ms 0 reads at once")
    }

    @Test func testADelayedReadIsCancelledWhenTheChildGoes() throws {
        let (loop, child, _, counter) = try splicedCounting(coalesce: .milliseconds(5))
        child.read()
        try child.writeInbound(ByteBuffer(string: "END\n"))
        child.read()
        try child.close().wait()
        loop.advanceTime(by: .milliseconds(10))
        #expect(counter.reads == 1)
    }

    @Test func testTLSContextOnlyWhenADestinationUsesTLS() throws {
        let plain = try RelayConfiguration.load(bytes: Array("[stream]\n    enabled = yes\n    destination = 127.0.0.1:19999\n    api key = 22222222-3333-4444-8555-666666666666\n".utf8), file: "relay.conf")
        #expect(plain.upstreamTLS == nil)
        let tls = try RelayConfiguration.load(bytes: Array("[stream]\n    enabled = yes\n    destination = 127.0.0.1:19999:SSL\n    api key = 22222222-3333-4444-8555-666666666666\n".utf8), file: "relay.conf")
        #expect(tls.upstreamTLS != nil)
    }

    @Test func testTheFirstSideToEndIsTheReasonOfBoth() throws {
        let loop = EmbeddedEventLoop()
        let child = EmbeddedChannel(loop: loop)
        let parent = EmbeddedChannel(loop: loop)
        try child.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try parent.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let (childHalf, parentHalf) = SpliceHandler.pair(parentLeftover: nil, metrics: RelayMetrics())
        try child.pipeline.syncOperations.addHandler(childHalf)
        try parent.pipeline.syncOperations.addHandler(parentHalf)
        // The child ends its stream; the parent, told so, closes.
        child.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        _ = try? parent.close().wait()
        #expect(childHalf.closeReason == "child ended its stream (EOF)")
        #expect(parentHalf.closeReason == "child ended its stream (EOF)")
    }

    @Test func testCloseOnOneSideClosesTheOther() throws {
        let (child, parent) = try spliced()
        try parent.close().wait()
        #expect(!child.isActive)
    }

    @Test func testHalfCloseIsForwarded() throws {
        let (child, parent) = try spliced()
        child.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        // EmbeddedChannel closes fully on close(mode: .output); either way the parent is told.
        #expect(!parent.isActive || (try? parent.writes()) != nil)
    }
}
