#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Synchronization

/// swift-log handler for the fallback when no journald is reachable: one logfmt line per entry,
/// `ts=2025-11-24T21:45:00.123Z level=info msg="..." logger=... key=value ...`, written to stderr
/// by `LineWriter.standardError`'s thread (the caller only formats the line as bytes and queues
/// it; `RelayLogging.flush` waits for the queue).
/// logfmt is what Netdata 2.x writes to its own log files (protocol.md §6.2), so the same tools
/// and greps work on both.
///
/// * `ts` is UTC with milliseconds (RFC 3339); `level` is the swift-log level name.
/// * Metadata keys are sorted; characters other than `A-Za-z0-9_.-` in keys become `_`.
/// * Values are quoted when empty or when they contain a space, `=`, `"`, `\` or a control
///   character; inside quotes `\`, `"`, newline, CR and tab are escaped, other control characters
///   become `\u00XX`. So every entry is exactly one line.
public struct LogfmtLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// nil: the line's bytes go to stderr through `LineWriter.standardError` (no String is built).
    private let output: (@Sendable (String) -> Void)?

    /// - Parameter write: receives each finished line (with its trailing newline); nil (the
    ///   default) writes to stderr. Tests pass a collector.
    public init(
        label: String,
        metadataProvider: Logger.MetadataProvider? = nil,
        write: (@Sendable (String) -> Void)? = nil
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let timestamp = Self.now()
        guard let output else {
            // The caller's thread only collects the parts (the provider's metadata is read here:
            // it may be task-local); merging, formatting and writing are the writer thread's.
            let base = metadata, provided = metadataProvider?.get(), call = event.metadata
            let level = event.level, message = event.message.description, label = label, error = event.error
            LineWriter.standardError.submit { out in
                var fields = JournaldLogHandler.merged(base, provided: provided, call)
                if let error { fields["error"] = "\(String(describing: error))" }
                Self.formatBytes(timestamp: timestamp, level: level, message: message, label: label, metadata: fields, into: &out)
            }
            return
        }
        var fields = JournaldLogHandler.merged(metadata, provided: metadataProvider?.get(), event.metadata)
        if let error = event.error { fields["error"] = "\(String(describing: error))" }
        let line = Self.formatBytes(timestamp: timestamp, level: event.level, message: event.message.description,
                                    label: label, metadata: fields)
        output(String(decoding: line, as: UTF8.self))
    }

    /// Formats one line. Public and pure (the time is a parameter) so that it can be tested.
    public static func formatLine(
        timestamp: (seconds: Int, nanoseconds: Int),
        level: Logger.Level,
        message: String,
        label: String,
        metadata: Logger.Metadata
    ) -> String {
        String(decoding: formatBytes(timestamp: timestamp, level: level, message: message, label: label, metadata: metadata),
               as: UTF8.self)
    }

    /// The line as bytes, built in one buffer: the relay logs several lines per child, so this
    /// is on the handshake path.
    static func formatBytes(
        timestamp: (seconds: Int, nanoseconds: Int),
        level: Logger.Level,
        message: String,
        label: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + message.utf8.count + metadata.count * 48)
        formatBytes(timestamp: timestamp, level: level, message: message, label: label, metadata: metadata, into: &out)
        return out
    }

    /// `formatBytes`, appended to `out` (the writer thread's batch).
    static func formatBytes(
        timestamp: (seconds: Int, nanoseconds: Int),
        level: Logger.Level,
        message: String,
        label: String,
        metadata: Logger.Metadata,
        into out: inout [UInt8]
    ) {
        out.append(contentsOf: "ts=".utf8)
        appendRFC3339(timestamp, to: &out)
        out.append(contentsOf: " level=".utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: " msg=".utf8)
        appendQuoted(message, always: true, to: &out)
        out.append(contentsOf: " logger=".utf8)
        appendQuoted(label, to: &out)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out.append(UInt8(ascii: " "))
            appendSanitisedKey(key, to: &out)
            out.append(UInt8(ascii: "="))
            appendQuoted(value.description, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// `always`: `msg` is always quoted, so that a reader does not have to guess where it ends.
    static func quoted(_ value: String, always: Bool = false) -> String {
        var out: [UInt8] = []
        appendQuoted(value, always: always, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Every special character is ASCII, so the UTF-8 bytes of anything else pass through.
    static func appendQuoted(_ value: String, always: Bool = false, to out: inout [UInt8]) {
        let bytes = value.utf8
        guard always || bytes.isEmpty || bytes.contains(where: needsEscape) else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    static func sanitisedKey(_ key: String) -> String {
        var out: [UInt8] = []
        appendSanitisedKey(key, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One `_` per character outside `A-Za-z0-9_.-` (per Unicode scalar, not per byte).
    static func appendSanitisedKey(_ key: String, to out: inout [UInt8]) {
        guard !key.isEmpty else {
            out.append(UInt8(ascii: "_"))
            return
        }
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": out.append(UInt8(scalar.value))
            default: out.append(UInt8(ascii: "_"))
            }
        }
    }

    static func rfc3339(_ timestamp: (seconds: Int, nanoseconds: Int)) -> String {
        var out: [UInt8] = []
        appendRFC3339(timestamp, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendRFC3339(_ timestamp: (seconds: Int, nanoseconds: Int), to out: inout [UInt8]) {
        var seconds = time_t(timestamp.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            // Negative or wider than asked: as `String(value)`, zero-padded on the left.
            if value < 0 || value >= divisor * 10 {
                let text = String(value)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, width - text.utf8.count)))
                out.append(contentsOf: text.utf8)
                return
            }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-")); digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-")); digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T")); digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":")); digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":")); digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: ".")); digits(timestamp.nanoseconds / 1_000_000, 3)
        out.append(UInt8(ascii: "Z"))
    }

    static func now() -> (seconds: Int, nanoseconds: Int) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (Int(ts.tv_sec), Int(ts.tv_nsec))
    }

    /// Serialises writers in this process, so lines longer than PIPE_BUF (which the kernel may
    /// split) cannot interleave.
    private static let stderrLock = Mutex<Void>(())

    /// Writes the whole line to file descriptor 2, retrying short writes and EINTR. Blocking is
    /// acceptable here: this is the fallback, and stderr is normally a terminal or a pipe to a
    /// service manager.
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        writeToStandardError(bytes: Array(line.utf8))
    }

    static func writeToStandardError(bytes: [UInt8]) {
        stderrLock.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }
}
