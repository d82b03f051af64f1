import NIOCore

/// Decodes the first request on a child connection, with a hard cap on what it buffers.
///
/// A request is complete at the first `\r\n\r\n` (Netdata accepts no bare `\n`). Until then the
/// bytes must look like a request: an upper-case method token of at most 16 letters and a
/// space; anything else is rejected at once, without waiting for more. A request longer than
/// `maxRequestBytes` is rejected. After the first request every byte is passed on as `.bytes`,
/// so the decoder never holds data once it has emitted a message.
public struct HandshakeDecoder: ByteToMessageDecoder {
    public typealias InboundOut = HandshakeMessage

    public static let defaultMaxRequestBytes = 16 * 1024
    static let maxMethodLength = 16
    static let terminator = Array("\r\n\r\n".utf8)
    static let streamInfoPath = "/api/v3/stream_info"

    public let maxRequestBytes: Int
    /// The first request was emitted: pass the rest on.
    private var finished = false
    /// The first bytes were rejected: the connection is being closed, drop the rest.
    private var rejected = false
    /// Where to resume the search for the terminator.
    private var scanned = 0

    public init(maxRequestBytes: Int = HandshakeDecoder.defaultMaxRequestBytes) {
        self.maxRequestBytes = maxRequestBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    /// The next message in `buffer` (every byte received so far that no message took), or nil
    /// to wait for more: first the request (or its rejection), then the rest as `.bytes`;
    /// after a rejection every byte is dropped. The relay's `ChildSessionHandler` calls this
    /// directly; as a `ByteToMessageDecoder` it serves the tests and the fuzz target.
    public mutating func next(_ buffer: inout ByteBuffer) -> HandshakeMessage? {
        if rejected {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
        if finished {
            guard buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) else { return nil }
            return .bytes(rest)
        }
        guard let message = nextMessage(&buffer) else { return nil }
        if case .rejected = message { rejected = true } else { finished = true }
        return message
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if finished && !rejected { return try decode(context: context, buffer: &buffer) }
        // An incomplete request at EOF (or on removal) is dropped: there is nobody to answer.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    /// The message for the bytes so far, or nil to wait for more.
    mutating func nextMessage(_ buffer: inout ByteBuffer) -> HandshakeMessage? {
        let view = buffer.readableBytesView
        if !Self.startsLikeARequest(view) {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .rejected(.notARequest)
        }
        let searchFrom = max(0, scanned - 3)
        let end = Self.findTerminator(view, from: searchFrom)
        guard let end else {
            if view.count >= maxRequestBytes {
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return .rejected(.tooLarge)
            }
            scanned = view.count
            return nil
        }
        let length = end + Self.terminator.count
        guard length <= maxRequestBytes else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .rejected(.tooLarge)
        }
        guard let request = buffer.readBytes(length: length) else { return nil }
        return Self.classify(request)
    }

    static func classify(_ request: [UInt8]) -> HandshakeMessage {
        if request.starts(with: StreamRequest.prefix) {
            do {
                return .stream(try StreamRequest(bytes: request))
            } catch {
                return .rejected(.malformedStream(error))
            }
        }
        guard let head = HTTPRequestHead(bytes: request) else { return .rejected(.badRequestLine) }
        if head.method == "GET", head.path == streamInfoPath { return .streamInfo(head) }
        return .otherHTTP(head)
    }

    /// Upper-case letters then a space, within `maxMethodLength` letters (a prefix of that is fine).
    static func startsLikeARequest(_ view: ByteBufferView) -> Bool {
        var letters = 0
        for byte in view {
            if byte == UInt8(ascii: " ") { return letters > 0 }
            guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z"), letters < maxMethodLength else { return false }
            letters += 1
        }
        return true
    }

    static func findTerminator(_ view: ByteBufferView, from: Int) -> Int? {
        guard view.count >= 4 else { return nil }
        let base = view.startIndex
        var index = base + from
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                return index - base
            }
            index += 1
        }
        return nil
    }
}
