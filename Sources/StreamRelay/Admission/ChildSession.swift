import Logging
import NIOCore
import StreamConfig

/// One child connection from its first request to the splice, as a state machine with no
/// channels: events in (`ChildSession.received...`), actions out (`ChildSession.Action`), which
/// `ChildSessionHandler` executes. Each state carries the data only it needs.
///
/// 1. `awaitingRequest`: the first request from `HandshakeDecoder` is due within `requestTimeout`;
/// 2. `STREAM`: admission by the configuration in force (`Admission.decide`); a refusal answers
///    Netdata's exact sentence and closes; an admitted child asks for a slot (`reservingSlot`),
///    then stops being read while a parent is found (`connecting`) and the request goes up with
///    only `key` replaced;
/// 3. the parent's answer goes to the child in one write: a prompt starts the splice
///    (`splicing`), anything else is passed through verbatim and both sides close; no answer at
///    all closes the child without one (the child then reports "remote netdata does not respond",
///    as with a dead parent);
/// 4. `GET /api/v3/stream_info`: forwarded to the parent, or answered with a synthesized 404 JSON;
///    other HTTP requests get an HTTP error.
struct ChildSession {
    enum State {
        case awaitingRequest
        /// Admitted by the configuration; waiting for a connection slot.
        case reservingSlot(Admitted)
        /// Waiting for a parent; the child is not read, bytes it sent anyway are kept.
        case connecting(Connecting)
        case splicing
        case closing
    }

    /// A request the configuration admits, before it holds a slot.
    enum Admitted {
        case stream(request: StreamRequest, plan: UpstreamPlan, upstreamKey: String, file: String, filter: ChartFilter?)
        case streamInfo(head: HTTPRequestHead, plan: UpstreamPlan, machineGUID: String?)
    }

    struct Connecting {
        enum Purpose: Equatable {
            /// A `STREAM` request, forwarded with this key; its charts filtered by `filter`.
            case stream(upstreamKey: String, filter: ChartFilter?)
            /// A `stream_info` pre-flight for this node.
            case streamInfo(machineGUID: String?)
        }

        var purpose: Purpose
        /// What the child sent after its request (a real child sends nothing).
        var early: ByteBuffer?
    }

    /// A line of the connection's log (`ConnectionLog`).
    enum Note: Equatable {
        case child(Logger.Level, String, code: Int, reason: String)
        case parent(Logger.Level, String, destination: String, code: Int, reason: String?, apiKey: String?)
        case debug(String)
    }

    /// What the handler does, in order.
    enum Action: Equatable {
        case log(Note)
        /// Counts a refused child under this reason.
        case countRefusal(String)
        case cancelRequestTimer
        /// Stops reading the child (while a parent is found).
        case stopReading
        /// Asks the shared slot table for a slot; answer with `slotReserved`.
        case reserveSlot(machineGUID: String?)
        /// Finds a parent for the STREAM request (answer with `upstreamAnswered`).
        case connectUpstream(request: [UInt8], destinations: [Destination], defaultPort: Int, upstreamKey: String)
        /// Forwards the pre-flight (answer with `streamInfoAnswered`).
        case forwardStreamInfo(request: [UInt8], destinations: [Destination], defaultPort: Int)
        case rememberPairing(machineGUID: String, destination: String)
        /// Closes the parent connection the connector handed over.
        case closeUpstream
        /// Writes these bytes in one write, then closes the child.
        case answerAndClose([UInt8])
        /// Stops the connector and closes the child.
        case closeAll
        /// Stops the connector (the child is closed already).
        case cancelUpstream
        /// Hands the child and the parent to `SpliceAssembler` (the parent's answer first, then
        /// the child's early bytes to the parent); with a filter, the child's stream goes
        /// through `ChartFilterHandler`.
        case startSplice(answer: [UInt8], early: ByteBuffer?, destination: String, handshakeSeconds: Double, filter: FilteredLeg?)
        /// Passes the event on (`userInboundEventTriggered`).
        case forwardEvent
    }

