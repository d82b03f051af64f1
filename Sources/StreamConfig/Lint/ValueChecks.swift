/// Values as Netdata reads them (SC108, SC301-SC305, SC310, SC401-SC420).
enum ValueChecks {
    /// The value checks of one option Netdata reads as `spec` (the last occurrence of its name:
    /// earlier ones got SC110).
    static func check(_ context: inout LintContext, _ option: Option, as spec: OptionSpec, in section: Section) {
        if inlineComment(&context, option, spec) { return }
        check(&context, option, spec, section: section)
    }

    /// SC108: `value # comment`. Says what Netdata makes of the whole value.
    private static func inlineComment(_ context: inout LintContext, _ option: Option, _ spec: OptionSpec) -> Bool {
        // Most values have no `#`: look before copying the bytes.
        guard option.value.containsByte(UInt8(ascii: "#")) else { return false }
        let bytes = option.valueBytes
        guard let hash = bytes.firstIndex(of: UInt8(ascii: "#")), hash == 0 || Bytes.isSpace(bytes[hash - 1]) else { return false }
        let before = String(decoding: bytes[..<hash], as: UTF8.self).trimmingSpaces
        let reading: String
        switch spec.kind {
        case .bool: reading = "a boolean that is not exactly yes/true/on/auto, so Netdata reads it as `no`"
        case .sectionType: reading = "neither `api` nor `machine`, so every connection using this section is refused"
        case .pattern: reading = "a pattern whose extra words `\(String(decoding: bytes[hash...], as: UTF8.self))` are matched too"
        case .destinations: reading = "extra destination entries made of the comment's words"
        case .apiKey: reading = "a key that no parent has"
        case .integer, .entries: reading = "a number whose text after the digits is ignored"
        default: reading = "not a valid \(spec.kind.displayName)"
        }
        // A value that is only a comment needs a decision (what value was meant?): no fix then.
        let fix = before.isEmpty ? nil : Fix.commentAbove(line: option.line, column: option.valueRange.lowerBound + hash, in: context.document,
                                                          summary: "move the comment to its own line above")
        context.emit("SC108", line: option.line, column: option.valueRange.lowerBound + hash, length: bytes.count - hash,
                     "Netdata has no inline comments: the value of `\(option.key)` is `\(option.value)`, \(reading)",
                     hint: "move the comment to its own line and write `\(StreamAdvice.line(option.key, before))`", fix: fix)
        return true
    }

    /// SC419: a 1.37 name (so a file written for 1.37) whose yes/no/auto value 2.x reads
    /// differently: `true` was the inherited default on 1.37 and is `yes` on 2.x.
    private static func upgradedReading(_ context: inout LintContext, _ option: Option) {
        guard context.target == .v2, context.schema.rename(of: option.key) != nil else { return }
        let old = YesNoAuto.read(option.value, target: .v1_37), new = YesNoAuto.read(option.value, target: .v2)
        guard old != new else { return }
        func reading(_ value: YesNoAuto?) -> String { value.map { "`\($0.rawValue)`" } ?? "the inherited default (netdata.conf `[health] enabled`)" }
        context.emit("SC419", at: option,
                     "`\(option.key) = \(option.value)`: Netdata 1.37 read this as \(reading(old)), Netdata 2.x reads it as \(reading(new))",
                     hint: "write yes, no or auto: the value you mean, read the same by both")
    }

