import Logging
import NIOCore
import NIOSSL
import StreamConfig

/// Drives one child connection from its first request to the splice:
///
/// 1. waits (bounded by `requestTimeout`) for the first request from `HandshakeDecoder`;
/// 2. `STREAM`: admission by the current stream.conf (`Admission.decide`); a refusal answers
///    Netdata's exact sentence and closes; an admitted child stops being read while the
///    `UpstreamConnector` finds a parent and forwards the request with only `key` replaced;
/// 3. the parent's answer goes to the child in one write: a prompt starts the splice, anything
///    else is passed through verbatim and both sides close; no answer at all closes the child
///    without one (the child then reports "remote netdata does not respond", as with a dead parent);
/// 4. `GET /api/v3/stream_info`: forwarded to the parent, or answered with a synthesized 404 JSON;
///    other HTTP requests get an HTTP error.
final class ChildSessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HandshakeMessage
    typealias OutboundOut = ByteBuffer

    static let decoderName = "handshake-decoder"

    private enum State {
        case awaitingRequest
        case connecting
        case splicing
        case closing
    }

    private let relay: RelayContext
    private var state = State.awaitingRequest
    private var log: ConnectionLog
    private var context: ChannelHandlerContext?
    private var requestTimer: Scheduled<Void>?
    private var earlyBytes: ByteBuffer?
    private var connector: UpstreamConnector?
    /// The request being served is a `stream_info` pre-flight.
    private var forwardingStreamInfo = false
    /// The key presented to the parent (for the upstream log).
    private var upstreamKey: String?
    private let started = NIODeadline.now()

    init(relay: RelayContext) {
        self.relay = relay
        self.log = ConnectionLog(logger: relay.logger, peer: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        log = ConnectionLog(logger: relay.logger, peer: context.channel.remoteAddress)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        requestTimer = context.eventLoop.scheduleTask(in: relay.limits.requestTimeout) {
            loopBound.value.requestTimedOut()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestTimer?.cancel()
        self.context = nil
    }

    // MARK: First request

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        if case .bytes(var bytes) = message {
            return keepEarly(&bytes)
        }
        guard state == .awaitingRequest else { return }
        requestTimer?.cancel()
        requestTimer = nil
        log.transport(tls: (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)) != nil)
        switch message {
        case .stream(let request):
            admit(request, context: context)
        case .streamInfo(let head):
            serveStreamInfo(head, context: context)
        case .otherHTTP(let head):
            log.debug("HTTP \(head.method) \(head.path): not served")
            answerAndClose(head.method == "GET" || head.method == "HEAD" ? HTTPAnswers.notFound : HTTPAnswers.methodNotAllowed)
        case .rejected(let why):
            reject(why)
        case .bytes:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .connecting {
            log.child(.notice, "the child closed the connection while the relay was connecting to a parent", code: 499, reason: "CHILD LEFT")
        }
        state = .closing
        connector?.cancel()
        connector = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // A peer that ends its side before its request is complete (or while the parent is
            // being found) has left: its slot is freed now, not at --request-timeout.
            switch state {
            case .awaitingRequest:
                log.debug("closed by the peer before a complete request")
                return closeAll()
            case .connecting where !forwardingStreamInfo:
                log.child(.notice, "the child closed the connection while the relay was connecting to a parent", code: 499, reason: "CHILD LEFT")
                return closeAll()
            case .connecting, .splicing, .closing:
                // A pre-flight sender may end its side after the request (HTTP allows it): it
                // still gets its answer, within --stream-info's own budget.
                break
            }
        } else if event is RelayDrainEnded, state != .closing {
            log.child(.notice, "closing: \(RelayDrainEnded.reason)", code: 503, reason: "RELAY STOPPING")
            return closeAll()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if state == .awaitingRequest, error is NIOSSLError || error is BoringSSLError {
            // Someone started TLS and did not finish it: a wrong CA, an old client, a scanner.
            log.child(.info, "TLS handshake failed: \(error)", code: 400, reason: "TLS HANDSHAKE FAILED")
            relay.metrics.refused(reason: "tlsHandshake")
        } else {
            log.debug("connection error: \(error)")
        }
        state = .closing
        connector?.cancel()
        connector = nil
        context.close(promise: nil)
    }

    private func requestTimedOut() {
        guard state == .awaitingRequest, let context else { return }
        log.child(.notice, "closing: no complete request within \(UpstreamConnector.seconds(relay.limits.requestTimeout))",
                  code: 408, reason: "REQUEST TIMEOUT")
        relay.metrics.refused(reason: "requestTimeout")
        state = .closing
        context.close(promise: nil)
    }

    private func keepEarly(_ bytes: inout ByteBuffer) {
        guard state == .connecting else { return }
        if (earlyBytes?.readableBytes ?? 0) + bytes.readableBytes > relay.limits.maxEarlyChildBytes {
            log.child(.warning, "closing: the child sent more than \(relay.limits.maxEarlyChildBytes) bytes before the parent's answer",
                      code: 413, reason: "TOO MUCH EARLY DATA")
            return closeAll()
        }
        if earlyBytes == nil { earlyBytes = bytes } else { earlyBytes!.writeBuffer(&bytes) }
    }

    private func reject(_ why: HandshakeRejection) {
        let answer: [UInt8]
        let text: String
        switch why {
        case .notARequest:
            (answer, text) = (HTTPAnswers.badRequest, "not a STREAM or HTTP request")
        case .tooLarge:
            (answer, text) = (HTTPAnswers.tooLarge, "request larger than \(relay.limits.maxRequestBytes) bytes")
        case .badRequestLine:
            (answer, text) = (HTTPAnswers.badRequest, "malformed HTTP request line")
        case .malformedStream(.badEncoding):
            (answer, text) = (HTTPAnswers.urlNotValid, "STREAM request with invalid URL encoding")
        case .malformedStream(.noHTTPVersion):
            (answer, text) = (HTTPAnswers.badRequest, "STREAM request without HTTP version")
        case .malformedStream(.encodedSeparator):
            (answer, text) = (HTTPAnswers.badRequest, "STREAM request with an encoded '&' (%26) in a parameter")
        }
        log.child(.notice, "rejecting connection; \(text)", code: 400, reason: "BAD REQUEST")
        relay.metrics.refused(reason: "badRequest")
        answerAndClose(answer)
    }

    // MARK: STREAM

    private func admit(_ request: StreamRequest, context: ChannelHandlerContext) {
        let configuration = relay.configuration
        let target = configuration.target
        let apiKey = request.value("key", target: target)
        let machineGUID = request.value("machine_guid", target: target)
        log.describe(method: "STREAM", hostname: request.value("hostname", target: target), machineGUID: machineGUID, apiKey: apiKey)

        var decision: AdmissionDecision
        if request.values("key").count > 1 {
            decision = .refuse(.invalidKey)
        } else if request.values("machine_guid").count > 1 {
            decision = .refuse(.invalidMachineGUID)
        } else {
            let admission = AdmissionRequest(apiKey: apiKey, hostname: request.value("hostname", target: target),
                                             machineGUID: machineGUID, hops: request.value("hops", target: target),
                                             peerAddress: context.channel.remoteAddress?.ipAddress ?? "")
            decision = Admission.decide(admission, ini: configuration.ini, target: target)
        }

        switch decision {
        case .refuse(let refusal):
            log.child(.warning, "rejecting streaming connection; \(refusal.message) (\(refusal.reasonWord))",
                      code: refusal.responseCode, reason: refusal.status)
            relay.metrics.refused(reason: refusal.rawValue)
            answerAndClose(Array(refusal.answer.utf8))
        case .accept(var plan):
            guard relay.slots.admit(context.channel) else {
                log.child(.warning, "rejecting streaming connection; the relay serves \(relay.limits.maxConnections) connections already (--max-connections)",
                          code: 503, reason: "RELAY FULL")
                relay.metrics.refused(reason: "maxConnections")
                return answerAndClose(Array(StreamAnswer.tooBusy.utf8))
            }
            let upstreamKey = plan.apiKey!.value
            self.upstreamKey = upstreamKey
            var pairing = ""
            if let machineGUID, let answered = relay.pairings.take(.init(peer: log.peerIP, machineGUID: machineGUID)),
               let reordered = StreamInfoPairings.ordered(plan.destinations, preferring: answered) {
                plan.destinations = reordered
                pairing = " (\(answered) first: it answered this node's stream_info)"
            }
            let destinations = plan.destinations.map(\.raw).joined(separator: " ")
            log.child(.info, "accepted by \(configuration.file); forwarding to '\(destinations)'\(pairing) with API key \(SecretMasker.mask(upstreamKey))",
                      code: 200, reason: "ACCEPTED")
            state = .connecting
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            connect(request.replacingKey(with: upstreamKey), plan: plan, upstreamKey: upstreamKey,
                    tls: configuration.upstreamTLS, context: context)
        }
    }

    private func connect(_ request: [UInt8], plan: UpstreamPlan, upstreamKey: String, tls: NIOSSLContext?, context: ChannelHandlerContext) {
        let connector = UpstreamConnector(
            eventLoop: context.eventLoop,
            target: .init(destinations: plan.destinations, defaultPort: plan.defaultPort, upstreamAPIKey: upstreamKey),
            exchange: .stream(request: request), tlsContext: tls, backoff: relay.backoff,
            limits: relay.limits, deadline: .now() + relay.limits.upstreamBudget, waitForBackoff: true, log: log, metrics: relay.metrics)
        self.connector = connector
        let loopBound = NIOLoopBound((self, connector), eventLoop: context.eventLoop)
        connector.run().whenSuccess { connection in
            let (session, connector) = loopBound.value
            session.upstreamAnswered(connection, connector: connector)
        }
    }

    private func upstreamAnswered(_ connection: UpstreamConnection?, connector: UpstreamConnector) {
        self.connector = nil
        guard state == .connecting, let context, context.channel.isActive else {
            connection?.channel.close(promise: nil)
            return
        }
        guard let connection else {
            log.child(.error, "no parent answered within \(UpstreamConnector.seconds(relay.limits.upstreamBudget)) (last error: \(connector.failureSummary)); closing without an answer",
                      code: 503, reason: "NO PARENT AVAILABLE")
            relay.metrics.refused(reason: "noParentAvailable")
            return closeAll()
        }
        guard case .answer(let answer) = connection.reply else {
            connection.channel.close(promise: nil)
            return closeAll()
        }
        let destination = connection.destination.raw
        let address = connection.channel.remoteAddress
        if answer.isPrompt {
            log.parent(.info, "connected to parent, answer '\(answer.text)'", destination: destination, address: address,
                       code: 200, apiKey: upstreamKey, tls: connection.destination.tls)
            startSplice(connection, answer: answer, context: context)
        } else {
            log.parent(.warning, "the parent answered '\(answer.text)': \(answer.childReaction)", destination: destination,
                       address: address, code: answer.responseCode, reason: "PARENT REFUSED", apiKey: upstreamKey,
                       tls: connection.destination.tls)
            log.child(.warning, "the parent at \(destination) refused the child; passing its answer through",
                      code: answer.responseCode, reason: "PARENT REFUSED")
            relay.metrics.refused(reason: "parentRefused")
            connection.channel.close(promise: nil)
            answerAndClose(answer.bytes)
        }
    }

    // MARK: Splice

    private func startSplice(_ connection: UpstreamConnection, answer: ParentAnswer, context: ChannelHandlerContext) {
        state = .splicing
        let child = context.channel
        let upstream = connection.channel
        let relay = self.relay
        let log = self.log
        let early = earlyBytes
        earlyBytes = nil
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        let destination = connection.destination.raw
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)

        // The decoder's removal completes on a later tick; the child is not being read meanwhile.
        child.pipeline.removeHandler(name: Self.decoderName).whenComplete { _ in
            let session = loopBound.value
            guard child.isActive, upstream.isActive,
                  let answerHandler = try? upstream.pipeline.syncOperations.handler(type: UpstreamAnswerHandler.self) else {
                log.child(.warning, "a side closed before the splice started", code: 499, reason: "CLOSED EARLY")
                upstream.close(promise: nil)
                child.close(promise: nil)
                return
            }
            do {
                let (childHalf, parentHalf) = SpliceHandler.pair(parentLeftover: answerHandler.takeLeftover(),
                                                                  coalesce: relay.limits.readCoalescing, metrics: relay.metrics)
                _ = upstream.pipeline.syncOperations.removeHandler(answerHandler)
                try SpliceHandler.tune(child)
                try SpliceHandler.tune(upstream)
                try upstream.pipeline.syncOperations.addHandler(parentHalf)
                try child.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: relay.limits.idleTimeout))
                try child.pipeline.syncOperations.addHandler(childHalf)

                var buffer = child.allocator.buffer(capacity: answer.bytes.count)
                buffer.writeBytes(answer.bytes)
                child.writeAndFlush(buffer, promise: nil)
                if let early { upstream.writeAndFlush(early, promise: nil) }

                _ = child.pipeline.syncOperations.removeHandler(session)
                try child.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
                log.child(.info, "connected and ready to receive data, forwarded to \(destination) (handshake \(format3(seconds))s)",
                          code: 200, reason: "CONNECTED")
                relay.metrics.handshakeCompleted(seconds: seconds)
                let halves = NIOLoopBound((childHalf, parentHalf), eventLoop: child.eventLoop)
                let started = session.started
                child.closeFuture.whenComplete { _ in
                    let (childHalf, parentHalf) = halves.value
                    let bytesIn = childHalf.bytesRead
                    let bytesOut = parentHalf.bytesRead
                    let reason = childHalf.closeReason ?? parentHalf.closeReason ?? "closed"
                    let connected = Double((NIODeadline.now() - started).nanoseconds) / 1e9
                    log.child(.notice, "receiver disconnected: reason=\"\(reason)\" bytes_in=\(bytesIn) bytes_out=\(bytesOut) connected=\(Int(connected))s",
                              code: 200, reason: "DISCONNECTED")
                }
            } catch {
                log.child(.error, "cannot start the splice: \(error)", code: 500, reason: "INTERNAL ERROR")
                upstream.close(promise: nil)
                child.close(promise: nil)
            }
        }
    }

    // MARK: stream_info

    private func serveStreamInfo(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let configuration = relay.configuration
        let guid = head.queryValue("machine_guid")
        log.describe(method: "GET", hostname: nil, machineGUID: guid, apiKey: nil)
        let plan = ProxyCascade.resolveWithoutKey(ini: configuration.ini, target: configuration.target, machineGUID: guid)
        let hostID = relay.hostID
        guard !plan.destinations.isEmpty else {
            log.debug("stream_info: no parent configured; answering 404")
            return answerAndClose(HTTPAnswers.streamInfoNotFound(hostID: hostID))
        }
        guard relay.slots.admit(context.channel) else {
            log.child(.warning, "stream_info: the relay serves \(relay.limits.maxConnections) connections already (--max-connections); answering 503",
                      code: 503, reason: "RELAY FULL")
            relay.metrics.refused(reason: "maxConnections")
            return answerAndClose(HTTPAnswers.serviceUnavailable)
        }
        state = .connecting
        forwardingStreamInfo = true
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        let connector = UpstreamConnector(
            eventLoop: context.eventLoop,
            target: .init(destinations: plan.destinations, defaultPort: plan.defaultPort, upstreamAPIKey: nil),
            exchange: .http(request: head.bytes, maxResponseBytes: relay.limits.maxStreamInfoResponseBytes),
            tlsContext: configuration.upstreamTLS, backoff: relay.backoff, limits: relay.limits,
            deadline: .now() + relay.limits.streamInfoBudget, waitForBackoff: false, log: log, metrics: relay.metrics)
        self.connector = connector
        let loopBound = NIOLoopBound((self, connector), eventLoop: context.eventLoop)
        let log = self.log
        connector.run().whenSuccess { connection in
            let (session, connector) = loopBound.value
            session.connector = nil
            connection?.channel.close(promise: nil)
            guard session.state == .connecting else { return }
            if let connection, case .httpResponse(let bytes) = connection.reply, HTTPResponseScan.isUsableStreamInfo(bytes) {
                if let guid, !guid.isEmpty {
                    session.relay.pairings.remember(.init(peer: log.peerIP, machineGUID: guid), destination: connection.destination.raw)
                }
                log.child(.info, "stream_info: forwarded the answer of \(connection.destination.raw); this node's STREAM request will go there first",
                          code: 200, reason: "STREAM INFO")
                session.answerAndClose(bytes)
            } else {
                log.debug("stream_info: no usable answer from a parent (\(connector.failureSummary)); answering 404")
                session.answerAndClose(HTTPAnswers.streamInfoNotFound(hostID: hostID))
            }
        }
    }

    // MARK: Closing

    /// Writes `bytes` in one write, then closes.
    private func answerAndClose(_ bytes: [UInt8]) {
        guard let context else { return }
        state = .closing
        let channel = context.channel
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
    }

    private func closeAll() {
        state = .closing
        connector?.cancel()
        connector = nil
        context?.close(promise: nil)
    }
}

/// Three decimals, without Foundation.
func format3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}
