/// Netdata's simple pattern (spec 4.1): whitespace-separated words, `!` negates, `\` escapes the
/// next character, `*` is a wildcard anywhere, matching is anchored and case-sensitive, and the
/// first word that matches decides. An empty pattern has no words.
public struct SimplePattern: Sendable, Equatable {
    public struct Word: Sendable, Equatable {
        public var text: String
        public var negative: Bool
        /// Byte offset of the word (including its `!`) in the pattern text.
        public var offset: Int
    }

    public var words: [Word]

    public init(_ text: String) {
        var words: [Word] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            while index < bytes.count, Bytes.isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { break }
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "!") {
                negative = true
                index += 1
            }
            let wordStart = index
            var escaped = false
            while index < bytes.count, !Bytes.isSpace(bytes[index]) {
                if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                    escaped = true
                    index += 2
                } else {
                    index += 1
                }
            }
            let text = escaped ? Self.unescaped(bytes[wordStart..<index]) : String(decoding: bytes[wordStart..<index], as: UTF8.self)
            words.append(Word(text: text, negative: negative, offset: start))
        }
        self.words = words
    }

    /// A word's text with each `\x` read as `x`.
    private static func unescaped(_ raw: ArraySlice<UInt8>) -> String {
        var word: [UInt8] = []
        var index = raw.startIndex
        while index < raw.endIndex {
            if raw[index] == UInt8(ascii: "\\"), index + 1 < raw.endIndex {
                word.append(raw[index + 1])
                index += 2
            } else {
                word.append(raw[index])
                index += 1
            }
        }
        return String(decoding: word, as: UTF8.self)
    }

    /// nil when no word matches (Netdata treats that as "not matched").
    public func firstMatch(_ subject: String) -> Word? {
        words.first { SimplePattern.matches(word: $0.text, subject) }
    }

    public func matches(_ subject: String) -> Bool {
        guard let word = firstMatch(subject) else { return false }
        return !word.negative
    }

    /// Anchored glob match where every `*` matches any run of bytes.
    public static func matches(word: String, _ subject: String) -> Bool {
        let pattern = Array(word.utf8)
        let text = Array(subject.utf8)
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// How Netdata names a peer before matching `allow from` (spec 4.2): the numeric address,
/// with `127.0.0.1` and `::1` rewritten to `localhost` and IPv4-mapped IPv6 reduced to IPv4.
public enum PeerName {
    public static func forAllowFrom(_ numericAddress: String) -> String {
        var address = numericAddress
        if address.lowercased().hasPrefix("::ffff:"), address.contains(".") {
            address = String(address.dropFirst(7))
        }
        if address == "127.0.0.1" || address == "::1" { return "localhost" }
        return address
    }
}