    /// What the parent connector came back with, for a STREAM request.
    enum UpstreamOutcome {
        /// No parent answered (the connector's last error).
        case noParent(String)
        /// A connection whose reply is not a STREAM answer.
        case notAnAnswer
        case answer(ParentAnswer, destination: String)
    }

    let limits: RelayLimits
    /// Our `host_id` in synthesized `stream_info` answers.
    let hostID: String
    /// When the connection was accepted (`eventLoop.now`).
    let started: NIODeadline
    private(set) var state = State.awaitingRequest

    init(limits: RelayLimits, hostID: String, started: NIODeadline) {
        self.limits = limits
        self.hostID = hostID
        self.started = started
    }

    var isConnecting: Bool {
        if case .connecting = state { return true }
        return false
    }

    // MARK: Events

    /// The first request did not come within `requestTimeout`.
    mutating func requestTimedOut() -> [Action] {
        guard case .awaitingRequest = state else { return [] }
        state = .closing
        return [.log(.child(.notice, "closing: no complete request within \(formatSeconds(limits.requestTimeout))", code: 408, reason: "REQUEST TIMEOUT")),
                .countRefusal("requestTimeout"), .closeAll]
    }

    /// Bytes after the first request.
    mutating func receivedBytes(_ bytes: ByteBuffer) -> [Action] {
        guard case .connecting(var connecting) = state else { return [] }
        var bytes = bytes
        if (connecting.early?.readableBytes ?? 0) + bytes.readableBytes > limits.maxEarlyChildBytes {
            state = .closing
            return [.log(.child(.warning, "closing: the child sent more than \(limits.maxEarlyChildBytes) bytes before the parent's answer",
                                code: 413, reason: "TOO MUCH EARLY DATA")), .closeAll]
        }
        if connecting.early == nil {
            connecting.early = bytes
        } else {
            connecting.early?.writeBuffer(&bytes)
        }
        state = .connecting(connecting)
        return []
    }

    /// The first request: a STREAM request is decided by `configuration` (read once, here: a
    /// reload never changes a decision half-way).
    mutating func receivedRequest(_ message: HandshakeMessage, configuration: RelayConfiguration, peerIP: String) -> [Action] {
        guard case .awaitingRequest = state else { return [] }
        switch message {
        case .stream(let request):
            return [.cancelRequestTimer] + admit(request, configuration: configuration, peerIP: peerIP)
        case .streamInfo(let head):
            let guid = head.queryValue("machine_guid")
            let plan = ProxyCascade.resolveWithoutKey(ini: configuration.ini, target: configuration.target, machineGUID: guid)
            guard !plan.destinations.isEmpty else {
                state = .closing
                return [.cancelRequestTimer, .log(.debug("stream_info: no parent configured; answering 404")),
                        .answerAndClose(HTTPAnswers.streamInfoNotFound(hostID: hostID))]
            }
            state = .reservingSlot(.streamInfo(head: head, plan: plan, machineGUID: guid))
            return [.cancelRequestTimer, .reserveSlot(machineGUID: nil)]
        case .otherHTTP(let head):
            state = .closing
            return [.cancelRequestTimer, .log(.debug("HTTP \(head.method) \(head.path): not served")),
                    .answerAndClose(head.method == "GET" || head.method == "HEAD" ? HTTPAnswers.notFound : HTTPAnswers.methodNotAllowed)]
        case .rejected(let why):
            state = .closing
            let (answer, text) = Self.rejection(why, limits: limits)
            return [.cancelRequestTimer, .log(.child(.notice, "rejecting connection; \(text)", code: 400, reason: "BAD REQUEST")),
                    .countRefusal("badRequest"), .answerAndClose(answer)]
        case .bytes(let bytes):
            return receivedBytes(bytes)
        }
    }