    private static func check(_ context: inout LintContext, _ option: Option, _ spec: OptionSpec, section: Section) {
        let value = option.value
        switch spec.kind {
        case .bool:
            guard !NetdataBool.isRecognised(value) else { return }
            let meant = NetdataBool.looksTrue(value) ? "yes" : "no"
            context.emit("SC401", at: option,
                         "`\(option.key) = \(value)`: Netdata reads `\(value)` as `no` (only yes, true, on, auto and `on demand` are true, in any letter case)",
                         hint: "write `\(StreamAdvice.line(option.key, meant))`")
        case .yesNoAuto:
            upgradedReading(&context, option)
            guard YesNoAuto.read(value, target: context.target) == nil else { return }
            context.emit("SC402", at: option,
                         "`\(value)` is not yes, no or auto (case-sensitive): Netdata ignores it and keeps the inherited default",
                         hint: "write yes, no or auto")
        case .integer(let range):
            integer(&context, option, range: range)
        case .entries:
            entries(&context, option)
        case .duration:
            duration(&context, option)
        case .size:
            size(&context, option)
        case .pattern:
            PatternChecks.check(&context, option, section: section)
        case .destinations:
            DestinationChecks.check(&context, option, isStreamDestination: option.key == "destination")
        case .apiKey:
            apiKey(&context, option)
        case .path:
            if value.isEmpty && context.target == .v1_37 {
                context.emit("SC418", at: option, onValue: false,
                             "`\(option.key)` is empty but not commented out: Netdata 1.37 hands \"\" to OpenSSL, which fails, and falls back to the system CAs",
                             hint: "comment the line out or give a path")
            }
            if let fact = context.fileFacts.first(where: { $0.option == option.key && $0.path == value }) {
                context.emit("SC420", at: option,
                             "`\(option.key) = \(value)` \(fact.problem) on this host: if Netdata runs here, OpenSSL cannot load it, Netdata falls back to the system CAs and refuses a parent they do not vouch for (a self-signed one); if the file lives on the Netdata host, check it there",
                             hint: option.key == "CApath" ? "give the directory of CA certificates, or comment the line out" : "give the parent's certificate (or its CA) in PEM: `\(StreamAdvice.caFile(StreamAdvice.Example.parentCertificate))`, a copy of the parent's stream.crt")
            }
        case .databaseMode:
            guard !DatabaseMode.validModes(context.target).contains(value) else { return }
            let fallback = DatabaseMode.fallback(context.target)
            context.emit("SC409", at: option,
                         "`\(value)` is not a database mode of \(context.target.displayName): Netdata silently uses `\(fallback)`",
                         hint: "use one of: \(DatabaseMode.validModes(context.target).joined(separator: ", "))")
        case .sectionType:
            break  // SectionChecks
        case .compressionOrder:
            let known: Set<String> = ["zstd", "lz4", "brotli", "gzip"]
            for word in SimplePattern(value).words where !known.contains(word.text.lowercased()) {
                context.emit("SC414", line: option.line, column: option.valueRange.lowerBound + word.offset, length: word.text.utf8.count,
                             "`\(word.text)` is not a compression algorithm; Netdata ignores it", hint: "use zstd, lz4, brotli or gzip")
            }
        }
        if spec.name.hasSuffix("compression level") || spec.name == "lz4 compression acceleration" {
            context.emit("SC415", at: option, onValue: false,
                         "`\(spec.name)` has no effect: the node profile overwrites it after stream.conf is read",
                         hint: "remove the line")
        }
    }

    private static func integer(_ context: inout LintContext, _ option: Option, range: ClosedRange<Int64>?) {
        let value = option.value
        let parsed = StrToLL(value)
        guard parsed.hasDigits else {
            context.emit("SC405", at: option, "`\(value)` is not a number: Netdata reads it as 0", hint: "write a number")
            return
        }
        let rest = String(decoding: Array(value.utf8)[parsed.consumed...], as: UTF8.self)
        if parsed.base == 8, value.utf8.dropFirst().first.map({ $0 >= 48 && $0 <= 57 }) == true {
            let decimal = String(value.drop { $0 == "0" }.prefix { $0.isNumber })
            context.emit("SC404", at: option,
                         "`\(value)` starts with 0, so Netdata reads it as octal: \(parsed.value)",
                         hint: "write `\(decimal.isEmpty ? "0" : decimal)` without the leading zero")
            return
        }
        if !rest.isEmpty {
            context.emit("SC403", at: option,
                         "Netdata reads `\(value)` as \(parsed.value) and ignores `\(rest)`",
                         hint: option.key.contains("seconds") || option.key == "update every" ? "write the number of seconds alone: `\(parsed.value)`" : "write the number alone: `\(parsed.value)`")
            return
        }
        if let range, !range.contains(parsed.value) {
            context.emit("SC406", at: option,
                         "`\(option.key) = \(parsed.value)` is outside \(range.lowerBound)-\(range.upperBound)",
                         hint: option.key == "default port" ? "use a port from 1 to 65535" : "use a value from \(range.lowerBound) to \(range.upperBound)")
            return
        }
        if option.key == "timeout seconds" && parsed.value == 0 {
            timeoutZero(&context, option)
        }
        if option.key == "buffer size bytes" { bufferSize(&context, option, bytes: UInt64(max(0, parsed.value))) }
    }

    private static func entries(_ context: inout LintContext, _ option: Option) {
        let value = option.value
        let parsed = StrToLL(value)
        let rest = String(decoding: Array(value.utf8)[parsed.consumed...], as: UTF8.self)
        if parsed.hasDigits, let unit = rest.trimmingSpaces.first, unit.isLetter {
            let shown = max(5, parsed.value)
            context.emit("SC410", at: option,
                         "`\(option.key)` is a number of database entries, not a duration: Netdata reads `\(value)` as \(shown) entries\(parsed.value < 5 ? " (\(parsed.value), raised to the minimum of 5)" : "")",
                         hint: "write the number of entries, e.g. `\(StreamAdvice.line(option.key, "3600"))` keeps one hour at one value per second")
            return
        }
        integer(&context, option, range: 0...Int64(Int32.max))
        let valid = StrToLL(value)
        if valid.hasDigits, valid.consumed == value.utf8.count, valid.value < 5 {
            context.emit("SC416", at: option, "Netdata raises a retention of \(valid.value) entries to 5", hint: "write 5 or more")
        }
    }

