import NIOCore
import NIOHTTP1

/// What `MetricsServer` answers, pure: routes and the responses' exact heads and bodies.
enum MetricsHTTP {
    struct Response: Equatable {
        var status: Int
        var contentType = "text/plain; charset=utf-8"
        var body: String
        var extraHeaders: [(String, String)] = []

        static func == (a: Response, b: Response) -> Bool {
            a.status == b.status && a.contentType == b.contentType && a.body == b.body
                && a.extraHeaders.map { "\($0.0): \($0.1)" } == b.extraHeaders.map { "\($0.0): \($0.1)" }
        }

        /// The response head: `Content-Length` always describes the body, also for HEAD, where
        /// the body itself is left out (RFC 9110 §9.3.2). One request per connection.
        var head: HTTPResponseHead {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            for (name, value) in extraHeaders { headers.add(name: name, value: value) }
            headers.add(name: "Connection", value: "close")
            return HTTPResponseHead(version: .http1_1, status: .custom(code: UInt(status), reasonPhrase: MetricsHTTP.reasonPhrase(status)),
                                    headers: headers)
        }
    }

    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
    static let badRequest = Response(status: 400, body: "bad request\n")
    static let tooLarge = Response(status: 431, body: "request too large\n")

    /// What to answer for a request head. `metrics` is called only for `/metrics`.
    static func route(_ head: NIOHTTP1.HTTPRequestHead, metrics: () -> String) -> Response {
        // The target must be a path (a Netdata child sent here says "STREAM key=...").
        guard head.uri.hasPrefix("/") else { return badRequest }
        let path = String(head.uri.prefix(while: { $0 != "?" && $0 != "#" }))
        guard head.method == .GET || head.method == .HEAD else {
            return Response(status: 405, body: "method not allowed\n", extraHeaders: [("Allow", "GET, HEAD")])
        }
        switch path {
        case "/metrics": return Response(status: 200, contentType: prometheusContentType, body: metrics())
        case "/health": return Response(status: 200, body: "ok\n")
        default: return Response(status: 404, body: "not found\n")
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 431: return "Request Header Fields Too Large"
        default: return "Error"
        }
    }

    /// The pipeline of one accepted connection: NIOHTTP1's encoder and decoder
    /// (`configureHTTPServerPipeline`), a cap on the bytes before the request head, and the
    /// handler that answers once.
    static func configure(_ channel: Channel, metrics: RelayMetrics, maxRequestBytes: Int, requestTimeout: TimeAmount) throws {
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try sync.addHandler(MetricsHTTPHandler(metrics: metrics, requestTimeout: requestTimeout))
        try sync.addHandler(RequestHeadGuard(maxBytes: maxRequestBytes), position: .first)
    }
}

/// Guards the bytes that arrive before the request head is complete: past `maxBytes` it answers
/// 431 itself (it sits before the HTTP encoder) and closes, so no header block, however long,
/// is buffered; a bare LF becomes CRLF (RFC 9112 §2.2 lets a server take a lone LF as a line
/// end, and `printf 'GET /metrics HTTP/1.0\n\n' | nc` sends just that), since NIOHTTP1's parser
/// wants CRLF. Once the response starts it passes everything through untouched.
final class RequestHeadGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let maxBytes: Int
    private var seen = 0
    private var refused = false
    private var responding = false
    private var lastWasCR = false

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        guard !responding else { return context.fireChannelRead(data) }
        let input = unwrapInboundIn(data)
        seen += input.readableBytes
        guard seen <= maxBytes else { return refuse(context) }
        var output = context.channel.allocator.buffer(capacity: input.readableBytes + 8)
        for byte in input.readableBytesView {
            if byte == UInt8(ascii: "\n"), !lastWasCR { output.writeInteger(UInt8(ascii: "\r")) }
            output.writeInteger(byte)
            lastWasCR = byte == UInt8(ascii: "\r")
        }
        context.fireChannelRead(wrapInboundOut(output))
    }

    /// The first bytes of the response mean the head was complete.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        responding = true
        context.write(data, promise: promise)
    }

    private func refuse(_ context: ChannelHandlerContext) {
        refused = true
        responding = true
        let response = MetricsHTTP.tooLarge
        var text = "HTTP/1.1 \(response.status) \(MetricsHTTP.reasonPhrase(response.status))\r\n"
        for (name, value) in response.head.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n" + response.body
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(string: text)))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// One per accepted connection: answers the first request head with one response, then closes.
/// A connection that has not produced a complete request head within `requestTimeout` of being
/// accepted is closed without an answer, so idle or slow clients cannot pile up. A request the
/// HTTP decoder refuses is answered 400.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: RelayMetrics
    private let requestTimeout: TimeAmount
    private var answered = false
    private var timeout: Scheduled<Void>?

    init(metrics: RelayMetrics, requestTimeout: TimeAmount) {
        self.metrics = metrics
        self.requestTimeout = requestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timeout = context.eventLoop.scheduleTask(in: requestTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Anything after the request head (a body, a second request) is ignored.
        guard !answered, case .head(let head) = unwrapInboundIn(data) else { return }
        let metrics = self.metrics
        respond(context, MetricsHTTP.route(head, metrics: { metrics.prometheusText() }), includeBody: head.method != .HEAD)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, !answered {
            return respond(context, MetricsHTTP.badRequest, includeBody: true)
        }
        context.close(promise: nil)
    }

    private func respond(_ context: ChannelHandlerContext, _ response: MetricsHTTP.Response, includeBody: Bool) {
        answered = true
        timeout?.cancel()
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        if includeBody, !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        }
        // Close once the response is flushed: one request per connection, as announced by
        // `Connection: close`. Capture the channel (Sendable), not the context.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
