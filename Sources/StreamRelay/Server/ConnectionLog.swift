import Logging
import NIOCore
import StreamConfig

/// The log of one child connection, worded like Netdata 2.x's streaming messages (protocol.md
/// 6.3, 6.4) and carrying its journal fields. API keys are masked (`SecretMasker.mask`).
struct ConnectionLog: Sendable {
    private(set) var logger: Logger
    let peerIP: String
    let peerPort: Int
    private(set) var hostname = "unknown"

    init(logger: Logger, peer: SocketAddress?) {
        self.logger = logger
        peerIP = peer?.ipAddress ?? "unknown"
        peerPort = peer?.port ?? 0
        self.logger[metadataKey: "ND_SRC_IP"] = .string(peerIP)
        self.logger[metadataKey: "ND_SRC_PORT"] = .string(String(peerPort))
    }

    /// `http` or `https`, as Netdata's `ND_SRC_TRANSPORT`.
    mutating func transport(tls: Bool) {
        logger[metadataKey: "ND_SRC_TRANSPORT"] = .string(tls ? "https" : "http")
    }

    /// Adds what the request told us about the child.
    mutating func describe(method: String, hostname: String?, machineGUID: String?, apiKey: String?) {
        if let hostname, !hostname.isEmpty {
            self.hostname = hostname
            logger[metadataKey: "ND_NIDL_NODE"] = .string(hostname)
        }
        if let machineGUID, !machineGUID.isEmpty { logger[metadataKey: "ND_MACHINE_GUID"] = .string(machineGUID) }
        if let apiKey, !apiKey.isEmpty { logger[metadataKey: "ND_API_KEY"] = .string(SecretMasker.mask(apiKey)) }
        logger[metadataKey: "ND_REQUEST_METHOD"] = .string(method)
    }

    private var from: String {
        let ip = peerIP.contains(":") ? "[\(peerIP)]" : peerIP
        return "[\(ip)]:\(peerPort)"
    }

    /// A decision about the child (`MESSAGE_ID` child connection), as the parent words it:
    /// `STREAM RCV 'host' [from [ip]:port]: message`.
    func child(_ level: Logger.Level, _ message: String, code: Int, reason: String? = nil,
               metadata extra: Logger.Metadata = [:]) {
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": .string(RelayMessageID.childConnection),
            "ND_RESPONSE_CODE": .string(String(code)),
        ]
        if let reason { metadata["ND_REASON"] = .string(reason) }
        metadata.merge(extra) { $1 }
        logger.log(level: level, "STREAM RCV '\(hostname)' [from \(from)]: \(message)", metadata: metadata)
    }

    /// An upstream attempt (`MESSAGE_ID` connection to parent), as the child words it:
    /// `STREAM CONNECT 'host' [to destination]: message`.
    func parent(_ level: Logger.Level, _ message: String, destination: String, address: SocketAddress? = nil,
                code: Int? = nil, reason: String? = nil, apiKey: String? = nil, tls: Bool? = nil) {
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": .string(RelayMessageID.parentConnection),
            "ND_DESTINATION": .string(destination),
        ]
        if let tls { metadata["ND_DST_TRANSPORT"] = .string(tls ? "https" : "http") }
        if let ip = address?.ipAddress { metadata["ND_DST_IP"] = .string(ip) }
        if let port = address?.port { metadata["ND_DST_PORT"] = .string(String(port)) }
        if let code { metadata["ND_RESPONSE_CODE"] = .string(String(code)) }
        if let reason { metadata["ND_REASON"] = .string(reason) }
        if let apiKey { metadata["ND_API_KEY"] = .string(SecretMasker.mask(apiKey)) }
        logger.log(level: level, "STREAM CONNECT '\(hostname)' [to \(destination)]: \(message)", metadata: metadata)
    }

    func info(_ message: String, metadata: Logger.Metadata = [:]) {
        logger.info("STREAM RCV '\(hostname)' [from \(from)]: \(message)", metadata: metadata)
    }

    func debug(_ message: String) {
        logger.debug("STREAM RCV '\(hostname)' [from \(from)]: \(message)")
    }
}
