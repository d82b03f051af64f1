/// API keys and machine GUIDs: what Netdata accepts and what we insist on (canonical,
/// lowercase 8-4-4-4-12 hex, as `uuidgen` prints).
public enum UUIDSyntax: Sendable, Equatable {
    case canonical
    /// A valid UUID in upper or mixed case: libuuid accepts it, but the child's key and the
    /// parent's section must match byte for byte.
    case notLowercase
    case invalid

    public static func classify(_ text: String) -> UUIDSyntax { classify(bytes: Array(text.utf8)[...]) }

    public static func classify(bytes: ArraySlice<UInt8>) -> UUIDSyntax {
        guard bytes.count == 36 else { return .invalid }
        var upper = false
        for (index, byte) in zip(0..., bytes) {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                if byte != UInt8(ascii: "-") { return .invalid }
                continue
            }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): break
            case UInt8(ascii: "A")...UInt8(ascii: "F"): upper = true
            default: return .invalid
            }
        }
        return upper ? .notLowercase : .canonical
    }

    public static func isUUID(_ text: String) -> Bool { classify(text) != .invalid }
}
