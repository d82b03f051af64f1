import NIOCore

/// One half of a splice between the child's channel and the parent's (the "glue handler"
/// pattern of NIO's connect-proxy example). Both halves live on the same event loop.
///
/// - Back-pressure: a side reads only while its partner is writable; when the partner becomes
///   writable again, the pending read is issued. So at most one read's worth is queued.
/// - Half-close: EOF from one side becomes `close(mode: .output)` on the other; a channel is
///   closed once both of its directions are done.
/// - Errors and closes: either side going away closes the other.
/// - Coalescing (child side): a Netdata child sends each chart update on its own, thousands of
///   small sends a second. After a read cycle that moved less than `smallCycleBytes`, the next
///   read waits until `coalesce` has passed since that cycle, so one cycle moves many updates
///   (one read, one write) instead of one each. Bulk traffic (large cycles) is read at once.
/// - The parent side starts "held": it reads nothing until the child has sent its first byte
///   after the parent's answer, so nothing from the parent can reach the child in the same
///   `recv` as the answer (protocol.md 1.5). Bytes the parent sent with its answer are
///   delivered then.
/// - Idle timeout (child side, with `idle`): bytes read on either side are activity; a splice
///   that moves nothing for `idle.timeout` is closed ("idle timeout"). One `IdleTimeouts` wheel
///   per event loop watches every child side, so an idle splice holds no timer of its own.
final class SpliceHandler: ChannelDuplexHandler, RemovableChannelHandler, IdleWatched {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Side: String { case child, parent }

    let side: Side
    private let metrics: RelayMetrics
    private var partner: SpliceHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var held: Bool
    /// Parent side: bytes to give the child once it has spoken.
    private var heldForPartner: ByteBuffer?
    private var inputClosed = false
    private var outputClosed = false
    /// Bytes read from this side's peer.
    private(set) var bytesRead = 0
    private(set) var closeReason: String?
    /// Parent bytes kept while held, at most.
    static let maxHeldBytes = 64 * 1024

