import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import StreamConfig
import Testing
@testable import StreamRelay

/// A parent that answers the request with `answer` and then keeps the connection open (as an
/// accepting Netdata parent does after its prompt), or never answers at all (`answer` nil).
final class HoldingParentHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let answer: [UInt8]?
    var answered = false

    init(answer: [UInt8]?) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let answer, !answered else { return }
        answered = true
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: answer)), promise: nil)
    }
}

/// How long a probe takes: an answer ends it at once, silence costs one timeout, and a plain
/// and a TLS probe of the same answer come to the same outcome.
@Suite(.serialized) struct StreamProbeTimingTests {
    static let prompt = Array("Hit me baby, push them over with the version=16320".utf8)
    static let notFound = Array("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 27\r\n\r\nUnsupported API version: v3".utf8)

    /// Runs one probe against a local server whose connections answer with `answer`, and
    /// returns the result with the time it took.
    func probe(answer: [UInt8]?, tls: Bool, timeout: TimeAmount) async throws -> (StreamProbe.Result, Duration) {
        // Its own loop: other suites' work on the shared one must not delay this probe.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverTLS = tls ? try NIOSSLContextBox.selfSigned().context : nil
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let serverTLS { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverTLS)) }
                    try channel.pipeline.syncOperations.addHandler(HoldingParentHandler(answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let destination = try #require(DestinationList.parse("127.0.0.1:\(port)\(tls ? ":SSL" : "")", target: .v2).first)
        let clock = ContinuousClock()
        let started = clock.now
        let result = await StreamProbe.run(destination: destination, defaultPort: 19999, request: Array("STREAM key=x HTTP/1.1\r\n\r\n".utf8),
                                           tls: StreamProbe.TLSSettings(verify: false, caFile: nil, caPath: nil), timeout: timeout, group: group)
        let elapsed = clock.now - started
        try? await server.close()
        try await group.shutdownGracefully()
        return (result, elapsed)
    }

    /// An accepting parent sends its prompt and waits for the child's data: the probe ends as
    /// soon as the prompt is read, not at the timeout.
    @Test func testAnAcceptedProbeEndsWhenThePromptIsRead() async throws {
        // A long timeout, so that a loaded machine cannot blur "at once" and "at the deadline".
        let (result, elapsed) = try await probe(answer: Self.prompt, tls: false, timeout: .seconds(60))
        #expect(result.outcome == .answered(Self.prompt))
        #expect(elapsed < .seconds(30), "took \(elapsed) of a 60 s timeout")
    }

    /// A listener that accepts and never answers costs one timeout (not one per retry) and is
    /// silence, not a close.
    @Test func testASilentListenerCostsOneTimeout() async throws {
        // Three attempts would take 9 s; one takes 3 s and what a loaded machine adds.
        let (result, elapsed) = try await probe(answer: nil, tls: false, timeout: .seconds(3))
        #expect(result.outcome == .silent(seconds: 3, handshakeDone: true), "\(result.outcome)")
        #expect(elapsed >= .seconds(3) && elapsed < .seconds(6), "took \(elapsed) with a 3 s timeout")
    }

    /// The same HTTP answer (a 1.37.1 parent's 404 to the stream_info pre-flight) over plaintext
    /// and over TLS: the same outcome, read as soon as its Content-Length is complete.
    @Test func testPlainAndTLSProbesOfTheSameAnswerAgree() async throws {
        let (plain, plainElapsed) = try await probe(answer: Self.notFound, tls: false, timeout: .seconds(60))
        let (tls, tlsElapsed) = try await probe(answer: Self.notFound, tls: true, timeout: .seconds(60))
        #expect(plain.outcome == .answered(Self.notFound) && tls.outcome == plain.outcome, "plain \(plain.outcome), TLS \(tls.outcome)")
        #expect(plainElapsed < .seconds(30) && tlsElapsed < .seconds(30), "plain \(plainElapsed), TLS \(tlsElapsed) of a 60 s timeout")
        #expect(tls.peerCertificate != nil)
        let plainDiagnosis = StreamInfoDiagnosis.diagnose(plain.outcome, destination: "p", childIsV2: true)
        let tlsDiagnosis = StreamInfoDiagnosis.diagnose(tls.outcome, destination: "p", childIsV2: true)
        #expect(plainDiagnosis == tlsDiagnosis && plainDiagnosis.code == "stream-info-v1")
    }
}
