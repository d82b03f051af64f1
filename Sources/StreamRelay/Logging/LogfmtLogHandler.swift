#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Synchronization

/// swift-log handler for the fallback when no journald is reachable: one logfmt line per entry,
/// `ts=2025-11-24T21:45:00.123Z level=info msg="..." logger=... key=value ...`, written to stderr.
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
    private let output: @Sendable (String) -> Void

    /// - Parameter write: receives each finished line (with its trailing newline); defaults to
    ///   stderr. Tests pass a collector.
    public init(
        label: String,
        metadataProvider: Logger.MetadataProvider? = nil,
        write: @escaping @Sendable (String) -> Void = LogfmtLogHandler.writeToStandardError
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
        var fields = JournaldLogHandler.merged(metadata, metadataProvider, event.metadata)
        if let error = event.error { fields["error"] = "\(String(describing: error))" }
        output(Self.formatLine(
            timestamp: Self.now(), level: event.level, message: event.message.description,
            label: label, metadata: fields))
    }

    /// Formats one line. Public and pure (the time is a parameter) so that it can be tested.
    public static func formatLine(
        timestamp: (seconds: Int, nanoseconds: Int),
        level: Logger.Level,
        message: String,
        label: String,
        metadata: Logger.Metadata
    ) -> String {
        var line = "ts=\(rfc3339(timestamp)) level=\(level.rawValue) msg=\(quoted(message, always: true))"
        line += " logger=\(quoted(label))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(sanitisedKey(key))=\(quoted(value.description))"
        }
        return line + "\n"
    }

    /// `always`: `msg` is always quoted, so that a reader does not have to guess where it ends.
    static func quoted(_ value: String, always: Bool = false) -> String {
        let needsQuotes = always || value.isEmpty || value.unicodeScalars.contains {
            $0.value <= 0x20 || $0.value == 0x7F || $0 == "=" || $0 == "\"" || $0 == "\\"
        }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func sanitisedKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        var out = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": out.unicodeScalars.append(scalar)
            default: out += "_"
            }
        }
        return out
    }

    static func rfc3339(_ timestamp: (seconds: Int, nanoseconds: Int)) -> String {
        var seconds = time_t(timestamp.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
            + ".\(pad(timestamp.nanoseconds / 1_000_000, 3))Z"
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
        var bytes = Array(line.utf8)
        stderrLock.withLock { _ in
            bytes.withUnsafeMutableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }
}