    /// Reads grow with the traffic up to this size (NIO's adaptive allocator doubles the read
    /// size after a read that filled it; 64 KiB by default), so a busy stream is moved in few,
    /// large reads.
    ///
    /// NIO keeps each channel's last read buffer for the next read (`NIOPooledRecvBufferAllocator`),
    /// at the largest size that channel has read, for as long as the channel is open: an idle
    /// splice holds one buffer per side. Both sides' first reads are therefore small and grow
    /// only with what the peer sends: the child's from `ChildSessionHandler.firstReadBytes` (its
    /// 1.4 KB request leaves 1 KiB), the parent's, in plaintext, from 128 bytes (a parent sends
    /// its answer and then little: replication requests, functions).
    static let maximumReadBytes = 256 * 1024
    /// The child's connection, from its first read (the request) on.
    static let childReadAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: ChildSessionHandler.firstReadBytes,
                                                                    maximum: maximumReadBytes)
    /// The parent's connection, from its first read (the answer) on. Over TLS the first reads
    /// carry the parent's handshake (certificates: kilobytes), so they start at NIO's 2 KiB.
    static func upstreamReadAllocator(tls: Bool) -> AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: tls ? 2048 : 128, maximum: maximumReadBytes)
    }
    /// A side stops reading while its partner has more than `high` bytes queued, and resumes
    /// below `low`: at most about one read plus `high` is buffered per direction. Both channels
    /// are made with it (`setOptions`): it matters only once they are spliced.
    static let writeWatermarks = ChannelOptions.Types.WriteBufferWaterMark(low: 128 * 1024, high: 256 * 1024)

    /// A side's channel options, from the moment its channel is made: half-closure, the read
    /// sizes and write watermarks above, and TCP_NODELAY for the child (`ClientBootstrap` sets it
    /// on the parent's TCP connection itself), so small writes go out at once. Called from the
    /// channel initializers (`RelayServer`, `UpstreamConnector`): set synchronously there, where
    /// bootstrap options would be applied one future chain per option (about a dozen allocations
    /// each, measured) on every connection. TCP_NODELAY is a TCP-level option:
    /// `socketOption(.tcp_nodelay)` is SOL_SOCKET's option 1, SO_DEBUG, which needs
    /// CAP_NET_ADMIN (an unprivileged relay, as the packaged unit runs it, closed every child).
    static func setOptions(of channel: Channel, side: Side, tls: Bool = false) throws {
        guard let options = channel.syncOptions else { return }
        try options.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        try options.setOption(ChannelOptions.recvAllocator, value: side == .child ? childReadAllocator : upstreamReadAllocator(tls: tls))
        try options.setOption(ChannelOptions.writeBufferWaterMark, value: writeWatermarks)
        if side == .child { try options.setOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1) }
    }

    /// Reads at most once per this interval after a small cycle (`.zero`: never wait).
    private let coalesce: TimeAmount
    /// A read cycle that moved fewer bytes than this is "small".
    static let smallCycleBytes = 64 * 1024
    private var cycleBytes = 0
    private var lastSmallCycle: NIODeadline?
    private var delayedRead: Scheduled<Void>?

    /// Child side: the wheel that closes the splice when it has been idle too long.
    private let idle: IdleTimeouts?
    /// Child side: when either side last read bytes (both sides write it here).
    private(set) var lastActivity: NIODeadline = .uptimeNanoseconds(0)
    var idleHandle: TimerWheel<any IdleWatched>.Handle?

    private init(side: Side, held: Bool, heldForPartner: ByteBuffer?, coalesce: TimeAmount, metrics: RelayMetrics, idle: IdleTimeouts?) {
        self.side = side
        self.coalesce = coalesce
        self.metrics = metrics
        self.held = held
        self.heldForPartner = heldForPartner
        self.idle = idle
    }

    /// The two halves, wired to each other. `parentLeftover`: bytes that followed the answer.
    /// `coalesce`: how long the child side waits between small read cycles (`.zero`: never).
    /// `idle`: the child's event loop's idle timeouts (nil: no idle timeout).
    static func pair(parentLeftover: ByteBuffer?, coalesce: TimeAmount = .zero, metrics: RelayMetrics,
                     idle: IdleTimeouts? = nil) -> (child: SpliceHandler, parent: SpliceHandler) {
        let child = SpliceHandler(side: .child, held: false, heldForPartner: nil, coalesce: coalesce, metrics: metrics, idle: idle)
        let parent = SpliceHandler(side: .parent, held: true, heldForPartner: parentLeftover, coalesce: .zero, metrics: metrics, idle: nil)
        child.partner = parent
        parent.partner = child
        return (child, parent)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let idle, context.channel.isActive {
            lastActivity = context.eventLoop.now
            idle.watch(self)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        delayedRead?.cancel()
        delayedRead = nil
        idle?.unwatch(self)
        self.context = nil
        self.partner = nil
    }

    /// Bytes moved on either side (the child side keeps the time).
    private func noteActivity(_ context: ChannelHandlerContext) {
        let target = side == .child ? self : partner
        if let target, target.idle != nil { target.lastActivity = context.eventLoop.now }
    }

    /// Child side: what to log when the child's connection closes (set once the splice is up).
    struct Report {
        var log: ConnectionLog
        /// When the child connected (`eventLoop.now`).
        var started: NIODeadline
        var filter: ChartFilterHandler?
    }

    private var report: Report?

    /// Child side: logs the disconnect, with both sides' byte counts, when the child's connection
    /// closes (`SpliceAssembler.logDisconnect`). Kept here rather than in a close callback: an
    /// idle splice then holds no closure.
    func reportClose(_ report: Report) {
        self.report = report
    }

    /// Child side: no disconnect line after all (the set-up failed and says so itself). False
    /// when the line was written already (the child's connection closed meanwhile).
    func withdrawReport() -> Bool {
        defer { report = nil }
        return report != nil
    }

    func idleTimedOut() {
        guard let context, context.channel.isActive else { return }
        closeReason = "idle timeout"
        partner?.partnerClosed(reason: "idle timeout")
        context.close(promise: nil)
    }

    // MARK: Calls from the partner

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private func partnerWriteEOF() {
        guard let context, !outputClosed else { return }
        outputClosed = true
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { _ in channel.close(promise: nil) }
        context.close(mode: .output, promise: promise)
        if inputClosed { context.close(promise: nil) }
    }

    /// The first reason either side saw is the reason of both: a child that ends its stream
    /// is why the parent then closes, not the other way round.
    private func noteFirstReason(_ reason: String) {
        if closeReason == nil { closeReason = reason }
        if let partner, partner.closeReason == nil { partner.closeReason = reason }
    }

    private func partnerClosed(reason: String) {
        if closeReason == nil { closeReason = reason }
        context?.close(promise: nil)
    }

    private var partnerIsWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerBecameWritable() {
        if pendingRead, !held {
            pendingRead = false
            context?.read()
        }
    }

    /// The child has sent its first byte after the answer: the parent side may read now.
    private func release() {
        guard held, let context else { return }
        held = false
        if let bytes = heldForPartner, bytes.readableBytes > 0 {
            heldForPartner = nil
            count(bytes.readableBytes)
            partner?.partnerWrite(NIOAny(bytes))
            partner?.partnerFlush()
        }
        heldForPartner = nil
        if context.channel.isActive {
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
        if pendingRead, partner?.partnerIsWritable ?? false {
            pendingRead = false
            context.read()
        }
    }

    private func count(_ bytes: Int) {
        bytesRead += bytes
        if side == .child { metrics.bytesFromChildren(bytes) } else { metrics.bytesToChildren(bytes) }
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if held {
            // Normally nothing is read while held (autoRead is off); a read already under way is kept.
            var bytes = unwrapInboundIn(data)
            if (heldForPartner?.readableBytes ?? 0) + bytes.readableBytes > Self.maxHeldBytes {
                closeReason = "the parent sent more than \(Self.maxHeldBytes) bytes before the child spoke"
                partner?.partnerClosed(reason: closeReason!)
                context.close(promise: nil)
            } else if heldForPartner == nil {
                heldForPartner = bytes
            } else {
                heldForPartner!.writeBuffer(&bytes)
            }
            return
        }
        let bytes = unwrapInboundIn(data).readableBytes
        count(bytes)
        cycleBytes += bytes
        noteActivity(context)
        partner?.partnerWrite(data)
        if side == .child { partner?.release() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if coalesce > .zero {
            lastSmallCycle = cycleBytes < Self.smallCycleBytes ? context.eventLoop.now : nil
            cycleBytes = 0
        }
        partner?.partnerFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idle?.unwatch(self)
        if closeReason == nil { closeReason = "\(side.rawValue) closed the connection" }
        let partner = self.partner
        partner?.partnerClosed(reason: "\(side.rawValue) closed the connection")
        self.partner = nil
        if let report {
            self.report = nil
            SpliceAssembler.logDisconnect(report, child: self, parent: partner, now: context.eventLoop.now)
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            noteFirstReason("\(side.rawValue) ended its stream (EOF)")
            partner?.partnerWriteEOF()
            if outputClosed { context.close(promise: nil) }
        } else if event is RelayDrainEnded {
            closeReason = RelayDrainEnded.reason
            partner?.partnerClosed(reason: RelayDrainEnded.reason)
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if closeReason == nil { closeReason = "\(side.rawValue) error: \(error)" }
        partner?.partnerClosed(reason: "\(side.rawValue) error: \(error)")
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        guard !held, partner?.partnerIsWritable ?? false else {
            pendingRead = true
            return
        }
        guard let lastSmallCycle, delayedRead == nil else {
            if delayedRead == nil { context.read() }
            return
        }
        let due = lastSmallCycle + coalesce
        if due <= context.eventLoop.now {
            context.read()
            return
        }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        delayedRead = context.eventLoop.scheduleTask(deadline: due) {
            let handler = loopBound.value
            handler.delayedRead = nil
            handler.lastSmallCycle = nil
            if let context = handler.context { handler.read(context: context) }
        }
    }
}
