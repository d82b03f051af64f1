/// Adding and removing whole sections.
extension ConfigEditor {
    /// Appends `[name]` with `options` at the end of the file, after exactly one blank line.
    public mutating func addSection(name: String, options: [(key: String, value: String)] = []) throws {
        try EditSyntax.checkSectionName(name)
        for option in options { try EditSyntax.checkOption(key: option.key, value: option.value) }
        let nameBytes = Array(name.utf8)
        let ini = self.ini
        guard ini.sectionIndex(named: nameBytes) == nil else { throw EditError.sectionExists(name) }
        var expected = ini.effectiveValues
        var values: [[UInt8]: [UInt8]] = [:]
        for option in options { values[Array(option.key.utf8)] = Array(option.value.utf8) }
        expected[nameBytes] = values

        let crlf = document.usesCRLF
        // Match the file's option indentation (the stock files use four spaces).
        let indent = ini.sections.flatMap(\.options).max { $0.line < $1.line }
            .map { EditSyntax.indentation(of: document.lines[$0.line].text) } ?? EditSyntax.defaultIndent
        var texts: [[UInt8]] = []
        if let last = document.lines.last, !EditSyntax.isBlank(last.text) {
            texts.append(EditSyntax.blankLine(crlf: crlf))
        }
        texts.append(EditSyntax.headerLine(name: nameBytes, crlf: crlf))
        for option in options {
            let text = EditSyntax.optionLine(
                indent: indent, key: Array(option.key.utf8), value: Array(option.value.utf8), crlf: crlf)
            try EditSyntax.checkLength(text, what: "the line for '\(option.key)'")
            texts.append(text)
        }
        var edited = document
        edited.insertTerminatedLines(texts, at: edited.lines.count, crlf: crlf)
        try commit(edited, expecting: expected)
    }

    /// Removes every region of `[name]`: each header and the lines up to the next header, plus
    /// unindented comment lines directly above the header; the region's trailing unindented
    /// comments after a blank line stay (they introduce what follows), and the blank lines
    /// meeting at the cut are reduced to one (none at the start or end of the file).
    public mutating func removeSection(name: String) throws {
        let nameBytes = Array(name.utf8)
        let ini = self.ini
        guard ini.sectionIndex(named: nameBytes) != nil else { throw EditError.sectionMissing(name) }
        var expected = ini.effectiveValues
        expected[nameBytes] = nil
        var edited = document
        // One region at a time, last first, re-reading the file so each step sees real lines.
        while true {
            let current = Ini(edited)
            guard let index = current.sectionIndex(named: nameBytes),
                  let region = current.regions(ofSection: index, lineCount: edited.lines.count).last
            else { break }
            let before = edited.lines.count
            SectionRemoval.remove(region, from: &edited)
            // A header sharing a physical line with another one cannot be removed line-wise.
            guard edited.lines.count < before else { throw EditError.unsafe }
        }
        try commit(edited, expecting: expected)
    }
}
