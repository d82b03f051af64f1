/// Text from a file made safe for a terminal: control characters (C0, DEL and C1, which
/// include ESC and the starts of OSC and CSI sequences) become visible escapes, as the relay's
/// logfmt lines write them: `\n`, `\r`, `\t`, else `\u00XX`. A stream.conf cannot then retitle
/// a window, hide a line or fake a finding in `lint`'s output.
public enum PrintableText {
    /// With `keepingNewlines`, line feeds and tabs stay (for diffs and other multi-line text).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        func isEscaped(_ scalar: Unicode.Scalar) -> Bool { isControl(scalar) && !(keepingNewlines && (scalar == "\n" || scalar == "\t")) }
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard isEscaped(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
