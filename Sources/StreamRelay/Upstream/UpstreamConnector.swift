import NIOCore
import NIOPosix
import NIOSSL
import StreamConfig

#if canImport(Glibc)
import Glibc
#endif

/// A parent that answered.
struct UpstreamConnection: Sendable {
    let channel: Channel
    let reply: UpstreamReply
    let destination: Destination
}

/// Tries the destinations in order until one answers, within a deadline (protocol.md 5.2):
/// skips destinations in back-off, gives each connect `connectTimeout`, installs TLS for `:SSL`
/// entries, sends the request and waits for the answer. A refused or timed-out connect, a TLS
/// failure, or a parent that closes without answering postpones that destination and moves on.
/// With `waitForBackoff`, when every destination is postponed it waits for the earliest one
/// (within the deadline) and tries again, so a restarting parent is picked up as soon as it
/// listens again. Runs entirely on `eventLoop` (the child's), so the upstream channel shares the
/// child's event loop and the splice needs no locks.
final class UpstreamConnector {
    struct Target {
        var destinations: [Destination]
        var defaultPort: Int
        var upstreamAPIKey: String?
        /// Port names the configuration uses, resolved when it was built.
        var servicePorts = ServicePorts()
    }

    private let eventLoop: EventLoop
    private let target: Target
    private let exchange: UpstreamExchange
    private let tlsContext: NIOSSLContext?
    private let backoff: DestinationBackoff
    private let limits: RelayLimits
    private let deadline: NIODeadline
    private let waitForBackoff: Bool
    private let log: ConnectionLog
    private let metrics: RelayMetrics
    private let promise: EventLoopPromise<UpstreamConnection?>
    private var lastError: String?
    private var cancelled = false
    private var completed = false
    private var current: Channel?
    /// A test's stand-in for `connectAndAsk`.
    private let customDial: Dial?

    init(eventLoop: EventLoop, target: Target, exchange: UpstreamExchange, tlsContext: NIOSSLContext?,
         backoff: DestinationBackoff, limits: RelayLimits, deadline: NIODeadline, waitForBackoff: Bool, log: ConnectionLog, metrics: RelayMetrics,
         dial: Dial? = nil) {
        self.eventLoop = eventLoop
        self.target = target
        self.exchange = exchange
        self.tlsContext = tlsContext
        self.backoff = backoff
        self.limits = limits
        self.deadline = deadline
        self.waitForBackoff = waitForBackoff
        self.log = log
        self.metrics = metrics
        self.promise = eventLoop.makePromise()
        self.customDial = dial
    }

    /// nil when no destination answered before the deadline (`lastError` says why).
    func run() -> EventLoopFuture<UpstreamConnection?> {
        eventLoop.assertInEventLoop()
        round()
        return promise.futureResult
    }

    var failureSummary: String { lastError ?? "no parent answered" }

    /// The child went away: stop trying and close what is open.
    func cancel() {
        eventLoop.assertInEventLoop()
        cancelled = true
        current?.close(promise: nil)
        if !completed {
            completed = true
            promise.succeed(nil)
        }
    }

    /// Tries the destinations from `index` on, in order, skipping those in back-off.
    private func round(from index: Int = 0) {
        guard !cancelled else { return }
        let now = eventLoop.now
        guard now < deadline else { return finish(nil) }
        if let next = target.destinations.indices.dropFirst(index).first(where: {
            backoff.postponedUntil(target.destinations[$0].raw, now: now) == nil
        }) {
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            attempt(target.destinations[next]).whenComplete { result in
                let connector = loopBound.value
                if case .success(let connection?) = result {
                    connector.finish(connection)
                } else {
                    connector.round(from: next + 1)
                }
            }
            return
        }
        // Every destination failed or is postponed: wait for the first to come back.
        guard waitForBackoff else { return finish(nil) }
        let due = target.destinations.compactMap { backoff.postponedUntil($0.raw, now: now) }.min() ?? (now + backoff.base)
        guard due < deadline else { return finish(nil) }
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.scheduleTask(deadline: due) { loopBound.value.round() }
    }

    private func finish(_ connection: UpstreamConnection?) {
        if cancelled || completed {
            connection?.channel.close(promise: nil)
            return
        }
        completed = true
        promise.succeed(connection)
    }

    /// One destination through `dial`: a success clears its back-off, a failure postpones it
    /// (logged and counted). nil (not an error) = failed.
    private func attempt(_ destination: Destination) -> EventLoopFuture<UpstreamConnection?> {
        let key = destination.raw
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        let dialled = customDial.map { $0(destination, deadline) } ?? connectAndAsk(destination, deadline: deadline)
        return dialled.map { connection -> UpstreamConnection? in
            loopBound.value.backoff.recordSuccess(key)
            return connection
        }.flatMapError { error in
            // Cancelled right after the connect: not the parent's fault.
            if error is DialCancelled { return loopBound.value.eventLoop.makeSucceededFuture(nil) }
            let failure = error as? DialFailure
            return loopBound.value.failed(destination, Self.describe(failure?.error ?? error), address: failure?.address)
        }.always { _ in
            loopBound.value.current = nil
        }
    }

