/// How Netdata splits the file into lines, sections and options (SC101-SC112).
enum SyntaxChecks {
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func run(_ context: inout LintContext) {
        var reportedLongLine = Set<Int>()
        let entries = context.ini.entries
        for index in entries.indices {
            // Blank lines, comments and plain options (most of a file) need no copy of the entry.
            switch entries[index].kind {
            case .blank, .comment: if entries[index].chunk.lowerBound == 0 { continue }
            case .option(let option):
                if entries[index].chunk.lowerBound == 0, option.value.utf8.first != UInt8(ascii: "\""),
                   option.value.utf8.first != UInt8(ascii: "'") { continue }
            default: break
            }
            let entry = entries[index]
            let text = context.document.lines[entry.line].text
            if entry.chunk.lowerBound > 0, reportedLongLine.insert(entry.line).inserted {
                context.emit("SC107", line: entry.line, column: Ini.readChunk,
                             "line is \(text.count) bytes; Netdata reads at most \(Ini.readChunk) at a time and treats the rest as a new line",
                             hint: "shorten the line to at most 8190 characters")
            }
            let trimmed = Bytes.trimmed(text, entry.chunk)
            switch entry.kind {
            case .noEquals, .outsideSection:
                if entry.line == 0, entry.chunk.lowerBound == 0, text.starts(with: bom) {
                    // A BOM before a comment or blank line only hides that line: harmless.
                    let rest = Bytes.trimmed(text, 3..<entry.chunk.upperBound)
                    guard !rest.isEmpty, text[rest.lowerBound] != UInt8(ascii: "#") else { break }
                    let what = text[rest.lowerBound] == UInt8(ascii: "[") ? "a header, so the options below it are outside all sections and ignored" : "an option"
                    context.emit("SC102", line: 0, length: 3,
                                 "the file starts with a UTF-8 byte order mark: Netdata does not read `\(printable(text, rest))` as \(what)",
                                 hint: "save the file without a BOM (for example: sed -i '1s/^\\xEF\\xBB\\xBF//' stream.conf)",
                                 fix: Fix.replacing(line: 0, column: 0, length: 3, with: [], in: context.document, summary: "remove the byte order mark"))
                } else if text[trimmed.lowerBound] == UInt8(ascii: "[") {
                    notAHeader(&context, entryIndex: index, trimmed: trimmed)
                } else if case .outsideSection = entry.kind {
                    context.emit("SC106", line: entry.line, column: trimmed.lowerBound, length: trimmed.count,
                                 "Netdata ignores this line: it is outside all sections",
                                 hint: "put it below a section header such as [stream]")
                } else {
                    let semicolon = text[trimmed.lowerBound] == UInt8(ascii: ";")
                    context.emit("SC104", line: entry.line, column: trimmed.lowerBound, length: trimmed.count,
                                 "Netdata ignores this line: there is no `=` in it",
                                 hint: semicolon ? "`;` does not start a comment in Netdata; use `#`" : "write `name = value`, or start the line with `#` to make it a comment")
                }
            case .emptyKey:
                context.emit("SC105", line: entry.line, column: trimmed.lowerBound, length: trimmed.count,
                             "Netdata ignores this line: the option name before `=` is empty")
            case .header(let name):
                headerName(&context, entry: entry, name: name)
            case .option(let option):
                if let quote = option.value.utf8.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'"),
                   option.value.utf8.count >= 2, option.value.utf8.last == quote {
                    context.emit("SC111", at: option,
                                 "quotes are part of the value: Netdata reads `\(option.value)` with the quotes",
                                 hint: "remove the quotes")
                }
            case .blank, .comment:
                break
            }
        }
        duplicates(&context)
    }

    private static func notAHeader(_ context: inout LintContext, entryIndex: Int, trimmed: Range<Int>) {
        let entry = context.ini.entries[entryIndex]
        let text = context.document.lines[entry.line].text
        let shown = printable(text, trimmed)
        var message = "`\(shown)` is not a section header: a header must end with `]`, so Netdata ignores the line"
        if let section = entry.section {
            let previous = context.ini.sections[section].name
            let following = context.ini.entries[(entryIndex + 1)...].prefix { if case .header = $0.kind { return false } else { return true } }
                .filter { if case .option = $0.kind { return true } else { return false } }
            if let first = following.first, let last = following.last {
                let lines = first.line == last.line ? "line \(first.line + 1)" : "lines \(first.line + 1)-\(last.line + 1)"
                message += " and the options on \(lines) belong to [\(previous)]"
            }
        }
        let hint: String
        var fix: Fix? = nil
        if let close = text[trimmed].firstIndex(of: UInt8(ascii: "]")) {
            let header = String(decoding: text[trimmed.lowerBound...close], as: UTF8.self)
            hint = "put the comment on its own line above: `\(header)`"
            // `[KEY] # web`: only spaces between `]` and `#` (the whole line is one chunk).
            let rest = Bytes.trimmed(text, (close + 1)..<trimmed.upperBound)
            if entry.chunk == 0..<text.count || entry.chunk == 0..<(text.count - 1),
               !rest.isEmpty, text[rest.lowerBound] == UInt8(ascii: "#") {
                fix = Fix.commentAbove(line: entry.line, column: rest.lowerBound, in: context.document,
                                       summary: "move the comment to its own line above the header")
            }
        } else {
            hint = "close the header with `]`"
        }
        context.emit("SC101", line: entry.line, column: trimmed.lowerBound, length: trimmed.count, message, hint: hint, fix: fix)
    }

    private static func headerName(_ context: inout LintContext, entry: Entry, name: [UInt8]) {
        guard let range = entry.nameRange else { return }
        if name.isEmpty {
            context.emit("SC112", line: entry.line, column: range.lowerBound - 1, length: 2, "`[]` opens a section with an empty name, which Netdata never reads")
        } else if Bytes.isSpace(name.first!) || Bytes.isSpace(name.last!) {
            let shown = String(decoding: name, as: UTF8.self)
            let inner = shown.trimmingSpaces
            context.emit("SC103", line: entry.line, column: range.lowerBound - 1, length: range.count + 2,
                         "section names are not trimmed: this is the section \"\(shown)\", not [\(inner)]",
                         hint: "write `[\(inner)]`")
        }
    }

    /// SC110: an option set twice in one section; the last value wins.
    private static func duplicates(_ context: inout LintContext) {
        for section in context.ini.sections where section.hasDuplicates {
            let duplicates = section.laterDuplicates()
            for (index, option) in section.options.enumerated() {
                guard let laterIndex = duplicates[index] else { continue }
                let later = section.options[laterIndex]
                context.emit("SC110", at: option, onValue: false,
                             "`\(option.key)` is set again on line \(later.line + 1) of [\(section.name)]; Netdata ignores this one",
                             hint: "remove one of the two lines")
            }
        }
    }

    static func printable(_ text: [UInt8], _ range: Range<Int>) -> String {
        var shown = String(decoding: text[range], as: UTF8.self)
        if shown.count > 60 { shown = String(shown.prefix(57)) + "..." }
        return shown
    }
}
