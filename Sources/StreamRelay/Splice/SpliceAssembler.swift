import Logging
import NIOCore
import StreamConfig

/// Turns an admitted child and the parent that answered it into a splice: removes the child's
/// session handler and the parent's answer handler, installs the two `SpliceHandler` halves
/// (the parent's bytes that came after its answer go first), writes the parent's answer to the
/// child in one write and the child's early bytes to the parent, and resumes reading the child.
/// The child's half logs the disconnect with the byte counts when the child's connection closes.
enum SpliceAssembler {
    struct Parts {
        var child: Channel
        var upstream: Channel
        /// The handler to take out of the child's pipeline once the splice is in place.
        var session: ChildSessionHandler
        var answer: [UInt8]
        var early: ByteBuffer?
        var destination: String
        var handshakeSeconds: Double
        /// When the child connected (`eventLoop.now`).
        var started: NIODeadline
        /// The charts to forward, when not all of them, and whether to compress them (`ChartFilterHandler`).
        var filter: FilteredLeg?
    }

    /// Runs on the child's event loop (the parent's connection shares it), at once: the child is
    /// not being read (the session stopped reading it), and the parent's answer handler has
    /// stopped reading the parent. It runs inside that answer handler's callback (the reply's
    /// promise is completed there), and removes it: what the handler would pass on after that
    /// goes nowhere, which is harmless, as the parent's half starts held.
    static func start(_ parts: Parts, relay: RelayContext, log: ConnectionLog) {
        let child = parts.child
        let upstream = parts.upstream
        guard child.isActive, upstream.isActive,
              let answerHandler = try? upstream.pipeline.syncOperations.handler(type: UpstreamAnswerHandler.self) else {
            log.child(.warning, "a side closed before the splice started", code: 499, reason: "CLOSED EARLY")
            upstream.close(promise: nil)
            child.close(promise: nil)
            return
        }
        var childHalf: SpliceHandler?
        do {
            let (childSide, parentHalf) = SpliceHandler.pair(parentLeftover: answerHandler.takeLeftover(),
                                                              coalesce: relay.limits.readCoalescing, metrics: relay.metrics,
                                                              idle: relay.idleTimeouts(on: child.eventLoop))
            childHalf = childSide
            let filterHandler = parts.filter.map {
                ChartFilterHandler(filter: $0.filter, compressUpstream: $0.compressUpstream, maxLineBytes: relay.limits.maxFilteredLineBytes)
            }
            childSide.reportClose(SpliceHandler.Report(log: log, started: parts.started, filter: filterHandler))
            _ = upstream.pipeline.syncOperations.removeHandler(answerHandler)
            try upstream.pipeline.syncOperations.addHandler(parentHalf)
            try child.pipeline.syncOperations.addHandler(childSide)

            var buffer = child.allocator.buffer(capacity: parts.answer.count)
            buffer.writeBytes(parts.answer)
            child.writeAndFlush(buffer, promise: nil)
            // Installed after the answer went out: the filter follows the parent's lines from
            // the first one after it.
            if let filterHandler { try child.pipeline.syncOperations.addHandler(filterHandler, position: .before(childSide)) }
            if let early = parts.early {
                if let filterHandler {
                    if let passed = try filterHandler.filterEarly(early, allocator: child.allocator) { upstream.writeAndFlush(passed, promise: nil) }
                } else {
                    upstream.writeAndFlush(early, promise: nil)
                }
            }

            _ = child.pipeline.syncOperations.removeHandler(parts.session)
            try child.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            log.child(.info, "connected and ready to receive data, forwarded to \(parts.destination) (handshake \(format3(parts.handshakeSeconds))s)",
                      code: 200, reason: "CONNECTED")
            relay.metrics.handshakeCompleted(seconds: parts.handshakeSeconds)
        } catch {
            // One closing line per child: the child's half has written its disconnect line if the
            // child's connection closed meanwhile (its answer could not be written); otherwise
            // this one, instead of it.
            if childHalf?.withdrawReport() ?? true {
                log.child(.error, "cannot start the splice: \(error)", code: 500, reason: "INTERNAL ERROR")
            }
            upstream.close(promise: nil)
            child.close(promise: nil)
        }
    }

    /// The disconnect line, when the child's connection has closed.
    static func logDisconnect(_ report: SpliceHandler.Report, child childHalf: SpliceHandler, parent parentHalf: SpliceHandler?,
                              now: NIODeadline) {
        let reason = childHalf.closeReason ?? parentHalf?.closeReason ?? "closed"
        let connected = Double((now - report.started).nanoseconds) / 1e9
        var filtered = ""
        if let filterHandler = report.filter {
            let charts = filterHandler.filter.chartCounts
            filtered = " charts_sent=\(charts.sent)/\(charts.all) lines_dropped=\(filterHandler.filter.droppedLines) replay_answers=\(filterHandler.repliesWritten)"
            if let encoder = filterHandler.encoder { filtered += " lz4_in=\(encoder.bytesIn) lz4_out=\(encoder.bytesOut)" }
        }
        // bytes_in counts what the child sent that went on to the parent (after the filter,
        // and compressed when lz4_in/lz4_out say so: text in, blocks out).
        report.log.child(.notice, "receiver disconnected: reason=\"\(reason)\" bytes_in=\(childHalf.bytesRead) bytes_out=\(parentHalf?.bytesRead ?? 0) connected=\(Int(connected))s\(filtered)",
                         code: 200, reason: "DISCONNECTED")
    }
}
