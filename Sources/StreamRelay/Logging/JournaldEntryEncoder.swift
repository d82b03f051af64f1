import Logging

/// Builds one journald entry in the native protocol (systemd.journal-fields(7),
/// https://systemd.io/JOURNAL_NATIVE_PROTOCOL/): one `FIELD=value\n` line per field, or, when the
/// value holds a newline, the binary form `FIELD\n` + 64-bit little-endian length + value + `\n`.
///
/// Pure value type with no I/O, so that the exact bytes can be tested without a socket.
public struct JournaldEntryEncoder: Sendable {
    /// Identifies the program in `journalctl -t` and in the default output format.
    public static let syslogIdentifier = "stream-config"

    /// Fields that this encoder writes itself. A metadata key that sanitises to one of them is
    /// written as `META_<NAME>` instead, so that metadata can never forge the priority or the
    /// message, nor add a second value to these fields.
    public static let reservedFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
        "LOGGER_LABEL", "ERROR",
    ]

    /// journald refuses field names longer than 64 bytes (`JOURNAL_FIELD_NAME_MAX` in systemd).
    public static let maxFieldNameBytes = 64

    /// Cap for `MESSAGE`, in UTF-8 bytes. Generous: the relay's messages are one line, but a
    /// message that embeds received data must not produce a multi-megabyte entry.
    public var maxMessageBytes: Int
    /// Cap for every other value (metadata, `CODE_*`, `ERROR`), in UTF-8 bytes. Netdata's largest
    /// field, `ND_REQUEST` (the raw STREAM query string), is about 1.4 KB.
    public var maxValueBytes: Int

    public init(maxMessageBytes: Int = 128 * 1024, maxValueBytes: Int = 16 * 1024) {
        // The truncation marker needs room; smaller caps would be meaningless anyway.
        self.maxMessageBytes = max(maxMessageBytes, 64)
        self.maxValueBytes = max(maxValueBytes, 64)
    }

    /// Maps swift-log levels to syslog priorities (RFC 5424 severities, which journald stores in
    /// `PRIORITY`). swift-log has no syslog `alert`/`emergency`; `trace` is below syslog's lowest
    /// level, so it shares `debug` (7).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Turns a metadata key into a field name journald accepts: upper-case ASCII letters, digits
    /// and `_`, not starting with a digit, at most 64 bytes. Every other character (per Unicode
    /// scalar) becomes `_`. Leading underscores are dropped because names starting with `_` are
    /// trusted fields that journald sets itself and silently discards from clients. A name that
    /// would start with a digit (also rejected by journald) gets the prefix `F_`. Returns `nil`
    /// when nothing is left (e.g. the key `"_"`), in which case the entry is skipped.
    public static func fieldName(forMetadataKey key: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count)
        for scalar in key.unicodeScalars {
            switch scalar.value {
            case 0x61...0x7A: bytes.append(UInt8(scalar.value - 0x20))  // a-z -> A-Z
            case 0x41...0x5A, 0x30...0x39, 0x5F: bytes.append(UInt8(scalar.value))
            default: bytes.append(0x5F)
            }
        }
        let start = bytes.firstIndex(where: { $0 != 0x5F }) ?? bytes.endIndex
        var name = Array(bytes[start...])
        guard let first = name.first else { return nil }
        if (0x30...0x39).contains(first) { name.insert(contentsOf: [0x46, 0x5F], at: 0) }  // "F_"
        if name.count > maxFieldNameBytes { name.removeLast(name.count - maxFieldNameBytes) }
        return String(decoding: name, as: UTF8.self)
    }

    /// Encodes one entry. The fields come in a fixed order (standard fields first, then metadata
    /// sorted by key) so that the bytes are deterministic.
    public func encode(
        level: Logger.Level,
        message: String,
        label: String,
        metadata: Logger.Metadata,
        error: (any Error)? = nil,
        file: String,
        function: String,
        line: UInt
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + message.utf8.count)
        Self.append(field: "MESSAGE", value: Self.capped(message, to: maxMessageBytes), to: &out)
        Self.append(field: "PRIORITY", value: Array(String(Self.priority(level)).utf8), to: &out)
        Self.append(field: "SYSLOG_IDENTIFIER", value: Array(Self.syslogIdentifier.utf8), to: &out)
        Self.append(field: "CODE_FILE", value: Self.capped(file, to: maxValueBytes), to: &out)
        Self.append(field: "CODE_LINE", value: Array(String(line).utf8), to: &out)
        Self.append(field: "CODE_FUNC", value: Self.capped(function, to: maxValueBytes), to: &out)
        Self.append(field: "LOGGER_LABEL", value: Self.capped(label, to: maxValueBytes), to: &out)
        if let error {
            Self.append(field: "ERROR", value: Self.capped(String(describing: error), to: maxValueBytes), to: &out)
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard var name = Self.fieldName(forMetadataKey: key) else { continue }
            if Self.reservedFields.contains(name) { name = "META_" + name }
            Self.append(field: name, value: Self.capped(value.description, to: maxValueBytes), to: &out)
        }
        return out
    }

    /// Text form for ordinary values; binary form when the value holds a newline, because in the
    /// text form journald ends the value at the first newline.
    static func append(field: String, value: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: field.utf8)
        if value.contains(0x0A) {
            out.append(0x0A)
            var length = UInt64(value.count).littleEndian
            withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
            out.append(contentsOf: value)
            out.append(0x0A)
        } else {
            out.append(0x3D)  // "="
            out.append(contentsOf: value)
            out.append(0x0A)
        }
    }

    /// Appended to a value cut at its cap, so that a reader sees that something is missing.
    public static let truncationMarker = "…[truncated]"

    /// The UTF-8 bytes of `value`, at most `limit` of them. A longer value is cut at a Unicode
    /// scalar boundary (never inside a multi-byte character) and ends with `truncationMarker`.
    static func capped(_ value: String, to limit: Int) -> [UInt8] {
        let bytes = Array(value.utf8)
        guard bytes.count > limit else { return bytes }
        let marker = Array(truncationMarker.utf8)
        var cut = max(limit - marker.count, 0)
        while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }  // continuation byte: back up
        return Array(bytes[..<cut]) + marker
    }
}
