/// How the editor writes lines, and the checks that what it writes reads back unchanged in
/// Netdata's loader (`Ini.classify`), so an edit can never produce a line Netdata reads
/// differently from what was asked.
enum EditSyntax {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let hash = UInt8(ascii: "#")
    static let equals = UInt8(ascii: "=")
    static let carriageReturn = UInt8(ascii: "\r")
    static let defaultIndent: [UInt8] = Array("    ".utf8)

    // MARK: Writing

    static func optionLine(indent: [UInt8], key: [UInt8], value: [UInt8], crlf: Bool) -> [UInt8] {
        // `key =` rather than `key = ` for an empty value: no trailing blank, as in the stock files.
        var text = indent + key + (value.isEmpty ? [space, equals] : [space, equals, space] + value)
        if crlf { text.append(carriageReturn) }
        return text
    }

    static func headerLine(name: [UInt8], crlf: Bool) -> [UInt8] {
        [UInt8(ascii: "[")] + name + [UInt8(ascii: "]")] + (crlf ? [carriageReturn] : [])
    }

    static func blankLine(crlf: Bool) -> [UInt8] { crlf ? [carriageReturn] : [] }

    /// The line with only the value bytes of `option` replaced. Spacing around `=` is kept;
    /// an empty value drops the blanks after `=` (no trailing whitespace), and a value written
    /// into an empty one gets a single space after `=` when the key has one before it.
    static func replacingValue(in text: [UInt8], of option: Option, with value: [UInt8]) -> [UInt8] {
        var result = text
        let afterEquals = option.equalsOffset + 1
        if value.isEmpty {
            result.replaceSubrange(afterEquals..<option.valueRange.upperBound, with: [])
        } else if option.valueBytes.isEmpty {
            let spaced = option.keyRange.upperBound < option.equalsOffset
            result.replaceSubrange(afterEquals..<option.valueRange.upperBound, with: (spaced ? [space] : []) + value)
        } else {
            result.replaceSubrange(option.valueRange, with: value)
        }
        return result
    }

    // MARK: Reading

    static func isBlank(_ text: [UInt8]) -> Bool {
        Bytes.trimmed(text, 0..<text.count).isEmpty
    }

    /// A `#` in the first byte: file-level documentation in the stock files, whose section
    /// content is indented.
    static func isColumnZeroComment(_ text: [UInt8]) -> Bool {
        text.first == hash
    }

    /// Leading spaces and tabs.
    static func indentation(of text: [UInt8]) -> [UInt8] {
        Array(text.prefix { $0 == space || $0 == tab })
    }

    /// `#key = ...`, `# key=...`, `    #key =`: `#`, optional blanks, the exact key, optional
    /// blanks, `=`. Prose such as `# "CApath", e.g. CApath = /etc` does not match.
    static func isCommentedOut(_ text: [UInt8], key: [UInt8]) -> Bool {
        var index = 0
        func skipBlanks() { while index < text.count, text[index] == space || text[index] == tab { index += 1 } }
        skipBlanks()
        guard index < text.count, text[index] == hash else { return false }
        index += 1
        skipBlanks()
        guard text[index...].starts(with: key) else { return false }
        index += key.count
        skipBlanks()
        return index < text.count && text[index] == equals
    }

    /// Whether Netdata reads the line in one `fgets` call (longer lines are split, §1.2).
    static func isSingleChunk(_ line: Line) -> Bool {
        Ini.chunks(of: line).count == 1
    }

    // MARK: Checks

    static func checkSectionName(_ name: String) throws {
        let bytes = Array(name.utf8)
        if bytes.allSatisfy(Bytes.isSpace) {
            throw EditError(.invalidName, "The section name is empty (an unset shell variable?); give a name such as 'stream' or an API key.")
        }
        if let bad = bytes.first(where: isForbidden) {
            throw EditError(.invalidName, "Section name '\(name)' contains \(describe(bad)); section names must fit on one line.")
        }
        let line = headerLine(name: bytes, crlf: false)
        try checkLength(line, what: "the header [\(name)]")
        let entry = Ini.classify(line, lineIndex: 0, chunk: 0..<line.count, section: nil)
        guard case .header(let read) = entry.kind, read == bytes else {
            throw EditError(.invalidName, "Netdata would not read '[\(name)]' as the header of section '\(name)'; choose another name.")
        }
    }

    static func checkOption(key: String, value: String) throws {
        let keyBytes = Array(key.utf8)
        let valueBytes = Array(value.utf8)
        if keyBytes.isEmpty {
            throw EditError(.invalidName, "The option name is empty; give a name such as 'enabled'.")
        }
        if let bad = keyBytes.first(where: isForbidden) {
            throw EditError(.invalidName, "Option name '\(key)' contains \(describe(bad)); option names must fit on one line.")
        }
        if Bytes.isSpace(keyBytes.first!) || Bytes.isSpace(keyBytes.last!) {
            throw EditError(.invalidName, "Option name '\(key)' starts or ends with whitespace, which Netdata trims; remove it.")
        }
        if keyBytes.contains(equals) {
            throw EditError(.invalidName, "Option name '\(key)' contains '='; Netdata splits a line at its first '=', so names cannot contain one.")
        }
        if keyBytes.first == hash {
            throw EditError(.invalidName, "Option name '\(key)' starts with '#', so Netdata would read the line as a comment; remove the '#'.")
        }
        if let bad = valueBytes.first(where: isForbidden) {
            throw EditError(.invalidValue, "The value for '\(key)' contains \(describe(bad)); values must fit on one line.")
        }
        if let first = valueBytes.first, let last = valueBytes.last, Bytes.isSpace(first) || Bytes.isSpace(last) {
            throw EditError(.invalidValue, "The value for '\(key)' starts or ends with whitespace, which Netdata trims; remove it.")
        }
        let line = optionLine(indent: defaultIndent, key: keyBytes, value: valueBytes, crlf: false)
        try checkLength(line, what: "the line for '\(key)'")
        let entry = Ini.classify(line, lineIndex: 0, chunk: 0..<line.count, section: 0)
        guard case .option(let option) = entry.kind, option.keyBytes == keyBytes, option.valueBytes == valueBytes else {
            throw EditError(.invalidValue, "Netdata would not read '\(key) = \(value)' as that option and value (it would look like a section header); change the name or value.")
        }
    }

    static func checkLength(_ text: [UInt8], what: String) throws {
        guard isSingleChunk(Line(text: text, hasNewline: true)) else {
            throw EditError(.lineTooLong, "\(what.prefix(1).uppercased() + what.dropFirst()) would be \(text.count) bytes; Netdata reads at most \(Ini.readChunk - 1) bytes per line and splits longer ones. Shorten it.")
        }
    }

    /// Bytes that would split the line (`\n`), change the file's line ends (`\r`) or cut the
    /// C string Netdata works with (NUL).
    private static func isForbidden(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == carriageReturn || byte == 0
    }

    private static func describe(_ byte: UInt8) -> String {
        byte == 0 ? "a NUL byte" : "a line break"
    }
}