    /// Connects to a destination, sends the request and waits for the answer (all by
    /// `deadline`); fails with the reason, wrapped in `DialFailure` once a peer address is known.
    typealias Dial = (Destination, _ deadline: NIODeadline) -> EventLoopFuture<UpstreamConnection>

    /// The child went away while the connection was being made.
    struct DialCancelled: Error {}

    /// A failed attempt after the connection was made: the reason and the parent's address.
    struct DialFailure: Error {
        var error: any Error
        var address: SocketAddress?
    }

    /// The real dial: TCP or a UNIX socket, TLS for `:SSL` entries, the request, the answer.
    private func connectAndAsk(_ destination: Destination, deadline: NIODeadline) -> EventLoopFuture<UpstreamConnection> {
        let remaining = deadline - eventLoop.now
        let exchange = self.exchange
        let quiet = limits.answerQuietPeriod
        let tls: (context: NIOSSLContext, serverName: String?)?
        if destination.tls {
            guard let tlsContext else {
                return eventLoop.makeFailedFuture(UpstreamNoAnswer(description: "no TLS client context (see the configuration warning)"))
            }
            tls = (tlsContext, Self.isIPAddress(destination.host) ? nil : destination.host)
        } else {
            tls = nil
        }

        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(min(limits.connectTimeout, remaining))
            .channelInitializer { channel in
                do {
                    try SpliceHandler.setOptions(of: channel, side: .parent, tls: tls != nil)
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(try NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverName))
                    }
                    try sync.addHandler(UpstreamAnswerHandler(exchange: exchange, eventLoop: channel.eventLoop,
                                                              quietPeriod: quiet, deadline: deadline))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }

        let connected: EventLoopFuture<Channel>
        switch destination.transport {
        case .unix:
            connected = bootstrap.connect(unixDomainSocketPath: destination.host)
        case .tcp, .udp:
            guard let port = target.servicePorts.port(destination.port, default: target.defaultPort) else {
                return eventLoop.makeFailedFuture(UpstreamNoAnswer(description: "cannot resolve port '\(destination.port ?? "")'"))
            }
            guard !destination.host.isEmpty else {
                return eventLoop.makeFailedFuture(UpstreamNoAnswer(description: "the destination does not specify a host"))
            }
            if destination.interface == nil, let address = try? SocketAddress(ipAddress: destination.host, port: port) {
                // An address literal needs no resolver (getaddrinfo costs more than the connect).
                connected = bootstrap.connect(to: address)
            } else {
                let host = destination.interface.map { "\(destination.host)%\($0)" } ?? destination.host
                connected = bootstrap.connect(host: host, port: port)
            }
        }

        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        return connected.flatMap { channel -> EventLoopFuture<UpstreamConnection> in
            let connector = loopBound.value
            connector.current = channel
            if connector.cancelled {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(DialCancelled())
            }
            // Happy Eyeballs may have raced several channels: each has its own handler.
            let reply: EventLoopFuture<UpstreamReply>
            do {
                reply = try channel.pipeline.syncOperations.handler(type: UpstreamAnswerHandler.self).reply
            } catch {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(UpstreamNoAnswer(description: "internal error: \(error)"))
            }
            var request = channel.allocator.buffer(capacity: exchange.request.count)
            request.writeBytes(exchange.request)
            channel.writeAndFlush(request, promise: nil)
            return reply.map { reply in
                UpstreamConnection(channel: channel, reply: reply, destination: destination)
            }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw DialFailure(error: error, address: channel.remoteAddress)
            }
        }
    }

    private func failed(_ destination: Destination, _ why: String, address: SocketAddress? = nil) -> EventLoopFuture<UpstreamConnection?> {
        let delay = backoff.recordFailure(destination.raw, now: eventLoop.now)
        lastError = "\(destination.raw): \(why)"
        if !cancelled {
            log.parent(.warning, "can't connect to a parent, last error: \(why) - will not retry it for \(formatSeconds(delay))",
                       destination: destination.raw, address: address, code: 503, reason: "CANT CONNECT",
                       apiKey: target.upstreamAPIKey, tls: destination.tls)
        }
        metrics.upstreamFailure(destination: destination.raw)
        return eventLoop.makeSucceededFuture(nil)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let error as UpstreamNoAnswer: return error.description
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAAAAError != nil || error.dnsAError != nil { return "cannot resolve host '\(error.host)'" }
            return "cannot connect to '\(error.host)'"
        case let error as IOError:
            if error.errnoCode == ECONNREFUSED { return "connection refused" }
            return String(describing: error)
        case let error as ChannelError:
            if case .connectTimeout(let amount) = error { return "timeout (\(formatSeconds(amount)))" }
            return String(describing: error)
        case is NIOSSLError, is BoringSSLError:
            let text = String(describing: error)
            if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
                return "invalid SSL certification (\(text))"
            }
            return "cannot establish SSL connection (\(text))"
        default: return String(describing: error)
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
