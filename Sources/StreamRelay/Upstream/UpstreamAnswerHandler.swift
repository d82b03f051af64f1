import NIOCore

/// What the relay waits for on a fresh upstream connection after sending the child's request.
enum UpstreamExchange: Sendable {
    /// A `STREAM` request: wait for the parent's bare answer (`ParentAnswerScanner`).
    case stream(request: [UInt8])
    /// An HTTP request (`stream_info`): read the response until the parent closes.
    case http(request: [UInt8], maxResponseBytes: Int)

    var request: [UInt8] {
        switch self {
        case .stream(let request), .http(let request, _): return request
        }
    }
}

enum UpstreamReply: Sendable {
    case answer(ParentAnswer)
    case httpResponse([UInt8])
}

struct UpstreamNoAnswer: Error, CustomStringConvertible {
    var description: String
}

/// Collects the parent's reply on an upstream connection and completes `reply` with it.
///
/// For `STREAM`, the reply is complete when `ParentAnswerScanner` says so: a prompt whose version
/// digits reach the end of a read cycle is complete at once (a Netdata child takes its answer from
/// one `recv`, so it would have seen exactly these bytes); anything else at the latest after
/// `quietPeriod` without new bytes; bytes after it are kept (`takeLeftover`) for the child, and
/// reading stops until the splice takes over. A close before any answer, or an error, fails the
/// promise: the connector then tries the next destination.
final class UpstreamAnswerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let exchange: UpstreamExchange
    private let promise: EventLoopPromise<UpstreamReply>
    private let quietPeriod: TimeAmount
    private let deadline: NIODeadline
    private var received: [UInt8] = []
    private var leftover: ByteBuffer?
    private var completed = false
    private var quietTimer: Scheduled<Void>?
    private var deadlineTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Bytes the parent may send after its answer before the child has read it (2.x NODE_ID,
    /// JSON); more than this closes the connection.
    static let maxLeftoverBytes = 64 * 1024

    /// Completed exactly once: with the reply, or failed (no answer, error, handler removed).
    var reply: EventLoopFuture<UpstreamReply> { promise.futureResult }

    init(exchange: UpstreamExchange, eventLoop: EventLoop, quietPeriod: TimeAmount, deadline: NIODeadline) {
        self.exchange = exchange
        self.promise = eventLoop.makePromise()
        self.quietPeriod = quietPeriod
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        deadlineTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.fail(UpstreamNoAnswer(description: "timeout waiting for the parent's answer"))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        if !completed { fail(UpstreamNoAnswer(description: "connection setup abandoned")) }
        self.context = nil
    }

    /// Bytes that came after the answer (nil if none).
    func takeLeftover() -> ByteBuffer? {
        defer { leftover = nil }
        return leftover
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if completed {
            if (leftover?.readableBytes ?? 0) + buffer.readableBytes > Self.maxLeftoverBytes {
                context.close(promise: nil)
                return
            }
            if leftover == nil { leftover = buffer } else { leftover!.writeBuffer(&buffer) }
            return
        }
        received += buffer.readableBytesView
        switch exchange {
        case .stream:
            scanAnswer(final: false)
        case .http(_, let maxBytes):
            if received.count > maxBytes {
                fail(UpstreamNoAnswer(description: "stream_info response over \(maxBytes) bytes"))
            } else if HTTPResponseScan.isComplete(received) {
                complete(.httpResponse(received))
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !completed, case .stream = exchange, ParentAnswerScanner.isPromptWithVersion(received) {
            scanAnswer(final: true)
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !completed {
            switch exchange {
            case .stream:
                if received.isEmpty {
                    fail(UpstreamNoAnswer(description: "the parent closed the connection without answering"))
                } else {
                    scanAnswer(final: true)
                }
            case .http:
                if received.isEmpty {
                    fail(UpstreamNoAnswer(description: "the parent closed the connection without answering"))
                } else {
                    complete(.httpResponse(received))
                }
            }
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The parent half-closed: for stream_info that is the end of the response.
        if let event = event as? ChannelEvent, event == .inputClosed, !completed {
            if case .http = exchange, !received.isEmpty {
                complete(.httpResponse(received))
            } else if case .stream = exchange, !received.isEmpty {
                scanAnswer(final: true)
            } else {
                fail(UpstreamNoAnswer(description: "the parent closed the connection without answering"))
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error)
    }

    private func scanAnswer(final: Bool) {
        switch ParentAnswerScanner.scan(received, final: final) {
        case .complete(let answer):
            if received.count > answer.bytes.count, let context {
                var rest = context.channel.allocator.buffer(capacity: received.count - answer.bytes.count)
                rest.writeBytes(received[answer.bytes.count...])
                leftover = rest
            }
            complete(.answer(answer))
        case .needMore:
            quietTimer?.cancel()
            guard let context else { return }
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            quietTimer = context.eventLoop.scheduleTask(in: quietPeriod) {
                let handler = loopBound.value
                if !handler.completed { handler.scanAnswer(final: true) }
            }
        }
    }

    private func complete(_ reply: UpstreamReply) {
        guard !completed else { return }
        completed = true
        cancelTimers()
        // Hold whatever follows until the splice is installed and the child has spoken.
        try? context?.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        promise.succeed(reply)
    }

    private func fail(_ error: Error) {
        guard !completed else { return }
        completed = true
        cancelTimers()
        promise.fail(error)
        context?.close(promise: nil)
    }

    private func cancelTimers() {
        quietTimer?.cancel()
        deadlineTimer?.cancel()
        quietTimer = nil
        deadlineTimer = nil
    }
}
