import NIOCore
import NIOSSL

/// Plaintext and TLS on the same port, decided by the first byte as Netdata's web server does
/// (protocol.md 4): a byte up to 0x17 is a TLS record type (a ClientHello starts with 0x16), so
/// the connection gets a TLS server handler; `S` (STREAM) or `G` (GET) stay plaintext. The
/// detector removes itself after the first read.
final class TLSDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let context: NIOSSLContext
    private var decided = false

    init(context: NIOSSLContext) {
        self.context = context
    }

    static func isTLS(firstByte: UInt8) -> Bool { firstByte <= 0x17 }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return context.fireChannelRead(data) }
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        decided = true
        if Self.isTLS(firstByte: first) {
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.context), position: .after(self))
            } catch {
                context.fireErrorCaught(error)
                return
            }
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