    private mutating func admit(_ request: StreamRequest, configuration: RelayConfiguration, peerIP: String) -> [Action] {
        let target = configuration.target
        let apiKey = request.value("key", target: target)
        let machineGUID = request.value("machine_guid", target: target)
        let answer: AdmissionTable.Answer
        if request.values("key").count > 1 {
            answer = .init(decision: .refuse(.invalidKey))
        } else if request.values("machine_guid").count > 1 {
            answer = .init(decision: .refuse(.invalidMachineGUID))
        } else {
            let admission = AdmissionRequest(apiKey: apiKey, hostname: request.value("hostname", target: target),
                                             machineGUID: machineGUID, hops: request.value("hops", target: target),
                                             peerAddress: peerIP)
            // The table made at load answers the usual child; the rest is decided here.
            answer = configuration.admission.decide(admission) ?? Self.decide(admission, configuration: configuration)
        }
        switch answer.decision {
        case .refuse(let refusal):
            state = .closing
            return [.log(.child(.warning, "rejecting streaming connection; \(refusal.message) (\(refusal.reasonWord))",
                                code: refusal.responseCode, reason: refusal.status)),
                    .countRefusal(refusal.rawValue), .answerAndClose(Array(refusal.answer.utf8))]
        case .accept(let plan):
            // An accepted plan names the key it forwards with; a plan without one is refused as
            // the configuration's fault, never trusted blindly.
            guard let upstreamKey = plan.apiKey?.value else {
                state = .closing
                return [.log(.child(.error, "the configuration admits the child but names no API key for the parent", code: 500, reason: "INTERNAL ERROR")),
                        .countRefusal("noUpstreamKey"), .closeAll]
            }
            state = .reservingSlot(.stream(request: request, plan: plan, upstreamKey: upstreamKey, file: configuration.file,
                                           filter: answer.chartFilter))
            return [.reserveSlot(machineGUID: machineGUID)]
        }
    }

    /// `Admission.decide` for what `AdmissionTable` does not cover, with the plan's chart filter:
    /// nil when `*` comes first (the default: such a child stays on the zero-parse splice).
    static func decide(_ request: AdmissionRequest, configuration: RelayConfiguration) -> AdmissionTable.Answer {
        let decision = Admission.decide(request, ini: configuration.ini, target: configuration.target)
        guard case .accept(let plan) = decision else { return .init(decision: decision) }
        let filter = plan.chartFilter(target: configuration.target)
        return .init(decision: decision, chartFilter: filter.sendsEverything ? nil : filter)
    }

    /// The slot table's answer; `answeredBefore` is the parent that answered this node's
    /// `stream_info` (tried first).
    mutating func slotReserved(_ granted: Bool, answeredBefore: String? = nil) -> [Action] {
        guard case .reservingSlot(let admitted) = state else { return [] }
        guard granted else {
            state = .closing
            switch admitted {
            case .stream:
                return [.log(.child(.warning, "rejecting streaming connection; the relay serves \(limits.maxConnections) connections already (--max-connections)",
                                    code: 503, reason: "RELAY FULL")),
                        .countRefusal("maxConnections"), .answerAndClose(Array(StreamAnswer.tooBusy.utf8))]
            case .streamInfo:
                return [.log(.child(.warning, "stream_info: the relay serves \(limits.maxConnections) connections already (--max-connections); answering 503",
                                    code: 503, reason: "RELAY FULL")),
                        .countRefusal("maxConnections"), .answerAndClose(HTTPAnswers.serviceUnavailable)]
            }
        }
        switch admitted {
        case .stream(let request, var plan, let upstreamKey, let file, let filter):
            var pairing = ""
            if let answeredBefore, let reordered = StreamInfoPairings.ordered(plan.destinations, preferring: answeredBefore) {
                plan.destinations = reordered
                pairing = " (\(answeredBefore) first: it answered this node's stream_info)"
            }
            let destinations = plan.destinations.map(\.raw).joined(separator: " ")
            // Compression. A filtered child's stream must be read as text. Of the ways there
            // (protocol.md 3.4), the relay takes the one that needs a single encoder and no
            // decoder: it offers the parent the child's `ver` with LZ4 as the only codec, and if
            // the parent picks LZ4 the relay gives the child the answer without it
            // (`upstreamAnswered`). The child then sends plain text, which the relay filters and
            // compresses toward the parent itself (`LZ4StreamEncoder`), so the parent's leg
            // stays compressed. Decoding the child's stream instead would need four decoders
            // (LZ4, ZSTD, BROTLI, GZIP) with long-lived state per child; a relay usually sits
            // near its children. Children that are not filtered keep whatever compression they
            // negotiate with the parent, end to end, untouched. `enable compression = no` for
            // this child offers no compression at all.
            let offer: StreamRequest.CompressionOffer = !plan.compression ? .none : filter != nil ? .lz4Only : .asOffered
            var notes = ""
            if filter != nil, let setting = plan.sendChartsMatching {
                notes += "; sending only the charts matching '\(setting.value)' (\(Self.describe(setting.source)))"
            }
            if !plan.compression {
                notes += "; uncompressed (enable compression = no, \(plan.compressionSetting.map { Self.describe($0.source) } ?? "default"))"
            }
            state = .connecting(Connecting(purpose: .stream(upstreamKey: upstreamKey, filter: filter)))
            return [.log(.child(.info, "accepted by \(file); forwarding to '\(destinations)'\(pairing) with API key \(SecretMasker.mask(upstreamKey))\(notes)",
                                code: 200, reason: "ACCEPTED")),
                    .stopReading,
                    .connectUpstream(request: request.replacingKey(with: upstreamKey, compression: offer), destinations: plan.destinations,
                                     defaultPort: plan.defaultPort, upstreamKey: upstreamKey)]
        case .streamInfo(let head, let plan, let machineGUID):
            state = .connecting(Connecting(purpose: .streamInfo(machineGUID: machineGUID)))
            return [.stopReading, .forwardStreamInfo(request: head.bytes, destinations: plan.destinations, defaultPort: plan.defaultPort)]
        }
    }

