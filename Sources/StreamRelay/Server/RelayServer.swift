import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import StreamConfig
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every connection shares: the configuration in force (swapped whole on reload), the
/// back-off table, the limits and the logger.
final class RelayContext: Sendable {
    private let configurationBox: Mutex<RelayConfiguration>
    let backoff: DestinationBackoff
    let limits: RelayLimits
    let logger: Logger
    let metrics: RelayMetrics
    /// Our `host_id` in synthesized `stream_info` answers.
    let hostID: String

    /// Which connections hold which slot (handshake or admitted).
    let slots: ConnectionSlots
    /// Which parent answered a node's `stream_info`, for its STREAM request.
    let pairings = StreamInfoPairings()
    /// The spliced connections' idle timeouts, one wheel per event loop (`idleTimeouts(on:)`).
    private let idleTimeoutsByLoop = Mutex<[ObjectIdentifier: NIOLoopBound<IdleTimeouts>]>([:])

    init(configuration: RelayConfiguration, limits: RelayLimits, logger: Logger, metrics: RelayMetrics = RelayMetrics(),
         hostID: String = KeyGenerator.randomKey()) {
        self.configurationBox = Mutex(configuration)
        self.slots = ConnectionSlots(limits: .init(maxAdmitted: limits.maxConnections, maxPending: limits.maxPendingHandshakes,
                                                   maxPendingPerSource: limits.maxPendingHandshakesPerAddress),
                                     metrics: metrics)
        self.metrics = metrics
        self.backoff = DestinationBackoff(base: limits.backoffBase, maximum: limits.backoffMax)
        self.limits = limits
        self.logger = logger
        self.hostID = hostID
    }

    /// A connection reads this once, at admission: a reload never changes a decision half-way.
    var configuration: RelayConfiguration { configurationBox.withLock { $0 } }

    func swap(_ configuration: RelayConfiguration) {
        configurationBox.withLock { $0 = configuration }
    }

    /// The idle timeouts of the splices on `loop` (made on first use). Call on `loop`.
    func idleTimeouts(on loop: EventLoop) -> IdleTimeouts {
        let timeout = limits.idleTimeout
        return idleTimeoutsByLoop.withLock { table in
            if let existing = table[ObjectIdentifier(loop)] { return existing }
            let made = NIOLoopBound(IdleTimeouts(timeout: timeout, loop: loop), eventLoop: loop)
            table[ObjectIdentifier(loop)] = made
            return made
        }.value
    }
}

/// A listener that could not be opened.
public struct RelayStartError: Error, Sendable, CustomStringConvertible {
    public let address: String
    public let reason: String
    public var description: String { "cannot listen on \(address): \(reason)" }
}

/// The relay: listeners, the configuration, the connections and their lifecycle.
public final class RelayServer: Sendable {
    let context: RelayContext
    private let options: RelayOptions
    private let group: EventLoopGroup
    /// The children-facing TLS context; `reloadTLS` swaps it (connections accepted from then on
    /// use the new one, open ones keep theirs).
    private let serverTLS: Mutex<NIOSSLContext?>
    private let listeners = Mutex<[Channel]>([])
    /// Floods of refused connections and `accept` failures are logged at most once a second.
    private let refusalNotice = ThrottledNotice()
    private let acceptFailureNotice = ThrottledNotice()
    private let stopped: EventLoopPromise<Void>
    private let stopping = Mutex(false)

    /// `serverTLS` from `makeServerTLS` when children may use TLS.
    public init(configuration: RelayConfiguration, options: RelayOptions, serverTLS: NIOSSLContext?, logger: Logger,
                metrics: RelayMetrics = RelayMetrics(), group: EventLoopGroup) {
        self.context = RelayContext(configuration: configuration, limits: options.limits, logger: logger, metrics: metrics)
        self.options = options
        self.group = group
        self.serverTLS = Mutex(serverTLS)
        self.stopped = group.next().makePromise()
    }

