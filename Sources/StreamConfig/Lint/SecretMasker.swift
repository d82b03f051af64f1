/// Hides API keys in anything printed: the first 8 characters stay, the rest becomes `…`.
///
/// Three things are masked: the secrets the linter found (key section names, `api key` values),
/// anything shaped like a UUID (8-4-4-4-12 hex, either case), and the value after a key-like
/// name (`api key`, `api_key`, `apikey`, `API Key`, `--api-key`, `--key`) followed by `=`, `:`
/// or, for the command-line forms, a blank. So a key is hidden even in a line Netdata does not
/// read as a key (`api_key = KEY`, `api key: KEY`, `[KEY] # note`). Placeholders (`API_KEY`,
/// `MACHINE_GUID`) and section names such as `[stream]` are not secrets and are shown.
///
/// The known secrets are found in one pass over the text: at each position, the substrings of
/// every secret length are looked up in a set, so masking costs the same with ten keys or ten
/// thousand.
public struct SecretMasker: Sendable {
    private let secretsByLength: [(length: Int, secrets: Set<ByteKey>)]
    /// Bit b set when some secret starts with byte b: other positions are passed at once.
    private let firstBytes: [UInt64]
    /// false only for `showingAll`.
    private let masksPatterns: Bool

    public init(_ secrets: Set<String>) {
        self.init(secrets, masksPatterns: true)
    }

    /// Masks nothing: what `--show-secrets` asks for.
    public static let showingAll = SecretMasker([], masksPatterns: false)

    /// `showingAll` when `show` is set, else a masker for `secrets`.
    public static func forOutput(showSecrets show: Bool, secrets: @autoclosure () -> Set<String>) -> SecretMasker {
        show ? .showingAll : SecretMasker(secrets())
    }

    private init(_ secrets: Set<String>, masksPatterns: Bool) {
        self.masksPatterns = masksPatterns
        let grouped = Dictionary(grouping: secrets.filter { $0.utf8.count >= 4 }.map { Array($0.utf8) }, by: \.count)
        // Longest first, so a key that contains another is masked whole.
        secretsByLength = grouped.map { ($0.key, Set($0.value.map(ByteKey.init))) }.sorted { $0.length > $1.length }
        var firstBytes = [UInt64](repeating: 0, count: 4)
        for group in grouped.values {
            for secret in group { firstBytes[Int(secret[0]) >> 6] |= 1 << UInt64(secret[0] & 63) }
        }
        self.firstBytes = firstBytes
    }

    public static func mask(_ secret: String) -> String {
        secret.count > 12 ? String(secret.prefix(8)) + "…" : String(secret.prefix(2)) + "…"
    }

    /// Names that are never secrets, whatever they follow: the stock file's placeholders
    /// (`API_KEY`, `MACHINE_GUID`, any case), the exact words examples print
    /// (`ExampleKeys.isWellKnownPlaceholder`: `YOUR-API-KEY`, `<API_KEY>`) and words in
    /// capitals such as `KEY` in advice. Words merely like a placeholder (`PROD-KEY-7F3A`) are
    /// masked: Netdata 2.x takes any word as a key.
    public static func isPlaceholder(_ name: String) -> Bool {
        if isStockPlaceholder(name) || ExampleKeys.isWellKnownPlaceholder(name) { return true }
        return !name.isEmpty && name.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// `API_KEY` or `MACHINE_GUID`, in any case.
    public static func isStockPlaceholder(_ name: String) -> Bool {
        name.utf8.count <= 12 && ["API_KEY", "MACHINE_GUID"].contains(name.uppercased())
    }

    /// `api key`, `api_key`, `apikey`, `API Key`, ...: the names a key is written after.
    public static func isKeyLikeName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let found = keyName(bytes, at: 0), !found.option else { return false }
        return found.length == bytes.count
    }

