/// Netdata 2.x `duration_parse` with seconds as the default unit (spec 1.4): terms of
/// `<number><unit>`, optional spaces, fractions, signed terms, `never`/`off` = 0, an optional
/// `ago` suffix. Units match case-insensitively in table order, so `M` is minutes.
public enum NetdataDuration {
    /// Unit names in Netdata's table order, with their length in seconds.
    static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3),
        ("nanosecond", 1e-9), ("nanoseconds", 1e-9), ("microsecond", 1e-6), ("microseconds", 1e-6),
        ("millisecond", 1e-3), ("milliseconds", 1e-3),
        ("s", 1), ("sec", 1), ("secs", 1), ("second", 1), ("seconds", 1),
        ("m", 60), ("min", 60), ("minute", 60), ("minutes", 60),
        ("h", 3600), ("hr", 3600), ("hrs", 3600), ("hour", 3600), ("hours", 3600),
        ("d", 86400), ("day", 86400), ("days", 86400),
        ("w", 7 * 86400), ("wk", 7 * 86400), ("week", 7 * 86400), ("weeks", 7 * 86400),
        ("mo", 30 * 86400), ("M", 30 * 86400), ("month", 30 * 86400), ("months", 30 * 86400),
        ("q", 90 * 86400), ("quarter", 90 * 86400), ("quarters", 90 * 86400),
        ("y", 365 * 86400), ("Y", 365 * 86400), ("a", 365 * 86400), ("year", 365 * 86400),
        ("years", 365 * 86400),
    ]

    /// Seconds Netdata stores, or nil when Netdata rejects the value (it then logs an error
    /// and uses the option's default).
    public static func parseSeconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingSpaces
        let lower = trimmed.lowercased()
        if lower == "never" || lower == "off" { return 0 }
        var bytes = Array(trimmed.utf8)
        var negateAll = false
        if lower.hasSuffix("ago") {
            negateAll = true
            bytes.removeLast(3)
        }
        var index = 0
        var total = 0.0
        var terms = 0
        func skipSpaces() { while index < bytes.count, Bytes.isSpace(bytes[index]) { index += 1 } }
        skipSpaces()
        while index < bytes.count {
            var sign = 1.0
            if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                skipSpaces()
            }
            let numberStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") || bytes[index] == UInt8(ascii: ".") {
                index += 1
            }
            guard index > numberStart, let number = Double(String(decoding: bytes[numberStart..<index], as: UTF8.self)) else {
                return nil
            }
            skipSpaces()
            let unitStart = index
            while index < bytes.count, isLetter(bytes[index]) { index += 1 }
            let unitText = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            var multiplier = 1.0
            if !unitText.isEmpty {
                guard let unit = units.first(where: { $0.0.lowercased() == unitText.lowercased() }) else { return nil }
                multiplier = unit.1
            }
            total += sign * number * multiplier
            terms += 1
            skipSpaces()
        }
        guard terms > 0 else { return nil }
        if negateAll { total = -total }
        total = abs(total).rounded()
        guard total <= Double(Int32.max) else { return nil }
        return Int64(total)
    }

    /// Netdata's canonical spelling: the largest exact units, `off` for zero.
    public static func format(seconds: Int64) -> String {
        if seconds == 0 { return "off" }
        var rest = seconds
        var out = ""
        for (name, length) in [("y", 365 * 86400), ("mo", 30 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] as [(String, Int64)] {
            if rest >= length {
                out += "\(rest / length)\(name)"
                rest %= length
            }
        }
        return out
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

/// Netdata 2.x `size_parse` with bytes as the default unit: `<number>[spaces]<unit>`, units
/// case-sensitive and cut to three letters, text after the unit unchecked, `off` = 0.
public enum NetdataSize {
    static let units: [String: Double] = [
        "B": 1,
        "k": 1000, "K": 1000, "KB": 1000, "KiB": 1024,
        "M": 1_000_000, "MB": 1_000_000, "MiB": 1_048_576,
        "G": 1e9, "GB": 1e9, "GiB": 1_073_741_824,
        "T": 1e12, "TB": 1e12, "TiB": 1_099_511_627_776,
        "P": 1e15, "PB": 1e15, "PiB": 1_125_899_906_842_624,
    ]

    public static func parseBytes(_ text: String) -> UInt64? {
        let trimmed = text.trimmingSpaces
        if trimmed == "off" { return 0 }
        let bytes = Array(trimmed.utf8)
        var index = 0
        while index < bytes.count, (bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")) || bytes[index] == UInt8(ascii: ".") {
            index += 1
        }
        guard index > 0, let number = Double(String(decoding: bytes[0..<index], as: UTF8.self)) else { return nil }
        while index < bytes.count, Bytes.isSpace(bytes[index]) { index += 1 }
        let unitStart = index
        while index < bytes.count, index - unitStart < 3,
              (bytes[index] >= UInt8(ascii: "a") && bytes[index] <= UInt8(ascii: "z")) || (bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z")) {
            index += 1
        }
        let unit = String(decoding: bytes[unitStart..<index], as: UTF8.self)
        let multiplier: Double
        if unit.isEmpty {
            multiplier = 1
        } else if let m = units[unit] {
            multiplier = m
        } else {
            return nil
        }
        let value = number * multiplier
        guard value < 1.8e19 else { return nil }
        return UInt64(value.rounded())
    }

    /// Whether the unit only differs from a real one by case (`10mb`, `10mib`).
    public static func caseMistake(_ text: String) -> String? {
        let letters = String(text.trimmingSpaces.drop { $0.isNumber || $0 == "." || $0 == " " }.prefix { $0.isLetter })
        guard !letters.isEmpty, units[letters] == nil else { return nil }
        return units.keys.sorted().first { $0.lowercased() == letters.lowercased() }
    }

    public static func format(bytes: UInt64) -> String {
        for (name, length) in [("GiB", UInt64(1) << 30), ("MiB", UInt64(1) << 20), ("KiB", UInt64(1) << 10)] where bytes >= length && bytes % length == 0 {
            return "\(bytes / length)\(name)"
        }
        return "\(bytes)B"
    }
}

extension String {
    /// Trimmed of C `isspace` bytes, as Netdata trims.
    public var trimmingSpaces: String {
        // Most values have nothing to trim: no copy then.
        guard let first = utf8.first, let last = utf8.last, Bytes.isSpace(first) || Bytes.isSpace(last) else { return self }
        let bytes = Array(utf8)
        let range = Bytes.trimmed(bytes, 0..<bytes.count)
        return String(decoding: bytes[range], as: UTF8.self)
    }
}
