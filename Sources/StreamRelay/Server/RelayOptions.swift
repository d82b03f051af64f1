import NIOCore

/// Every wait and every buffer of the relay has a bound; these are the bounds.
public struct RelayLimits: Sendable, Equatable {
    /// Cap of the first request (STREAM line and headers). 1.37 parents take 16 KiB.
    public var maxRequestBytes = HandshakeDecoder.defaultMaxRequestBytes
    /// A child must complete its first request within this (Netdata: 60 s).
    public var requestTimeout: TimeAmount = .seconds(30)
    /// One TCP connect to a parent.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// All upstream attempts for one child together (connects, TLS, the parent's answer,
    /// waiting out back-offs). Below a 1.37 child's stock 60 s `timeout seconds`, so the child
    /// is still waiting when the relay gives up and closes without an answer.
    public var upstreamBudget: TimeAmount = .seconds(20)
    /// The parent's answer is complete once no byte came for this long (its digits have no end
    /// marker).
    public var answerQuietPeriod: TimeAmount = .milliseconds(50)
    /// No byte in either direction for this long closes both sides. Longer than the parents'
    /// 600 s receive timeout, so the relay is never the first to give up.
    public var idleTimeout: TimeAmount = .seconds(900)
    /// For `stream_info` (2.x children wait 5 s in total).
    public var streamInfoBudget: TimeAmount = .seconds(3)
    /// Cap of a forwarded `stream_info` response.
    public var maxStreamInfoResponseBytes = 64 * 1024
    /// Bytes a child may send before the parent's answer reached it (a real child sends none).
    public var maxEarlyChildBytes = 64 * 1024
    /// Per-destination back-off after a failure: `base * 2^(failures-1)`, at most `max`.
    public var backoffBase: TimeAmount = .milliseconds(500)
    public var backoffMax: TimeAmount = .seconds(15)
    /// After a read cycle that moved little from a child, the next read of that child waits this
    /// long, so thousands of small sends a second are forwarded in a few large writes
    /// (`SpliceHandler`). Adds at most this much latency to child→parent bytes; zero disables.
    public var readCoalescing: TimeAmount = .milliseconds(5)
    /// Admitted connections (a complete STREAM request or `stream_info` pre-flight) at most;
    /// a child admitted beyond this is answered "too busy" (Netdata's own sentence).
    public var maxConnections = 4096
    /// Connections still in their handshake at most. When full, the oldest of them is closed
    /// to make room (`SlotTable`).
    public var maxPendingHandshakes = 1024
    /// Connections still in their handshake from one source address (IPv6: one /64) at most;
    /// more are closed at once.
    public var maxPendingHandshakesPerAddress = 128
    /// On SIGTERM/SIGINT, open connections get this long to finish before they are closed.
    public var drainTimeout: TimeAmount = .seconds(10)

    public init() {}
}

/// Where to listen: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all IPv4 addresses).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        if host.isEmpty { host = "0.0.0.0" }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// TLS for children: a certificate and key in PEM files.
public struct ServerTLSFiles: Sendable, Equatable {
    public var certificateChain: String
    public var privateKey: String

    public init(certificateChain: String, privateKey: String) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}

public struct RelayOptions: Sendable {
    public var listen: [ListenAddress]
    public var tls: ServerTLSFiles?
    public var limits: RelayLimits

    public init(listen: [ListenAddress], tls: ServerTLSFiles? = nil, limits: RelayLimits = RelayLimits()) {
        self.listen = listen
        self.tls = tls
        self.limits = limits
    }
}
