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
    /// A filtered child's line longer than this closes that child (`ChartStreamFilter`); lines
    /// inside function results and JSON blocks are not held, so they may be longer.
    public var maxFilteredLineBytes = ChartStreamFilter.defaultMaxLineBytes
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

/// Where to listen (`--listen`, `--metrics-listen`): `HOST:PORT` or `[IPv6]:PORT`, the port
/// in ASCII digits, 0-65535. The host is required: listening on all interfaces is asked for
/// explicitly (`0.0.0.0:PORT`, `[::]:PORT`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The one rule for every listen option.
    public static func parse(_ text: String) throws(ListenAddressError) -> ListenAddress {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ListenAddressError(input: text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ListenAddressError(input: text)
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let port = Int(portText), (0...65535).contains(port)
        else { throw ListenAddressError(input: text) }
        return ListenAddress(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why `ListenAddress.parse` refused its input.
public struct ListenAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public let input: String

    /// The message for the option that was given `input`.
    public func describing(option: String) -> String {
        "invalid \(option) '\(input)': expected HOST:PORT or [IPv6]:PORT (e.g. 127.0.0.1:19999, [::1]:19999, 0.0.0.0:19999 for all interfaces)"
    }

    public var description: String { describing(option: "listen address") }
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
