import Logging

/// swift-log handler that writes each log event as one journald entry (native protocol).
///
/// Fields: `MESSAGE`, `PRIORITY` (syslog 0–7), `SYSLOG_IDENTIFIER=stream-config`, `CODE_FILE`,
/// `CODE_LINE`, `CODE_FUNC`, `LOGGER_LABEL` (the swift-log label), `ERROR` when the event carries
/// one, and one field per metadata entry (name sanitised by
/// `JournaldEntryEncoder.fieldName(forMetadataKey:)`, value capped). journald adds the trusted
/// fields (`_PID`, `_COMM`, timestamps, ...) itself.
///
/// To tag an entry like Netdata does:
/// `logger.warning("...", metadata: ["MESSAGE_ID": "\(RelayMessageID.childConnection)", "ND_SRC_IP": "\(ip)"])`.
///
/// Thread-safe and non-blocking: all handlers made for a process share one `JournaldSocket`,
/// which never blocks and counts entries it had to drop, and, when given, one `JournaldWriter`
/// that queues entries for its own thread so that bursts are not lost.
public struct JournaldLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let socket: JournaldSocket
    public let writer: JournaldWriter?
    public var encoder: JournaldEntryEncoder

    public init(
        label: String,
        socket: JournaldSocket,
        writer: JournaldWriter? = nil,
        encoder: JournaldEntryEncoder = JournaldEntryEncoder(),
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.socket = socket
        self.writer = writer
        self.encoder = encoder
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let entry = encoder.encode(
            level: event.level,
            message: event.message.description,
            label: label,
            metadata: Self.merged(metadata, provided: metadataProvider?.get(), event.metadata),
            error: event.error,
            file: event.file,
            function: event.function,
            line: event.line)
        if let writer { writer.submit(entry) } else { socket.send(entry) }
    }

    /// Handler metadata, then the provider's (task-local context), then the call's own metadata;
    /// later ones win on equal keys, as in swift-log's own handlers.
    /// `provided`: the provider's metadata, read by the caller (it may be task-local). A layer
    /// over nothing is taken as it is: the relay's per-connection lines carry all their fields
    /// in the call, and are not copied.
    static func merged(
        _ base: Logger.Metadata, provided: Logger.Metadata?, _ call: Logger.Metadata?
    ) -> Logger.Metadata {
        var result = base
        for layer in [provided, call] {
            guard let layer, !layer.isEmpty else { continue }
            if result.isEmpty { result = layer } else { result.merge(layer, uniquingKeysWith: { _, new in new }) }
        }
        return result
    }
}
