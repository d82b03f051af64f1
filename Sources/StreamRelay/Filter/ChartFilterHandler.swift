import NIOCore
import StreamConfig

/// The child's side of a filtered splice, between its transport (TLS or TCP) and the splice's
/// child half (`SpliceAssembler`):
///
/// - inbound, the child's stream goes through `ChartStreamFilter`; what passes goes on to the
///   splice, LZ4-compressed when the parent chose it (`LZ4StreamEncoder`). A filter failure (line over the cap, too many charts, compressed data) is fired as
///   an error, so the splice closes this child and its parent connection, and logs why;
/// - outbound, the parent's lines to the child pass unchanged, and the relay's own
///   `REPLAY_CHART "<id>" "true" 0 0` answers for dropped chart definitions are written between
///   them: only at a line boundary of the parent's stream and never inside a `FUNCTION_PAYLOAD`
///   or `JSON` block (protocol.md 7.3);
/// - when the filter has dropped everything the child sent for `keepalive`, an empty line goes
///   to the parent (a no-op for it), so a parent never times out a child whose charts are all
///   filtered.
/// A filtered child's leg: the charts that go on, and whether the relay compresses them toward
/// the parent (the parent chose LZ4 and the child was told no compression: `ChildSession`).
struct FilteredLeg: Sendable, Equatable {
    var filter: ChartFilter
    var compressUpstream: Bool
}

final class ChartFilterHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var filter: ChartStreamFilter
    private var firedOnce = false
    /// After a failure the child is being closed: nothing more it sends goes on.
    private var failed = false
    private var lastForward: NIODeadline?
    private let keepalive: TimeAmount
    /// Parent→child: at the start of a line, the first bytes of the current line, and the end
    /// keyword of the block it is in.
    private var parentAtLineStart = true
    private var parentLineHead: [UInt8] = []
    private var parentBlockEnd: [UInt8]?
    private var pendingReplays: [String] = []
    /// REPLAY_CHART lines the relay wrote.
    private(set) var repliesWritten = 0

    static let headBytes = 64
    static let functionPayload = Array("FUNCTION_PAYLOAD".utf8)
    static let functionPayloadEnd = Array("FUNCTION_PAYLOAD_END".utf8)
    static let json = Array("JSON".utf8)
    static let jsonPayloadEnd = Array("JSON_PAYLOAD_END".utf8)

    /// Compresses what passes toward the parent, when it chose LZ4.
    let encoder: LZ4StreamEncoder?

    init(filter: ChartFilter, compressUpstream: Bool = false, maxLineBytes: Int = ChartStreamFilter.defaultMaxLineBytes,
         keepalive: TimeAmount = .seconds(60)) {
        self.filter = ChartStreamFilter(filter: filter, maxLineBytes: maxLineBytes)
        self.keepalive = keepalive
        encoder = compressUpstream ? LZ4StreamEncoder() : nil
    }

    /// Bytes the child sent before the parent's answer, filtered (nil when nothing passes).
    func filterEarly(_ early: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer? {
        var output = allocator.buffer(capacity: early.readableBytes)
        try filter.feed(early, into: &output)
        pendingReplays += filter.takeReplayRequests()
        return output.readableBytes > 0 ? compressed(output, allocator: allocator) : nil
    }

    /// `output` as it goes to the parent: as it is, or LZ4 blocks.
    private func compressed(_ output: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let encoder, output.readableBytes > 0 else { return output }
        var blocks = allocator.buffer(capacity: output.readableBytes / 2 + LZ4StreamEncoder.headerBytes + 64)
        encoder.compress(output, into: &blocks)
        return blocks
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let input = unwrapInboundIn(data)
        var output = context.channel.allocator.buffer(capacity: input.readableBytes)
        do {
            try filter.feed(input, into: &output)
        } catch {
            failed = true
            context.fireErrorCaught(error)
            return
        }
        let replays = filter.takeReplayRequests()
        if !replays.isEmpty {
            pendingReplays += replays
            writeReplays(context: context)
        }
        let now = context.eventLoop.now
        if output.readableBytes == 0, input.readableBytes > 0, let last = lastForward, now - last >= keepalive {
            output.writeInteger(UInt8(ascii: "\n"))
        }
        // The first read always goes on (even empty): the splice lets the parent speak once the child has.
        guard output.readableBytes > 0 || !firedOnce else { return }
        firedOnce = true
        lastForward = now
        context.fireChannelRead(wrapInboundOut(compressed(output, allocator: context.channel.allocator)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        track(unwrapOutboundIn(data))
        context.write(data, promise: promise)
        if !pendingReplays.isEmpty { writeReplays(context: context) }
    }

    private func writeReplays(context: ChannelHandlerContext) {
        guard parentAtLineStart, parentBlockEnd == nil, !pendingReplays.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: pendingReplays.count * 48)
        for id in pendingReplays {
            // Ids never hold a double quote (Netdata turns it into `'`): quote with `"`.
            buffer.writeString("REPLAY_CHART \"\(id)\" \"true\" 0 0\n")
        }
        repliesWritten += pendingReplays.count
        pendingReplays.removeAll()
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Follows the parent's lines: where they start, and the blocks they open and close.
    private func track(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count {
                let newline = ChartStreamFilter.indexOfNewline(bytes, from: start)
                let end = newline ?? bytes.count
                if parentLineHead.count < Self.headBytes {
                    let take = min(Self.headBytes - parentLineHead.count, end - start)
                    parentLineHead.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + take)]))
                }
                guard newline != nil else {
                    parentAtLineStart = false
                    return
                }
                endParentLine()
                start = end + 1
            }
        }
    }

    private func endParentLine() {
        parentAtLineStart = true
        defer { parentLineHead.removeAll(keepingCapacity: true) }
        let first: [UInt8] = parentLineHead.withUnsafeBytes { line in
            var index = 0
            guard let word = ChartStreamFilter.word(line, &index) else { return [] }
            return Array(UnsafeRawBufferPointer(rebasing: line[word.range]))
        }
        if let end = parentBlockEnd {
            if first == end { parentBlockEnd = nil }
        } else if first == Self.functionPayload {
            parentBlockEnd = Self.functionPayloadEnd
        } else if first == Self.json {
            parentBlockEnd = Self.jsonPayloadEnd
        }
    }
}
