import Foundation
import NIOCore
import NIOPosix
import StreamConfig
import Testing
@testable import StreamRelay

/// A parent that answers the first bytes it gets with `answer` and closes: the real 2.11.0
/// answer to a TLS ClientHello on a port without TLS (fixtures/captures-2.11).
final class ReplayingParentHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let answer: [UInt8]
    var answered = false

    init(answer: [UInt8]) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let channel = context.channel
        // Half-close after the answer: a full close with unread ClientHello bytes would send a
        // reset that can discard the answer on the client's side before it is read. The client's
        // close then ends the connection.
        channel.writeAndFlush(ByteBuffer(bytes: answer)).whenComplete { _ in channel.close(mode: .output, promise: nil) }
    }

}

@Suite struct StreamProbeTLSTests {
    static let capture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/captures-2.11/tls-hello-on-plain-port.bin")

    /// The probe keeps what the parent sent below TLS, so doctor can tell a plain parent
    /// (tls-not-served) from a certificate problem.
    @Test func testPlaintextAnswerToTheClientHelloReachesTheDiagnosis() async throws {
        let answer = Array(try Data(contentsOf: Self.capture))
        // Its own loop: other suites' work on the shared one must not delay this handshake.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ReplayingParentHandler(answer: answer)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        let destination = try #require(DestinationList.parse("127.0.0.1:\(port):SSL", target: .v2).first)
        let result = await StreamProbe.run(destination: destination, defaultPort: 19999, request: Array("STREAM key=x HTTP/1.1\r\n\r\n".utf8),
                                           tls: StreamProbe.TLSSettings(verify: true, caFile: nil, caPath: nil),
                                           timeout: .seconds(10), group: group)
        try? await server.close()
        try await group.shutdownGracefully()
        guard case .plaintextAnswerToTLS(let bytes) = result.outcome else {
            Issue.record("outcome \(result.outcome)")
            return
        }
        #expect(bytes.starts(with: Array("HTTP/1.1 400 Bad Request".utf8)))
        let diagnosis = AnswerDiagnosis.diagnose(result.outcome, destination: destination.raw, usedTLS: true, peerAddress: "127.0.0.1")
        #expect(diagnosis.code == "tls-not-served" && diagnosis.summary.contains("HTTP/1.1 400 Bad Request"))
    }
}
