import NIOCore

/// The tiny HTTP/1.x subset that `MetricsServer` speaks: one `GET`/`HEAD` request per connection,
/// answered with `Connection: close`. Written by hand because Package.swift offers no NIOHTTP1,
/// and a scrape endpoint needs only the request line.
///
/// Everything here is pure (bytes in, bytes out) so that it can be tested without sockets.
enum MetricsHTTP {
    enum Parsed: Equatable {
        /// The header block has not ended yet and is still within the size limit.
        case incomplete
        /// The header block is (or would be) larger than the limit: answer 431.
        case tooLarge
        /// Not an HTTP/1.x request line: answer 400.
        case malformed
        /// `path` is the request target without query string or fragment.
        case request(method: String, path: String)
    }

    /// Looks at the bytes received so far. Only the request line is interpreted; the header
    /// fields are skipped (none of them changes the answer), but they count towards `limit`.
    static func parse(_ bytes: [UInt8], limit: Int) -> Parsed {
        guard let end = headerEnd(bytes) else { return bytes.count > limit ? .tooLarge : .incomplete }
        guard end <= limit else { return .tooLarge }
        guard let newline = bytes.firstIndex(of: 0x0A) else { return .malformed }
        var lineEnd = newline
        if lineEnd > 0 && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let line = bytes[..<lineEnd]
        // Request line: printable ASCII only, exactly three parts separated by single spaces.
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .malformed }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .malformed }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard !method.isEmpty, method.utf8.allSatisfy({ (0x41...0x5A).contains($0) }),
              version == "HTTP/1.1" || version == "HTTP/1.0",
              target.hasPrefix("/")
        else { return .malformed }
        let path = target.prefix(while: { $0 != "?" && $0 != "#" })
        return .request(method: method, path: String(path))
    }

    /// Index just past the blank line that ends the header block (CRLF CRLF, or a bare LF LF
    /// from lenient clients such as `printf | nc`), or nil if it has not arrived yet.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while let newline = bytes[index...].firstIndex(of: 0x0A) {
            let next = newline + 1
            if next < bytes.count && bytes[next] == 0x0A { return next + 1 }
            if next + 1 < bytes.count && bytes[next] == 0x0D && bytes[next + 1] == 0x0A { return next + 2 }
            index = next
        }
        return nil
    }

    struct Response: Equatable {
        var status: Int
        var contentType = "text/plain; charset=utf-8"
        var body: String
        var extraHeaders: [(String, String)] = []

        static func == (a: Response, b: Response) -> Bool {
            a.status == b.status && a.contentType == b.contentType && a.body == b.body
                && a.extraHeaders.map { "\($0.0): \($0.1)" } == b.extraHeaders.map { "\($0.0): \($0.1)" }
        }

        /// The full response. `Content-Length` always describes the body, also for HEAD, where
        /// the body itself is left out (RFC 9110 §9.3.2).
        func serialized(includeBody: Bool) -> String {
            var head = "HTTP/1.1 \(status) \(MetricsHTTP.reasonPhrase(status))\r\n"
            head += "Content-Type: \(contentType)\r\n"
            head += "Content-Length: \(body.utf8.count)\r\n"
            for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
            head += "Connection: close\r\n\r\n"
            return includeBody ? head + body : head
        }
    }

    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// What to answer for a parsed request. `metrics` is called only for `/metrics`.
    static func route(method: String, path: String, metrics: () -> String) -> Response {
        guard method == "GET" || method == "HEAD" else {
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
}

/// One per accepted connection: collects bytes until the request head is complete (bounded by
/// `maxRequestBytes`), writes one response, then closes. A connection that has not produced a
/// complete request within `requestTimeout` of being accepted is closed without an answer, so
/// idle or slow clients cannot pile up.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let metrics: RelayMetrics
    private let maxRequestBytes: Int
    private let requestTimeout: TimeAmount
    private var received: [UInt8] = []
    private var answered = false
    private var timeout: Scheduled<Void>?

    init(metrics: RelayMetrics, maxRequestBytes: Int, requestTimeout: TimeAmount) {
        self.metrics = metrics
        self.maxRequestBytes = maxRequestBytes
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
        guard !answered else { return }  // anything after the request is ignored
        var buffer = unwrapInboundIn(data)
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        switch MetricsHTTP.parse(received, limit: maxRequestBytes) {
        case .incomplete:
            return
        case .tooLarge:
            respond(context, MetricsHTTP.Response(status: 431, body: "request too large\n"), includeBody: true)
        case .malformed:
            respond(context, MetricsHTTP.Response(status: 400, body: "bad request\n"), includeBody: true)
        case .request(let method, let path):
            let response = MetricsHTTP.route(method: method, path: path, metrics: { metrics.prometheusText() })
            respond(context, response, includeBody: method != "HEAD")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(_ context: ChannelHandlerContext, _ response: MetricsHTTP.Response, includeBody: Bool) {
        answered = true
        received = []
        timeout?.cancel()
        let text = response.serialized(includeBody: includeBody)
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        // Close once the response is flushed: one request per connection, as announced by
        // `Connection: close`. Capture the channel (Sendable), not the context.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }
}
