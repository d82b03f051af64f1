/// Typed, byte-preserving edits of a stream.conf `Document`.
///
/// Every mutation rewrites or inserts only the lines it must; all other lines keep their exact
/// bytes and order. Each mutation is checked against Netdata's reading of the result (`Ini`):
/// if the effective configuration would differ from the request in any other way, the edit is
/// refused with `EditError` and the document is left as it was. Mutations are idempotent.
public struct ConfigEditor: Sendable {
    public private(set) var document: Document

    public init(_ document: Document) {
        self.document = document
    }

    /// Netdata's reading of the current document.
    public var ini: Ini { Ini(document) }

    /// The value Netdata uses for `key` in `section` (the last active occurrence), if any.
    public func value(section: String, key: String) -> String? {
        ini.section(section)?.value(key)
    }

    // MARK: set

    /// Makes `key = value` the setting in force in `[section]`.
    ///
    /// In order of preference: rewrite the value bytes of the last active occurrence (earlier
    /// duplicates stay, they are overridden anyway); turn the section's first commented-out
    /// `#key = ...` line into the active line, in place; insert a line after the section's last
    /// option (or right after its header); append the section at the end of the file.
    /// Returns whether the document changed.
    @discardableResult
    public mutating func set(section: String, key: String, value: String) throws -> Bool {
        try EditSyntax.checkSectionName(section)
        try EditSyntax.checkOption(key: key, value: value)
        let name = Array(section.utf8)
        let keyBytes = Array(key.utf8)
        let valueBytes = Array(value.utf8)
        let ini = self.ini
        var expected = ini.effectiveValues
        expected[name, default: [:]][keyBytes] = valueBytes

        guard let sectionIndex = ini.sectionIndex(named: name) else {
            try addSection(name: section, options: [(key: key, value: value)])
            return true
        }
        let options = ini.sections[sectionIndex].options
        let edited: Document
        if let option = options.last(where: { $0.keyBytes == keyBytes }) {
            edited = try rewritingValue(of: option, to: valueBytes, key: key)
        } else if let line = ini.commentLines(ofSection: sectionIndex).first(where: {
            EditSyntax.isCommentedOut(document.lines[$0].text, key: keyBytes)
        }) {
            edited = try uncommenting(line: line, key: keyBytes, value: valueBytes)
        } else {
            let anchor = options.last?.line ?? headerLines(of: sectionIndex, in: ini)[0]
            edited = try inserting(after: anchor, key: keyBytes, value: valueBytes, indentFrom: options.last?.line)
        }
        return try commit(edited, expecting: expected)
    }

    // MARK: set strategies

    private func rewritingValue(of option: Option, to value: [UInt8], key: String) throws -> Document {
        try requireSingleChunk(option.line, purpose: "change '\(key)'")
        let text = EditSyntax.replacingValue(in: document.lines[option.line].text, of: option, with: value)
        try EditSyntax.checkLength(text, what: "line \(option.line + 1)")
        var edited = document
        edited.replaceLine(at: option.line, with: text)
        return edited
    }

    /// `#key = old` becomes `key = value` on the same line, with that line's indentation and
    /// line end.
    private func uncommenting(line: Int, key: [UInt8], value: [UInt8]) throws -> Document {
        try requireSingleChunk(line, purpose: "uncomment it")
        let old = document.lines[line].text
        let text = EditSyntax.optionLine(
            indent: EditSyntax.indentation(of: old), key: key, value: value,
            crlf: old.last == EditSyntax.carriageReturn)
        try EditSyntax.checkLength(text, what: "line \(line + 1)")
        var edited = document
        edited.replaceLine(at: line, with: text)
        return edited
    }

    /// A new line after `anchor`, indented like the line `indentFrom` (four spaces without one).
    private func inserting(after anchor: Int, key: [UInt8], value: [UInt8], indentFrom: Int?) throws -> Document {
        try requireSingleChunk(anchor, purpose: "add an option after it")
        let indent = indentFrom.map { EditSyntax.indentation(of: document.lines[$0].text) } ?? EditSyntax.defaultIndent
        let crlf = document.usesCRLF
        let text = EditSyntax.optionLine(indent: indent, key: key, value: value, crlf: crlf)
        try EditSyntax.checkLength(text, what: "the new line")
        var edited = document
        edited.insertTerminatedLines([text], at: anchor + 1, crlf: crlf)
        return edited
    }

