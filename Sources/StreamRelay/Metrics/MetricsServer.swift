import Logging
import NIOCore
import NIOPosix
import Synchronization

/// HTTP endpoint for `--metrics-listen HOST:PORT`, on NIOHTTP1 (`MetricsHTTP.configure`):
/// * `GET /metrics`: `RelayMetrics.prometheusText()`, `Content-Type: text/plain; version=0.0.4; charset=utf-8`
/// * `GET /health`: 200 `ok\n`
/// * anything else: 404 (other methods: 405, unparsable: 400, head over `maxRequestBytes`: 431)
///
/// One request per connection, every response carries `Connection: close`. A connection that
/// has not sent a complete request head within `requestTimeout` is closed. These limits keep a
/// misbehaving scraper, or anything else that finds the port, from holding memory or sockets.
public final class MetricsServer: Sendable {
    /// Connections the metrics port holds at once; more are closed when accepted.
    public static let defaultMaxConnections = 16

    /// The bound address; with port 0 this tells which port the kernel picked.
    public let localAddress: SocketAddress?
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.localAddress = channel.localAddress
    }

    /// The bound port (useful after binding port 0).
    public var port: Int? { localAddress?.port }

    /// Binds and starts serving on `group`. Throws if the address cannot be bound.
    public static func start(
        host: String,
        port: Int,
        metrics: RelayMetrics,
        group: any EventLoopGroup,
        maxRequestBytes: Int = 8192,
        requestTimeout: TimeAmount = .seconds(10),
        maxConnections: Int = MetricsServer.defaultMaxConnections,
        logger: Logger = Logger(label: "stream-config.relay.metrics")
    ) async throws -> MetricsServer {
        let open = OpenConnections()
        let acceptNotice = ThrottledNotice()
        _ = DescriptorReserve.shared.isHeld
        let socket = try ListeningSocket.make(host: host, port: port)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptFailures.backoffHandler(listener: socket.fd, eventLoop: channel.eventLoop, metrics: metrics, notice: acceptNotice, logger: logger,
                                                      name: "metrics"))
                }
            }
            .childChannelInitializer { channel in
                // A scraper needs one connection; whoever opens more cannot take the
                // descriptors the children need.
                guard open.enter(limit: maxConnections) else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.leave() }
                return channel.eventLoop.makeCompletedFuture {
                    try MetricsHTTP.configure(channel, metrics: metrics, maxRequestBytes: maxRequestBytes, requestTimeout: requestTimeout)
                }
            }
            .withBoundSocket(socket.fd)
            .get()
        return MetricsServer(channel: channel)
    }

    /// Stops accepting connections. Connections already accepted finish their single response
    /// or hit their request timeout; they do not outlive `requestTimeout`.
    public func stop() async {
        try? await channel.close().get()
    }
}

/// A count of open connections with a ceiling.
private final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)

    func enter(limit: Int) -> Bool {
        if count.add(1, ordering: .relaxed).newValue <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() {
        count.subtract(1, ordering: .relaxed)
    }
}
