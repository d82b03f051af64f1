/// Keys that are not a user's own: words that stand for a key in examples (`API_KEY`,
/// `YOUR-API-KEY`) and the keys Netdata's documentation prints. One list for lint (SC305,
/// SC310, SC311), `fleet check` (FL501), `child set` and `parent add-key`.
public enum ExampleKeys {
    /// Keys printed in Netdata's documentation: the stock stream.conf of 1.37.1 and 2.11.0 says
    /// "[API_KEY] is [YOUR-API-KEY], i.e [11111111-2222-3333-4444-555555555555]", the streaming
    /// guides use it, and Netdata's Helm chart ships it with `allow from = *`. Anyone who read
    /// them can stream with it.
    public static let documentation: [String] = ["11111111-2222-3333-4444-555555555555"]

    /// `key` (any letter case) is one of `documentation`. Asked for every section and key
    /// value lint reads: compares bytes, allocates nothing.
    public static func isDocumentationKey(_ key: String) -> Bool {
        guard key.utf8.count == 36 else { return false }
        return documentation.contains { known in
            zip(key.utf8, known.utf8).allSatisfy { byte, expected in
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte) == expected
            }
        }
    }

    private static func isPlaceholderLetter(_ byte: UInt8) -> Bool {
        switch byte | 0x20 {  // lowercase
        case UInt8(ascii: "k"), UInt8(ascii: "g"), UInt8(ascii: "u"), UInt8(ascii: "x"): return true
        default: return false
        }
    }

    /// Words that mark a placeholder for a key or GUID.
    private static let keyWords: Set<String> = ["KEY", "APIKEY", "GUID", "UUID"]

    /// The placeholders examples print, exactly (any letter case, also in `<...>` or `{...}`):
    /// the only words a file may hold where a key goes that are shown unmasked, because a real
    /// Netdata 2.x key can be any word, `PROD-KEY-7F3A` too.
    static let wellKnown: Set<String> = [
        "API_KEY", "API-KEY", "APIKEY", "YOUR_API_KEY", "YOUR-API-KEY", "YOUR_KEY", "YOUR-KEY",
        "PARENT_API_KEY", "PARENT-API-KEY", "NEW-KEY", "NEW_KEY", "KEY", "MACHINE_GUID", "UUID", "GUID",
    ]

    /// `text` is one of `wellKnown` or the `xxxxxxxx-xxxx-...` template: what the masker
    /// leaves as it is (`SecretMasker.isPlaceholder`, `isNonSecretSectionName`).
    public static func isWellKnownPlaceholder(_ text: String) -> Bool {
        guard text.utf8.count <= 40, text.utf8.contains(where: isPlaceholderLetter) else { return false }
        let inner = unbracketed(Substring(text))
        return wellKnown.contains(inner.uppercased()) || isTemplateUUID(inner)
    }

    private static func unbracketed(_ text: Substring) -> Substring {
        if let first = text.first, let last = text.last, text.count > 2,
           (first == "<" && last == ">") || (first == "{" && last == "}") {
            return text.dropFirst().dropLast()
        }
        return text
    }

    private static func isTemplateUUID(_ inner: Substring) -> Bool {
        inner.utf8.count == 36 && inner.utf8.allSatisfy({ $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") || $0 == UInt8(ascii: "-") })
            && UUIDSyntax.isUUID(String(inner.map { $0 == "-" ? "-" : "0" }))
    }

    /// A word written where a key or machine GUID goes in an example: the stock file's
    /// `API_KEY`, `MACHINE_GUID` and `YOUR-API-KEY`, this tool's `NEW-KEY`, and the like
    /// (`YOUR_API_KEY`, `PARENT_API_KEY`, `<API_KEY>`, `{UUID}`, `your-api-key`): words of
    /// letters only, in capitals and joined by `_` or `-`, with one of KEY, APIKEY, GUID or UUID
    /// among them, or starting with `your` in any case; also the `xxxxxxxx-xxxx-...` UUID
    /// template. A word with a digit is never one: real keys such as `api-key-79a5f` or
    /// `PROD-KEY-7F3A9C2E51` (Netdata 2.x accepts any word) are not flagged. Lint reports these
    /// (SC305) and `child set`/`parent add-key` refuse them; only `isWellKnownPlaceholder`
    /// words are shown unmasked.
    public static func isPlaceholder(_ text: String) -> Bool {
        // Every placeholder has a k, g, u or x in it (KEY, GUID, UUID, xxxx); a UUID, the
        // usual section name, has none: most names are passed without allocating.
        guard text.utf8.count <= 66, text.utf8.contains(where: isPlaceholderLetter) else { return false }
        let inner = unbracketed(Substring(text))
        guard !inner.isEmpty else { return false }
        if isTemplateUUID(inner) { return true }  // xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
        let words = inner.split(omittingEmptySubsequences: false) { $0 == "_" || $0 == "-" }
        guard words.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isLetter) }) else { return false }
        let upper = words.map { $0.uppercased() }
        guard upper.contains(where: keyWords.contains) else { return false }
        let capitals = inner.utf8.allSatisfy { !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        return capitals || upper.first == "YOUR"
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// Why `key` cannot be used as a real key, or nil when it can: what `child set` and
    /// `parent add-key` refuse with (`what` names the value and starts the sentence, e.g.
    /// "The API key" or "--key").
    public static func refusal(_ key: String, what: String) -> String? {
        if isDocumentationKey(key) {
            return "\(what) `\(key)` is the key printed in Netdata's documentation: anyone who read it can stream with it. Make a key of your own with `stream-config keygen` and use it on the parent and the children."
        }
        if isPlaceholder(key) {
            let shown = isWellKnownPlaceholder(key) ? key : SecretMasker.mask(key)
            return "\(what) `\(shown)` is a placeholder from an example, not a key. Make a key with `stream-config keygen` and use it on the parent and the children."
        }
        return nil
    }
}