    // MARK: unset

    /// Removes every active occurrence of `key` in `[section]` (removing only the last would
    /// bring an earlier duplicate into force). Returns whether anything was removed.
    @discardableResult
    public mutating func unset(section: String, key: String) throws -> Bool {
        guard let (lines, expected) = try activeLines(section: section, key: key, purpose: "remove '\(key)'") else { return false }
        var edited = document
        for line in lines.sorted(by: >) { edited.removeLines(line..<(line + 1)) }
        return try commit(edited, expecting: expected)
    }

    // MARK: comment out

    /// Turns every active occurrence of `key` in `[section]` into a comment on the same line:
    /// `#` goes after the line's indentation, every other byte stays (`    CAfile = /x` becomes
    /// `    #CAfile = /x`, the stock file's form). A later `set` reactivates that line in place.
    /// Returns whether anything changed.
    @discardableResult
    public mutating func commentOut(section: String, key: String) throws -> Bool {
        guard let (lines, expected) = try activeLines(section: section, key: key, purpose: "comment out '\(key)'") else { return false }
        var edited = document
        for line in lines {
            let text = document.lines[line].text
            let indent = EditSyntax.indentation(of: text)
            edited.replaceLine(at: line, with: indent + [EditSyntax.hash] + text[indent.count...])
        }
        return try commit(edited, expecting: expected)
    }

    // MARK: helpers

    /// The lines where `key` is active in `[section]` (nil when there is none), each one a
    /// single chunk for Netdata, and the effective values once `key` is gone from that section.
    func activeLines(section: String, key: String, purpose: String) throws -> (Set<Int>, [[UInt8]: [[UInt8]: [UInt8]]])? {
        let name = Array(section.utf8)
        let keyBytes = Array(key.utf8)
        let ini = self.ini
        guard let sectionIndex = ini.sectionIndex(named: name) else { return nil }
        let lines = Set(ini.sections[sectionIndex].options.filter { $0.keyBytes == keyBytes }.map(\.line))
        guard !lines.isEmpty else { return nil }
        for line in lines { try requireSingleChunk(line, purpose: purpose) }
        var expected = ini.effectiveValues
        expected[name]?[keyBytes] = nil
        return (lines, expected)
    }

    func headerLines(of section: Int, in ini: Ini) -> [Int] {
        ini.sections[section].headerEntries.map { ini.entries[$0].line }
    }

    /// Lines longer than one `fgets` read are several logical lines for Netdata; editing one
    /// could move the split and change what the rest of it means.
    func requireSingleChunk(_ line: Int, purpose: String) throws {
        guard EditSyntax.isSingleChunk(document.lines[line]) else {
            throw EditError(.lineTooLong, "Line \(line + 1) is \(document.lines[line].text.count) bytes, longer than Netdata reads in one piece (\(Ini.readChunk - 1)); shorten it by hand before trying to \(purpose).")
        }
    }

    /// Adopts `edited` if Netdata would read exactly `expected` from it.
    @discardableResult
    mutating func commit(_ edited: Document, expecting expected: [[UInt8]: [[UInt8]: [UInt8]]]) throws -> Bool {
        guard Ini(edited).effectiveValues == expected else { throw EditError.unsafe }
        let changed = edited != document
        document = edited
        return changed
    }
}

extension Document {
    /// `insertLines`, but when the new lines follow a last line without a newline in a CRLF file,
    /// that line is first given the `\r` its new line end needs.
    mutating func insertTerminatedLines(_ texts: [[UInt8]], at index: Int, crlf: Bool) {
        if crlf, index == lines.count, let last = lines.indices.last, !lines[last].hasNewline,
           lines[last].text.last != EditSyntax.carriageReturn {
            replaceLine(at: last, with: lines[last].text + [EditSyntax.carriageReturn])
        }
        insertLines(texts, at: index)
    }
}