    /// The connector's result for a STREAM request, at `now` (`eventLoop.now`).
    mutating func upstreamAnswered(_ outcome: UpstreamOutcome, now: NIODeadline) -> [Action] {
        guard case .connecting(let connecting) = state, case .stream(let upstreamKey, let filter) = connecting.purpose else {
            return [.closeUpstream]
        }
        switch outcome {
        case .noParent(let summary):
            state = .closing
            return [.log(.child(.error, "no parent answered within \(formatSeconds(limits.upstreamBudget)) (last error: \(summary)); closing without an answer",
                                code: 503, reason: "NO PARENT AVAILABLE")),
                    .countRefusal("noParentAvailable"), .closeAll]
        case .notAnAnswer:
            state = .closing
            return [.closeUpstream, .closeAll]
        case .answer(let answer, let destination):
            if answer.isPrompt {
                state = .splicing
                let seconds = Double((now - started).nanoseconds) / 1e9
                // A filtered child whose parent chose LZ4 is told no compression; the relay compresses.
                let compress = filter != nil && answer.choseLZ4
                let toChild = compress ? answer.withoutCompression() : answer
                let note = compress ? "; the relay compresses toward it with LZ4 and answers the child '\(toChild.text)'" : ""
                return [.log(.parent(.info, "connected to parent, answer '\(answer.text)'\(note)", destination: destination, code: 200, reason: nil, apiKey: upstreamKey)),
                        .startSplice(answer: toChild.bytes, early: connecting.early, destination: destination, handshakeSeconds: seconds,
                                     filter: filter.map { FilteredLeg(filter: $0, compressUpstream: compress) })]
            }
            state = .closing
            return [.log(.parent(.warning, "the parent answered '\(answer.text)': \(answer.childReaction)", destination: destination,
                                 code: answer.responseCode, reason: "PARENT REFUSED", apiKey: upstreamKey)),
                    .log(.child(.warning, "the parent at \(destination) refused the child; passing its answer through",
                                code: answer.responseCode, reason: "PARENT REFUSED")),
                    .countRefusal("parentRefused"), .closeUpstream, .answerAndClose(answer.bytes)]
        }
    }