    private static func duration(_ context: inout LintContext, _ option: Option) {
        guard let seconds = NetdataDuration.parseSeconds(option.value) else {
            context.emit("SC407", at: option,
                         "`\(option.value)` is not a duration Netdata 2.x understands: it logs an error and uses the default",
                         hint: "write a number with a unit, such as 30s, 5m, 1h or 1d")
            return
        }
        if option.key == "timeout" || option.key == "timeout seconds", seconds == 0 { timeoutZero(&context, option) }
        if option.key == "reconnect delay" || option.key == "reconnect delay seconds", seconds < 5 {
            context.emit("SC412", at: option, "a reconnect delay of \(seconds)s is raised to 5s by Netdata", hint: "write 5s or more")
        }
    }

    private static func timeoutZero(_ context: inout LintContext, _ option: Option) {
        context.emit("SC411", at: option,
                     "a timeout of zero gives connects no time and makes every sender look idle: streaming breaks",
                     hint: "write `\(StreamAdvice.builtInTimeout(context.target))` (the built-in default) or remove the line")
    }

    private static func size(_ context: inout LintContext, _ option: Option) {
        guard let bytes = NetdataSize.parseBytes(option.value) else {
            let fix = NetdataSize.caseMistake(option.value)
            context.emit("SC408", at: option,
                         "`\(option.value)` is not a size Netdata 2.x understands (units are case-sensitive): it logs an error and uses the default",
                         hint: fix.map { fixed in fixed.hasSuffix("B") && fixed.count == 2 ? "write `\(fixed.prefix(1))iB` (base 2, as Netdata writes sizes) or `\(fixed)`" : "write the unit as `\(fixed)`" } ?? "write a number with a unit such as 10MiB")
            return
        }
        bufferSize(&context, option, bytes: bytes)
    }

    private static func bufferSize(_ context: inout LintContext, _ option: Option, bytes: UInt64) {
        if bytes == 0 {
            context.emit("SC413", at: option, "a buffer size of 0 leaves the sender no room for data", hint: "remove the line to use 10MiB")
        } else if bytes < 64 * 1024 {
            context.emit("SC413", at: option, "a buffer of \(bytes) bytes is far below the default 10MiB: when the parent is slow it fills up and the sender drops the connection and its buffered data", hint: "use at least 1MiB (default 10MiB)")
        } else if bytes >= 1 << 32 {
            context.emit("SC413", at: option, "a buffer of 4 GiB or more wraps: Netdata stores the size in 32 bits", hint: "use less than 4GiB")
        }
    }

    private static func apiKey(_ context: inout LintContext, _ option: Option) {
        let value = option.value
        guard !value.isEmpty else { return }
        if ExampleKeys.isPlaceholder(value) {
            let whose = SecretMasker.isStockPlaceholder(value) || value == "YOUR-API-KEY" ? "the stock file's placeholder" : "a placeholder from an example"
            context.emit("SC305", at: option, "`\(value)` is \(whose), not a key",
                         hint: "use a UUID from `stream-config keygen`, the same on the parent and the child")
            return
        }
        switch UUIDSyntax.classify(value) {
        case .canonical:
            if ExampleKeys.isDocumentationKey(value) {
                context.emit("SC310", at: option,
                             "this `\(option.key)` is the key printed in Netdata's documentation: a parent that accepts it accepts anyone who read the documentation",
                             hint: "make a key of your own with `stream-config keygen`; write `\(StreamAdvice.line(option.key, "NEW-KEY"))` here and give the parent a `[NEW-KEY]` section (`stream-config parent add-key`)")
            }
        case .notLowercase:
            context.emit("SC303", at: option, "the API key is not lowercase: the parent's section must have exactly this spelling",
                         hint: "write `\(StreamAdvice.line(option.key, value.lowercased()))` and name the parent's section the same")
        case .invalid:
            if value == "stream" {
                context.emit("SC301", at: option,
                             "the API key `stream` would match the parent's own [stream] section on Netdata 2.x, which is accepted from any address; 1.37 refuses it",
                             hint: "use a UUID from `stream-config keygen`")
            } else {
                context.emit("SC301", at: option,
                             context.target == .v1_37 ? "the API key is not a UUID: Netdata 1.37 parents refuse it (\"is not valid GUID\")"
                                 : "the API key is not a UUID: Netdata 2.11 parents accept any non-empty key that names an enabled API key section, but 1.37 parents refuse it (\"is not valid GUID\"), and only a random UUID is hard to guess",
                             hint: "use a UUID from `stream-config keygen`, the same on the parent and the child")
            }
        }
    }
}
