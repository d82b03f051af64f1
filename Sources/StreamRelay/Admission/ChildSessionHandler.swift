import Logging
import NIOCore
import NIOSSL
import StreamConfig

/// Executes what `ChildSession` decides for one child connection: feeds it the channel's
/// events, and carries out its actions on the channel, the shared tables (slots, pairings,
/// metrics), the `UpstreamConnector` and `SpliceAssembler`. Every decision is the session's.
///
/// It reads the child's bytes itself (`HandshakeDecoder.next`), so a plaintext child's pipeline
/// holds this one handler until the splice replaces it (over TLS, NIOSSL's handler before it).
/// Bytes it keeps (a request that arrives in pieces, bytes after it) are copied out of the
/// channel's read buffer: NIO reads into the same buffer again only while nobody else holds it,
/// and keeps each channel's buffer, at the largest size it grew to, for as long as the channel is
/// open; a child's first reads are small (`firstReadBytes`), so an idle spliced child keeps 1 KiB
/// for a real request (1.4 KB) instead of 2.
final class ChildSessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A child connection's first read size; reads double while they fill the buffer.
    static let firstReadBytes = 512

    private let relay: RelayContext
    private var decoder: HandshakeDecoder
    /// The start of a request that has not arrived whole, in a buffer of our own.
    private var partial: ByteBuffer?
    private var session: ChildSession?
    private var log: ConnectionLog
    private var context: ChannelHandlerContext?
    private var requestTimer: Scheduled<Void>?
    private var connector: UpstreamConnector?
    /// The configuration read at the first request (a reload never changes a decision half-way).
    private var configuration: RelayConfiguration?
    /// The connection the connector handed over, until the session says what becomes of it.
    private var upstream: UpstreamConnection?

    init(relay: RelayContext) {
        self.relay = relay
        self.decoder = HandshakeDecoder(maxRequestBytes: relay.limits.maxRequestBytes)
        self.log = ConnectionLog(logger: relay.logger, peer: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        session = ChildSession(limits: relay.limits, hostID: relay.hostID, started: context.eventLoop.now)
        log = ConnectionLog(logger: relay.logger, peer: context.channel.remoteAddress)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        requestTimer = context.eventLoop.scheduleTask(in: relay.limits.requestTimeout) {
            let handler = loopBound.value
            handler.execute { $0.requestTimedOut() }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        partial = nil
        self.context = nil
    }

    // MARK: Events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var partial {
            self.partial = nil
            partial.writeBuffer(&bytes)
            consume(&partial, ours: true, context: context)
        } else {
            consume(&bytes, ours: false, context: context)
        }
    }

    /// Hands every message in `buffer` to the session and keeps what is left of an unfinished
    /// request. `ours`: `buffer` is our own (`partial`), not the channel's read buffer, whose
    /// bytes are copied before they are kept (the rest of a request, bytes after it). Reads are
    /// not nested: nothing the session does reads the child synchronously.
    private func consume(_ buffer: inout ByteBuffer, ours: Bool, context: ChannelHandlerContext) {
        func kept(_ bytes: ByteBuffer) -> ByteBuffer {
            guard !ours else { return bytes }
            var copy = context.channel.allocator.buffer(capacity: bytes.readableBytes)
            copy.writeImmutableBuffer(bytes)
            return copy
        }
        while let message = decoder.next(&buffer) {
            if case .bytes(let slice) = message {
                received(.bytes(kept(slice)), context: context)
            } else {
                received(message, context: context)
            }
        }
        if buffer.readableBytes > 0 { partial = kept(buffer) }
    }

    private func received(_ message: HandshakeMessage, context: ChannelHandlerContext) {
        if case .bytes(let bytes) = message {
            return execute { $0.receivedBytes(bytes) }
        }
        guard let session, case .awaitingRequest = session.state else { return }
        log.transport(tls: (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)) != nil)
        let configuration = relay.configuration
        self.configuration = configuration
        switch message {
        case .stream(let request):
            let target = configuration.target
            log.describe(method: .stream, hostname: request.value("hostname", target: target),
                         machineGUID: request.value("machine_guid", target: target), apiKey: request.value("key", target: target))
        case .streamInfo(let head):
            log.describe(method: .get, hostname: nil, machineGUID: head.queryValue("machine_guid"), apiKey: nil)
        case .otherHTTP, .rejected, .bytes:
            break
        }
        let peerIP = context.channel.remoteAddress?.ipAddress ?? ""
        execute { $0.receivedRequest(message, configuration: configuration, peerIP: peerIP) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        execute { $0.channelInactive() }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            execute(forwarding: event) { $0.inputClosed() }
        } else if event is RelayDrainEnded {
            execute(forwarding: event) { $0.drainEnded() }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let tls = error is NIOSSLError || error is BoringSSLError
        execute { $0.errorCaught("\(error)", tlsHandshake: tls) }
    }

    // MARK: Actions

    /// Runs `event` on the session and carries out its actions.
    private func execute(forwarding event: Any? = nil, _ body: (inout ChildSession) -> [ChildSession.Action]) {
        guard var session else { return }
        let actions = body(&session)
        self.session = session
        for action in actions { perform(action, event: event) }
    }

    private func perform(_ action: ChildSession.Action, event: Any?) {
        switch action {
        case .log(let note):
            write(note)
        case .countRefusal(let reason):
            relay.metrics.refused(reason: reason)
        case .cancelRequestTimer:
            requestTimer?.cancel()
            requestTimer = nil
        case .stopReading:
            try? context?.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        case .reserveSlot(let machineGUID):
            guard let context else { return }
            let granted = relay.slots.admit(context.channel)
            let answered = granted ? machineGUID.flatMap { relay.pairings.take(.init(peer: log.peerIP, machineGUID: $0), now: context.eventLoop.now) } : nil
            execute { $0.slotReserved(granted, answeredBefore: answered) }
        case .connectUpstream(let request, let destinations, let defaultPort, let upstreamKey):
            connect(.stream(request: request), destinations: destinations, defaultPort: defaultPort, upstreamKey: upstreamKey,
                    budget: relay.limits.upstreamBudget, waitForBackoff: true) { handler, connection, connector in
                handler.upstreamFinished(connection, connector: connector)
            }
        case .forwardStreamInfo(let request, let destinations, let defaultPort):
            connect(.http(request: request, maxResponseBytes: relay.limits.maxStreamInfoResponseBytes), destinations: destinations,
                    defaultPort: defaultPort, upstreamKey: nil, budget: relay.limits.streamInfoBudget, waitForBackoff: false) { handler, connection, connector in
                connection?.channel.close(promise: nil)
                if let connection, case .httpResponse(let bytes) = connection.reply, HTTPResponseScan.isUsableStreamInfo(bytes) {
                    handler.execute { $0.streamInfoAnswered((bytes, connection.destination.raw), failure: connector.failureSummary) }
                } else {
                    handler.execute { $0.streamInfoAnswered(nil, failure: connector.failureSummary) }
                }
            }
        case .rememberPairing(let machineGUID, let destination):
            guard let context else { return }
            relay.pairings.remember(.init(peer: log.peerIP, machineGUID: machineGUID), destination: destination, now: context.eventLoop.now)
        case .closeUpstream:
            upstream?.channel.close(promise: nil)
            upstream = nil
        case .answerAndClose(let bytes):
            guard let context else { return }
            let channel = context.channel
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        case .closeAll:
            cancelConnector()
            context?.close(promise: nil)
        case .cancelUpstream:
            cancelConnector()
        case .startSplice(let answer, let early, let destination, let seconds, let filter):
            guard let context, let upstream, let session else { return }
            self.upstream = nil
            let parts = SpliceAssembler.Parts(child: context.channel, upstream: upstream.channel,
                                              session: self, answer: answer, early: early,
                                              destination: destination, handshakeSeconds: seconds, started: session.started, filter: filter)
            SpliceAssembler.start(parts, relay: relay, log: log)
        case .forwardEvent:
            if let event { context?.fireUserInboundEventTriggered(event) }
        }
    }

    private func write(_ note: ChildSession.Note) {
        switch note {
        case .child(let level, let text, let code, let reason):
            log.child(level, text, code: code, reason: reason)
        case .parent(let level, let text, let destination, let code, let reason, let apiKey):
            // Written while the parent's connection is still held: its address and transport.
            log.parent(level, text, destination: destination, address: upstream?.channel.remoteAddress, code: code, reason: reason,
                       apiKey: apiKey, tls: upstream?.destination.tls)
        case .debug(let text):
            log.debug(text)
        }
    }

    private func cancelConnector() {
        connector?.cancel()
        connector = nil
    }

    private func connect(_ exchange: UpstreamExchange, destinations: [Destination], defaultPort: Int, upstreamKey: String?,
                         budget: TimeAmount, waitForBackoff: Bool,
                         then: @escaping (ChildSessionHandler, UpstreamConnection?, UpstreamConnector) -> Void) {
        guard let context, let configuration else { return }
        let loop = context.eventLoop
        let connector = UpstreamConnector(
            eventLoop: loop,
            target: .init(destinations: destinations, defaultPort: defaultPort, upstreamAPIKey: upstreamKey,
                          servicePorts: configuration.servicePorts),
            exchange: exchange, tlsContext: configuration.upstreamTLS, backoff: relay.backoff, limits: relay.limits,
            deadline: loop.now + budget, waitForBackoff: waitForBackoff, log: log, metrics: relay.metrics)
        self.connector = connector
        let loopBound = NIOLoopBound((self, connector, then), eventLoop: loop)
        connector.run().whenSuccess { connection in
            let (handler, connector, then) = loopBound.value
            handler.connector = nil
            then(handler, connection, connector)
        }
    }

    /// The connector's result for a STREAM request.
    private func upstreamFinished(_ connection: UpstreamConnection?, connector: UpstreamConnector) {
        guard let context, context.channel.isActive else {
            connection?.channel.close(promise: nil)
            return
        }
        upstream = connection
        let outcome: ChildSession.UpstreamOutcome
        switch (connection, connection?.reply) {
        case (let connection?, .answer(let answer)?): outcome = .answer(answer, destination: connection.destination.raw)
        case (_?, _): outcome = .notAnAnswer
        case (nil, _): outcome = .noParent(connector.failureSummary)
        }
        execute { $0.upstreamAnswered(outcome, now: context.eventLoop.now) }
    }
}
