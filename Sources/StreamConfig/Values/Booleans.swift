/// Netdata's boolean reader (`appconfig_get_boolean` / `inicfg_get_boolean`): true only for
/// `yes`, `true`, `on`, `auto`, `on demand` in any case; every other value, including `1`,
/// `y` and `yes # note`, is silently false.
public enum NetdataBool {
    static let trueWords: Set<String> = ["yes", "true", "on", "auto", "on demand"]
    static let falseWords: Set<String> = ["no", "false", "off"]

    public static func read(_ value: String) -> Bool {
        switch value {  // the usual spellings first: no lowercase copy, no hashing
        case "yes", "true", "on", "auto": return true
        case "no", "false", "off", "": return false
        default: return trueWords.contains(value.lowercased())
        }
    }

    /// Whether the value is a word a person would recognise as a boolean Netdata understands.
    public static func isRecognised(_ value: String) -> Bool {
        switch value {
        case "yes", "true", "on", "auto", "no", "false", "off": return true
        default:
            let lower = value.lowercased()
            return trueWords.contains(lower) || falseWords.contains(lower)
        }
    }

    /// Values people write meaning "true" that Netdata reads as false.
    public static func looksTrue(_ value: String) -> Bool {
        let lower = value.lowercased()
        if ["1", "y", "t", "enable", "enabled", "ok", "active", "+"].contains(lower) { return true }
        for word in trueWords where lower.hasPrefix(word + " ") || lower.hasPrefix(word + "#") { return true }
        return false
    }
}

/// The yes/no/auto reader used by `health enabled` (case-sensitive; an unknown word keeps
/// the inherited default).
public enum YesNoAuto: String, Sendable {
    case yes, no, auto

    public static func read(_ value: String, target: NetdataTarget) -> YesNoAuto? {
        switch (value, target) {
        case ("yes", _): return .yes
        case ("no", _): return .no
        case ("auto", _), ("on demand", _): return .auto
        case ("true", .v2), ("on", .v2): return .yes
        case ("false", .v2), ("off", .v2): return .no
        default: return nil
        }
    }
}