    /// The connector's result for a `stream_info` pre-flight: a usable response and who sent
    /// it, or why there is none.
    mutating func streamInfoAnswered(_ response: (bytes: [UInt8], destination: String)?, failure: String) -> [Action] {
        guard case .connecting(let connecting) = state, case .streamInfo(let guid) = connecting.purpose else { return [] }
        state = .closing
        guard let response else {
            return [.log(.debug("stream_info: no usable answer from a parent (\(failure)); answering 404")),
                    .answerAndClose(HTTPAnswers.streamInfoNotFound(hostID: hostID))]
        }
        var actions: [Action] = []
        if let guid, !guid.isEmpty { actions.append(.rememberPairing(machineGUID: guid, destination: response.destination)) }
        actions.append(.log(.child(.info, "stream_info: forwarded the answer of \(response.destination); this node's STREAM request will go there first",
                                   code: 200, reason: "STREAM INFO")))
        actions.append(.answerAndClose(response.bytes))
        return actions
    }

    /// The child ended its side (`ChannelEvent.inputClosed`).
    mutating func inputClosed() -> [Action] {
        switch state {
        case .awaitingRequest, .reservingSlot:
            // A peer that ends its side before its request is complete has left: its slot is
            // freed now, not at --request-timeout.
            state = .closing
            return [.log(.debug("closed by the peer before a complete request")), .closeAll]
        case .connecting(let connecting) where !connecting.isStreamInfo:
            state = .closing
            return [.log(Self.childLeft), .closeAll]
        case .connecting, .splicing, .closing:
            // A pre-flight sender may end its side after the request (HTTP allows it): it still
            // gets its answer, within --stream-info's own budget.
            return [.forwardEvent]
        }
    }

    /// The drain period after SIGTERM/SIGINT ended with this connection still open.
    mutating func drainEnded() -> [Action] {
        if case .closing = state { return [.forwardEvent] }
        state = .closing
        return [.log(.child(.notice, "closing: \(RelayDrainEnded.reason)", code: 503, reason: "RELAY STOPPING")), .closeAll]
    }

    /// The child's connection closed.
    mutating func channelInactive() -> [Action] {
        let wasConnecting = isConnecting
        state = .closing
        return (wasConnecting ? [.log(Self.childLeft)] : []) + [.cancelUpstream]
    }

    /// An error on the child's connection; `tlsHandshake` when it came from the TLS layer.
    mutating func errorCaught(_ description: String, tlsHandshake: Bool) -> [Action] {
        var actions: [Action]
        if case .awaitingRequest = state, tlsHandshake {
            // Someone started TLS and did not finish it: a wrong CA, an old client, a scanner.
            actions = [.log(.child(.info, "TLS handshake failed: \(description)", code: 400, reason: "TLS HANDSHAKE FAILED")),
                       .countRefusal("tlsHandshake")]
        } else {
            actions = [.log(.debug("connection error: \(description)"))]
        }
        state = .closing
        actions.append(.closeAll)
        return actions
    }

    /// `line 12 of [KEY]` for a value's source.
    static func describe(_ source: ValueSource) -> String {
        switch source {
        case .file(let line, let section, let key):
            return "`\(key)`, line \(line) of [\(UUIDSyntax.classify(section) == .canonical ? SecretMasker.mask(section) : section)]"
        case .builtInDefault: return "default"
        }
    }

    private static let childLeft = Note.child(.notice, "the child closed the connection while the relay was connecting to a parent",
                                               code: 499, reason: "CHILD LEFT")

    static func rejection(_ why: HandshakeRejection, limits: RelayLimits) -> (answer: [UInt8], text: String) {
        switch why {
        case .notARequest: return (HTTPAnswers.badRequest, "not a STREAM or HTTP request")
        case .tooLarge: return (HTTPAnswers.tooLarge, "request larger than \(limits.maxRequestBytes) bytes")
        case .badRequestLine: return (HTTPAnswers.badRequest, "malformed HTTP request line")
        case .malformedStream(.badEncoding): return (HTTPAnswers.urlNotValid, "STREAM request with invalid URL encoding")
        case .malformedStream(.noHTTPVersion): return (HTTPAnswers.badRequest, "STREAM request without HTTP version")
        case .malformedStream(.encodedSeparator):
            return (HTTPAnswers.badRequest, "STREAM request with an encoded '&' (%26) in a parameter")
        }
    }
}

extension ChildSession.Connecting {
    var isStreamInfo: Bool {
        if case .streamInfo = purpose { return true }
        return false
    }
}
