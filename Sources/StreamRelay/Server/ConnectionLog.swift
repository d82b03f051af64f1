import Logging
import NIOCore
import StreamConfig

/// The log of one child connection, worded like Netdata 2.x's streaming messages (protocol.md
/// 6.3, 6.4) and carrying its journal fields. API keys are masked (`SecretMasker.mask`).
///
/// What it knows of the child is kept as plain values and becomes journal fields only when a
/// line is written: a spliced child holds its log for as long as it streams, and a `Logger`
/// with the fields as its own metadata cost about 1.3 KiB per child (a copy of the handler and
/// a dictionary), against a few strings (BENCHMARKS.md, "Idle cost").
struct ConnectionLog: Sendable {
    /// The relay's logger, shared by every connection.
    let logger: Logger
    let peerIP: String
    let peerPort: Int
    /// The child's name from its request, if it gave one.
    private var node: String?
    private var machineGUID: String?
    private var maskedAPIKey: String?
    private var method: Method?
    private var tls: Bool?

    /// `ND_REQUEST_METHOD`: the relay serves these two.
    enum Method: Sendable {
        case stream, get

        var word: String { self == .stream ? "STREAM" : "GET" }
    }

    init(logger: Logger, peer: SocketAddress?) {
        self.logger = logger
        peerIP = peer?.ipAddress ?? "unknown"
        peerPort = peer?.port ?? 0
    }

    /// `http` or `https`, as Netdata's `ND_SRC_TRANSPORT`.
    mutating func transport(tls: Bool) {
        self.tls = tls
    }

    /// Adds what the request told us about the child.
    mutating func describe(method: Method, hostname: String?, machineGUID: String?, apiKey: String?) {
        if let hostname, !hostname.isEmpty { node = hostname }
        if let machineGUID, !machineGUID.isEmpty { self.machineGUID = machineGUID }
        if let apiKey, !apiKey.isEmpty { maskedAPIKey = SecretMasker.mask(apiKey) }
        self.method = method
    }

    /// The connection's fields, then `count` more of the line's own.
    private func fields(reserving count: Int) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        metadata.reserveCapacity(7 + count)
        metadata["ND_SRC_IP"] = .string(peerIP)
        metadata["ND_SRC_PORT"] = .string(String(peerPort))
        if let tls { metadata["ND_SRC_TRANSPORT"] = .string(tls ? "https" : "http") }
        if let node { metadata["ND_NIDL_NODE"] = .string(node) }
        if let machineGUID { metadata["ND_MACHINE_GUID"] = .string(machineGUID) }
        if let maskedAPIKey { metadata["ND_API_KEY"] = .string(maskedAPIKey) }
        if let method { metadata["ND_REQUEST_METHOD"] = .string(method.word) }
        return metadata
    }

    /// The name lines use: the child's, or `unknown` as Netdata says.
    var hostname: String { node ?? "unknown" }

    private var from: String {
        let ip = peerIP.contains(":") ? "[\(peerIP)]" : peerIP
        return "[\(ip)]:\(peerPort)"
    }

    /// A decision about the child (`MESSAGE_ID` child connection), as the parent words it:
    /// `STREAM RCV 'host' [from [ip]:port]: message`.
    func child(_ level: Logger.Level, _ message: String, code: Int, reason: String? = nil,
               metadata extra: Logger.Metadata = [:]) {
        guard logger.logLevel <= level else { return }
        var metadata = fields(reserving: 3 + extra.count)
        metadata["MESSAGE_ID"] = .string(RelayMessageID.childConnection)
        metadata["ND_RESPONSE_CODE"] = .string(String(code))
        if let reason { metadata["ND_REASON"] = .string(reason) }
        metadata.merge(extra) { $1 }
        logger.log(level: level, "STREAM RCV '\(hostname)' [from \(from)]: \(message)", metadata: metadata)
    }

    /// An upstream attempt (`MESSAGE_ID` connection to parent), as the child words it:
    /// `STREAM CONNECT 'host' [to destination]: message`.
    func parent(_ level: Logger.Level, _ message: String, destination: String, address: SocketAddress? = nil,
                code: Int? = nil, reason: String? = nil, apiKey: String? = nil, tls: Bool? = nil) {
        guard logger.logLevel <= level else { return }
        var metadata = fields(reserving: 8)
        metadata["MESSAGE_ID"] = .string(RelayMessageID.parentConnection)
        metadata["ND_DESTINATION"] = .string(destination)
        if let tls { metadata["ND_DST_TRANSPORT"] = .string(tls ? "https" : "http") }
        if let ip = address?.ipAddress { metadata["ND_DST_IP"] = .string(ip) }
        if let port = address?.port { metadata["ND_DST_PORT"] = .string(String(port)) }
        if let code { metadata["ND_RESPONSE_CODE"] = .string(String(code)) }
        if let reason { metadata["ND_REASON"] = .string(reason) }
        if let apiKey { metadata["ND_API_KEY"] = .string(SecretMasker.mask(apiKey)) }
        logger.log(level: level, "STREAM CONNECT '\(hostname)' [to \(destination)]: \(message)", metadata: metadata)
    }

    func info(_ message: String, metadata extra: Logger.Metadata = [:]) {
        guard logger.logLevel <= .info else { return }
        var metadata = fields(reserving: extra.count)
        metadata.merge(extra) { $1 }
        logger.info("STREAM RCV '\(hostname)' [from \(from)]: \(message)", metadata: metadata)
    }

    func debug(_ message: String) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("STREAM RCV '\(hostname)' [from \(from)]: \(message)", metadata: fields(reserving: 0))
    }
}