    /// Section names that are no secret: `[stream]` in any case, its misspellings (`[steam]`)
    /// and the exact placeholders examples print (`[API_KEY]`, `[YOUR-API-KEY]`).
    public static func isNonSecretSectionName(_ name: String) -> Bool {
        name == "stream" || isStockPlaceholder(name) || Suggestions.isStreamMisspelling(name) || ExampleKeys.isWellKnownPlaceholder(name)
    }

    public func mask(_ text: String) -> String {
        guard masksPatterns else { return text }
        let known = maskKnown(text)
        return Self.maskPatterns(known)
    }

    private func maskKnown(_ text: String) -> String {
        guard !secretsByLength.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        var changed = false
        scan: while index < bytes.count {
            let byte = bytes[index]
            if firstBytes[Int(byte) >> 6] & (1 << UInt64(byte & 63)) != 0 {
                for (length, secrets) in secretsByLength where index + length <= bytes.count {
                    let candidate = Array(bytes[index..<(index + length)])
                    if secrets.contains(ByteKey(candidate)) {
                        out += Array(SecretMasker.mask(String(decoding: candidate, as: UTF8.self)).utf8)
                        index += length
                        changed = true
                        continue scan
                    }
                }
            }
            out.append(byte)
            index += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    // MARK: Patterns

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isHex(byte) || (UInt8(ascii: "g")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "G")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// Where a value ends: blanks, quotes, brackets and punctuation that end a word in prose.
    private static func endsValue(_ byte: UInt8) -> Bool {
        switch byte {
        case 0...0x20, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "#"):
            return true
        default:
            return false
        }
    }

    /// The length of a key-like name at `index` (`api key`, `api_key`, `api-key`, `apikey`,
    /// any case), and whether it was written as a command-line option (`--api-key`, `--key`).
    private static func keyName(_ bytes: [UInt8], at index: Int) -> (length: Int, option: Bool)? {
        if index > 0, isWordByte(bytes[index - 1]) { return nil }
        var i = index
        var option = false
        if i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: "-") {
            option = true
            i += 2
        }
        func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count else { return false }
            for k in 0..<w.count where lower(bytes[i + k]) != w[k] { return false }
            i += w.count
            return true
        }
        if literal("api") {
            if i < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "_"), UInt8(ascii: "-")].contains(bytes[i]) { i += 1 }
            guard literal("key") else { return nil }
        } else if !(option && literal("key")) {
            return nil
        }
        if i < bytes.count, isWordByte(bytes[i]) { return nil }
        return (i - index, option)
    }

    /// Masks UUID-shaped words and the value after a key-like name.
    static func maskPatterns(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 4 else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        func emitMasked(_ range: Range<Int>) {
            out += Array(mask(String(decoding: bytes[range], as: UTF8.self)).utf8)
            index = range.upperBound
            changed = true
        }
        while index < bytes.count {
            let byte = bytes[index]
            if isHex(byte), index + 36 <= bytes.count, index == 0 || !isWordByte(bytes[index - 1]),
               index + 36 == bytes.count || !isWordByte(bytes[index + 36]),
               UUIDSyntax.classify(bytes: bytes[index..<(index + 36)]) != .invalid {
                emitMasked(index..<(index + 36))
                continue
            }
            if (byte == UInt8(ascii: "-") || lower(byte) == UInt8(ascii: "a") || lower(byte) == UInt8(ascii: "k")),
               let name = keyName(bytes, at: index) {
                var i = index + name.length
                while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
                var separated = i > index + name.length && name.option
                if i < bytes.count, bytes[i] == UInt8(ascii: "=") || bytes[i] == UInt8(ascii: ":") {
                    separated = true
                    i += 1
                    while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
                }
                var end = i
                while end < bytes.count, !endsValue(bytes[end]) { end += 1 }
                let value = String(decoding: bytes[i..<end], as: UTF8.self)
                if separated, end > i, !isPlaceholder(value), !value.hasSuffix("…"), value != "-", !value.hasPrefix("@") {
                    out += bytes[index..<i]
                    emitMasked(i..<end)
                    continue
                }
                out += bytes[index..<(index + name.length)]
                index += name.length
                continue
            }
            out.append(byte)
            index += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