    /// The children-facing TLS context from the certificate chain and key files' bytes (PEM).
    /// Bytes, not paths: a caller that reads the files once to describe them serves exactly what
    /// it described.
    public static func makeServerTLS(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8]) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMBytes(certificateChainPEM).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        return try NIOSSLContext(configuration: configuration)
    }

    public var configuration: RelayConfiguration { context.configuration }

    /// Completes when the relay has stopped (after `shutdown`).
    public var stoppedFuture: EventLoopFuture<Void> { stopped.futureResult }

    public var connectionCount: Int { context.slots.count }

    public var metrics: RelayMetrics { context.metrics }

    /// Opens every listener; on a failure closes those already open and throws.
    /// Returns the bound addresses (useful with port 0).
    public func start() throws -> [SocketAddress] {
        var bound: [Channel] = []
        _ = DescriptorReserve.shared.isHeld
        for address in options.listen {
            do {
                let socket = try ListeningSocket.make(host: address.host, port: address.port)
                let channel = try bootstrap(listener: socket.fd).withBoundSocket(socket.fd).wait()
                bound.append(channel)
            } catch {
                for channel in bound { channel.close(promise: nil) }
                stopping.withLock { $0 = true }
                stopped.succeed(())
                throw RelayStartError(address: address.description, reason: Self.describe(error))
            }
        }
        listeners.withLock { $0 = bound }
        for channel in bound {
            context.logger.notice("listening on \(channel.localAddress.map { "\($0)" } ?? "?")\(serverTLS.withLock { $0 } != nil ? " (plaintext and TLS)" : "")")
        }
        return bound.compactMap(\.localAddress)
    }

    /// Uses `configuration` for every connection admitted from now on.
    public func reload(_ configuration: RelayConfiguration) {
        context.swap(configuration)
    }

    /// Serves this certificate to children that connect from now on (a relay started without
    /// TLS stays without: the listeners said so when they opened).
    public func reloadTLS(_ tls: NIOSSLContext) {
        serverTLS.withLock { current in
            if current != nil { current = tls }
        }
    }

    /// Stops accepting, lets open connections finish for `drainTimeout`, closes the rest.
    public func shutdown() {
        let first = stopping.withLock { state -> Bool in
            defer { state = true }
            return !state
        }
        guard first else { return }
        let open = listeners.withLock { channels -> [Channel] in
            defer { channels = [] }
            return channels
        }
        let closed = open.map { $0.close() }
        let loop = group.next()
        let limits = options.limits
        EventLoopFuture.andAllComplete(closed, on: loop).whenComplete { _ in
            self.context.logger.notice("stopping: no longer accepting; \(self.connectionCount) connection(s) get \(formatSeconds(limits.drainTimeout)) to finish")
            self.drain(for: limits.drainTimeout, on: loop)
        }
    }

    /// Stops when the last connection closes, or cuts what is still open after `period`.
    private func drain(for period: TimeAmount, on loop: EventLoop) {
        let finished = NIOLockedValueBox(false)
        let cut = loop.scheduleTask(in: period) {
            let remaining = self.context.slots.channels
            guard !remaining.isEmpty else { return }
            self.context.logger.notice("closing \(remaining.count) connection(s) still open after the drain period")
            for channel in remaining {
                // Handlers log the cut as the relay's doing, then close.
                channel.pipeline.fireUserInboundEventTriggered(RelayDrainEnded())
                channel.close(promise: nil)
            }
        }
        context.slots.whenEmpty {
            let first = finished.withLockedValue { done -> Bool in
                defer { done = true }
                return !done
            }
            guard first else { return }
            cut.cancel()
            self.context.logger.notice("stopped")
            self.stopped.succeed(())
        }
    }

    /// The accept queue. A parent restart brings its whole fleet back at once (reconnect
    /// storm): a short queue overflows, and each child whose connection it drops waits for TCP
    /// retransmits (seconds, growing). A long one makes a flood from one address (refused, but
    /// accepted first) delay the next child by the time it takes to drain: 1024 keeps both
    /// short (BENCHMARKS.md, scenario 1). The kernel caps it at net.core.somaxconn.
    static let listenBacklog: CInt = 1024

    private func bootstrap(listener: CInt) -> ServerBootstrap {
        let logger = context.logger
        let metrics = context.metrics
        let notice = acceptFailureNotice
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                // NIO listens on a socket it is handed with its default backlog (128) when it
                // takes it over, and the `backlog` option does not listen again: listen(2) again
                // here, before the channel is registered, sets ours (Linux updates the backlog of
                // a listening socket).
                _ = listen(listener, Self.listenBacklog)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptFailures.backoffHandler(listener: listener, eventLoop: channel.eventLoop, metrics: metrics, notice: notice, logger: logger))
                }
            }
            .childChannelInitializer { [self] channel in
                do {
                    try self.setUp(channel)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }

    private func setUp(_ channel: Channel) throws {
        let slots = context.slots
        switch slots.arrive(channel) {
        case .refusedSource(let source):
            context.metrics.refused(reason: "tooManyHandshakesFromAddress")
            if let unsaid = refusalNotice.shouldSay(now: channel.eventLoop.now) {
                context.logger.warning("refusing connections from \(source): \(options.limits.maxPendingHandshakesPerAddress) connections from there have not finished their request yet\(unsaid > 0 ? " (\(unsaid) more refusals not logged)" : "")")
            }
            channel.close(promise: nil)
            return
        case .pendingEvicting(let oldest):
            context.metrics.refused(reason: "handshakeEvicted")
            if let unsaid = refusalNotice.shouldSay(now: channel.eventLoop.now) {
                context.logger.warning("\(options.limits.maxPendingHandshakes) connections have not finished their request: closing the oldest (\(oldest.remoteAddress.map { "\($0)" } ?? "?")) to make room\(unsaid > 0 ? " (\(unsaid) more not logged)" : "")")
            }
            oldest.close(promise: nil)
        case .pending:
            break
        }
        context.metrics.connectionOpened()
        let metrics = context.metrics
        channel.closeFuture.whenComplete { _ in
            slots.leave(channel)
            metrics.connectionClosed()
        }
        // Once the slot is sure to be freed on close, whatever fails.
        try SpliceHandler.setOptions(of: channel, side: .child)
        let sync = channel.pipeline.syncOperations
        if let tls = serverTLS.withLock({ $0 }) { try sync.addHandler(TLSDetector(context: tls)) }
        try sync.addHandler(ChildSessionHandler(relay: context))
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "address already in use"
            case EADDRNOTAVAIL: return "address not available on this host"
            case EACCES: return "permission denied"
            default: return String(describing: error)
            }
        }
        return String(describing: error)
    }
}
