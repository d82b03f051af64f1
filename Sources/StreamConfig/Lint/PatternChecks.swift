/// `allow from` and `send charts matching` as simple patterns (SC601-SC608).
enum PatternChecks {
    static func check(_ context: inout LintContext, _ option: Option, section: Section) {
        let pattern = SimplePattern(option.value)
        let isAllowFrom = option.key == "allow from"
        let base = option.valueRange.lowerBound
        if pattern.words.isEmpty {
            if isAllowFrom {
                context.emit("SC608", at: option, onValue: false, "`allow from` is empty: Netdata skips the check and allows every address")
            } else {
                context.emit("SC607", at: option, onValue: false, "`\(option.key)` is empty: Netdata sends no chart at all",
                             hint: "write `\(StreamAdvice.sendEveryChart(option.key))` to send every chart")
            }
            return
        }
        if isAllowFrom { loopbackWildcard(&context, option, pattern) }
        if pattern.words.allSatisfy(\.negative) {
            if isAllowFrom {
                context.emit("SC601", at: option, "`allow from` has only negative words, so it matches no address: every child is refused",
                             hint: "append `*` to allow everyone else: `\(StreamAdvice.allowEveryoneElse(option.key, option.value))`")
            } else {
                context.emit("SC607", at: option, "`\(option.key)` has only negative words, so it matches no chart: nothing is sent",
                             hint: "append `*` to send every other chart: `\(StreamAdvice.allowEveryoneElse(option.key, option.value))`")
            }
        }
        for (index, word) in pattern.words.enumerated() {
            let column = base + word.offset
            let length = word.text.utf8.count + (word.negative ? 1 : 0)
            if isAllowFrom { addressWord(&context, option, word, column: column, length: length, hostNamesMatch: false) }
            guard word.negative else { continue }
            if let shadow = pattern.words[..<index].first(where: { !$0.negative && covers($0.text, word.text) }) {
                context.emit("SC606", line: option.line, column: column, length: length,
                             "`!\(word.text)` never applies: `\(shadow.text)` comes first and already matches, and the first match decides",
                             hint: "put the negative word first: `\(StreamAdvice.line(option.key, "!\(word.text) " + pattern.words.filter { $0 != word }.map { ($0.negative ? "!" : "") + $0.text }.joined(separator: " ")))`")
            }
        }
    }

    /// netdata.conf `[web] allow connections from` / `allow streaming from`: the same address
    /// rules as `allow from`, except host names (the web server resolves them when `allow ... by
    /// dns` is not `no`).
    static func checkWebPattern(_ context: inout LintContext, _ option: Option) {
        let pattern = SimplePattern(option.value)
        guard !pattern.words.isEmpty else { return }
        loopbackWildcard(&context, option, pattern)
        if pattern.words.allSatisfy(\.negative) {
            context.emit("SC601", at: option, "`\(option.key)` has only negative words, so it matches no address: every connection it guards is refused",
                         hint: "append `*` to allow everyone else: `\(StreamAdvice.allowEveryoneElse(option.key, option.value))`")
        }
        for word in pattern.words {
            addressWord(&context, option, word, column: option.valueRange.lowerBound + word.offset,
                        length: word.text.utf8.count + (word.negative ? 1 : 0), hostNamesMatch: true)
        }
    }

    /// SC609: Netdata names a peer at 127.0.0.1 (and ::1) `localhost` before matching, so a
    /// wildcard such as `127.*` never matches a child connecting over loopback.
    private static func loopbackWildcard(_ context: inout LintContext, _ option: Option, _ pattern: SimplePattern) {
        guard !pattern.matches("localhost") else { return }
        for word in pattern.words where !word.negative && word.text != "127.0.0.1" && word.text != "::1" && word.text != "*"
            && (SimplePattern.matches(word: word.text, "127.0.0.1") || SimplePattern.matches(word: word.text, "::1")) {
            context.emit("SC609", line: option.line, column: option.valueRange.lowerBound + word.offset, length: word.text.utf8.count,
                         "Netdata names a peer at 127.0.0.1 or ::1 `localhost` before matching, so `\(word.text)` never matches a child connecting over loopback (other 127.x addresses keep their numbers and do match)",
                         hint: "add `localhost`: `\(StreamAdvice.allowLocalhostToo(option.key, option.value))`")
        }
    }

    /// Whether a positive word matches everything (or the literal) a later negative word names.
    static func covers(_ positive: String, _ negative: String) -> Bool {
        if positive == "*" { return true }
        return SimplePattern.matches(word: positive, negative.replacingStars())
    }

    private static func addressWord(_ context: inout LintContext, _ option: Option, _ word: SimplePattern.Word, column: Int, length: Int, hostNamesMatch: Bool) {
        let text = word.text
        let bytes = text.utf8
        if text.containsByte(UInt8(ascii: ",")) {
            let words = text.split(separator: ",").joined(separator: " ")
            context.emit("SC604", line: option.line, column: column, length: length,
                         "`\(text)` is one word: commas do not separate patterns, so it never matches",
                         hint: "separate addresses with spaces: `\(words)`")
        } else if text.containsByte(UInt8(ascii: "/")),
                  bytes.first.map({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) == true || text.containsByte(UInt8(ascii: ":")) {
            let prefix = text.split(separator: "/").first.map(String.init) ?? text
            context.emit("SC602", line: option.line, column: column, length: length,
                         "`\(text)` is CIDR notation, which simple patterns do not understand: it never matches",
                         hint: "use wildcards instead, e.g. `\(wildcardFor(prefix))`")
        } else if text == "127.0.0.1" || text == "::1" {
            context.emit("SC605", line: option.line, column: column, length: length,
                         "Netdata renames a \(text) peer to `localhost` before matching, so `\(text)` never matches a local child",
                         hint: "write `localhost` instead of `\(text)`")
        } else if !hostNamesMatch, isHostName(text) {
            context.emit("SC603", line: option.line, column: column, length: length,
                         "`\(text)` looks like a host name, but `allow from` is matched against numeric addresses only: it never matches",
                         hint: "use the child's IP address (or a wildcard such as `10.1.*`); only `localhost` is a name Netdata uses")
        }
    }

    static func isHostName(_ word: String) -> Bool {
        if word == "localhost" || word == "UNKNOWN" || word == "*" { return false }
        return !word.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): return true
            case UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "%"): return true
            default: return false
            }
        }
    }

    private static func wildcardFor(_ prefix: String) -> String {
        let parts = prefix.split(separator: ".")
        let kept = parts.prefix { $0 != "0" }
        return kept.isEmpty ? "*" : kept.joined(separator: ".") + ".*"
    }
}

extension String {
    func replacingStars() -> String { String(filter { $0 != "*" }) }
}
