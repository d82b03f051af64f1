/// A change that resolves one finding when what the author meant is unambiguous (`lint --fix`).
///
/// A fix is line edits: each replaces one physical line of the file with zero or more lines,
/// every other byte of the file stays as it was. Rules attach fixes only where the meaning is
/// certain (`Rules.fixable`); a finding that needs a decision (`enabled = 1`, a key that is not a
/// UUID) has none.
public struct Fix: Sendable, Equatable {
    /// What the fix does, in the words of a finding's hint (`move the comment above the line`).
    public var summary: String
    public var edits: [LineEdit]

    public init(summary: String, edits: [LineEdit]) {
        self.summary = summary
        self.edits = edits
    }
}

public struct LineEdit: Sendable, Equatable {
    /// 0-based index of the line replaced.
    public var line: Int
    /// What replaces it, without line ends (the replaced line's own ending is added to each).
    /// Empty: the line is removed.
    public var lines: [[UInt8]]

    public init(line: Int, lines: [[UInt8]]) {
        self.line = line
        self.lines = lines
    }
}

/// Applying fixes to a document, and running lint and fixes until nothing fixable is left.
public enum Fixer {
    public struct Outcome: Sendable {
        /// The fixed document (the input's bytes when nothing was fixable).
        public var document: Document
        /// The findings fixed, as lint reported them before each pass (1-based lines of that pass).
        public var fixed: [Diagnostic]
        /// How many lint passes it took (the last one found nothing more to fix).
        public var passes: Int

        public var changed: Bool { !fixed.isEmpty }
    }

    /// Lints, applies every fix of the findings, and lints again until no finding has a fix
    /// (at most `maxPasses`; each pass only fixes lines no earlier fix of that pass touched, so
    /// fixes never overlap). Running it on its own output changes nothing.
    public static func run(_ document: Document, maxPasses: Int = 8, lint: (Document) -> [Diagnostic]) -> Outcome {
        var current = document
        var fixed: [Diagnostic] = []
        var passes = 0
        while passes < maxPasses {
            passes += 1
            let (next, applied) = apply(lint(current), to: current)
            if applied.isEmpty { break }
            fixed += applied
            current = Document(bytes: next.render())  // lines exactly as a reader of the file sees them
        }
        return Outcome(document: current, fixed: fixed, passes: passes)
    }

    /// Applies the fixes of `diagnostics` whose lines do not overlap an earlier fix's (in file
    /// order); returns the new document and the findings whose fixes were applied.
    public static func apply(_ diagnostics: [Diagnostic], to document: Document) -> (Document, [Diagnostic]) {
        var touched = Set<Int>()
        var edits: [LineEdit] = []
        var applied: [Diagnostic] = []
        for diagnostic in diagnostics.sorted(by: { ($0.line, $0.column) < ($1.line, $1.column) }) {
            guard let fix = diagnostic.fix, !fix.edits.isEmpty else { continue }
            let lines = Set(fix.edits.map(\.line))
            guard lines.isDisjoint(with: touched), lines.allSatisfy({ document.lines.indices.contains($0) }),
                  lines.count == fix.edits.count else { continue }
            touched.formUnion(lines)
            edits += fix.edits
            applied.append(diagnostic)
        }
        var result = document
        // Bottom up, so that the indices of the lines still to edit do not move.
        for edit in edits.sorted(by: { $0.line > $1.line }) {
            let original = result.lines[edit.line]
            let crlf = original.text.last == UInt8(ascii: "\r")
            let replacement = edit.lines.enumerated().map { index, text in
                // Each new line ends as the replaced one did; only the last may lack a newline.
                Line(text: crlf && text.last != UInt8(ascii: "\r") ? text + [UInt8(ascii: "\r")] : text,
                     hasNewline: index < edit.lines.count - 1 || original.hasNewline)
            }
            result = Document(lines: Array(result.lines[..<edit.line]) + replacement + Array(result.lines[(edit.line + 1)...]))
        }
        return (result, applied)
    }
}

extension Fix {
    /// Replaces `length` bytes at `column` (0-based) of line `line` of `document` with `text`.
    static func replacing(line: Int, column: Int, length: Int, with text: some Sequence<UInt8>, in document: Document,
                          summary: String) -> Fix? {
        guard document.lines.indices.contains(line) else { return nil }
        var bytes = lineText(document.lines[line])
        guard column >= 0, length >= 0, column + length <= bytes.count else { return nil }
        bytes.replaceSubrange(column..<(column + length), with: Array(text))
        return Fix(summary: summary, edits: [LineEdit(line: line, lines: [bytes])])
    }

    /// Splits line `line` at `column`: the text from `column` on (a `# comment`) goes on its own
    /// line above, indented as the line is; the line keeps what came before, trailing spaces cut.
    static func commentAbove(line: Int, column: Int, in document: Document, summary: String) -> Fix? {
        guard document.lines.indices.contains(line) else { return nil }
        let bytes = lineText(document.lines[line])
        guard column > 0, column < bytes.count, bytes[column] == UInt8(ascii: "#") else { return nil }
        let indent = EditSyntax.indentation(of: bytes)
        var kept = Array(bytes[..<column])
        while let last = kept.last, Bytes.isSpace(last) { kept.removeLast() }
        guard !kept.isEmpty else { return nil }
        return Fix(summary: summary, edits: [LineEdit(line: line, lines: [indent + Array(bytes[column...]), kept])])
    }

    /// Moves `option`'s line to the end of `[section]` (after its last option, indented as that
    /// one), when the section is in the file once and does not set the option already.
    static func moving(_ option: Option, to section: String, in ini: Ini, document: Document) -> Fix? {
        guard let target = ini.section(section), target.headerEntries.count == 1, target.option(option.key) == nil,
              document.lines.indices.contains(option.line), Ini.chunks(of: document.lines[option.line]).count == 1 else { return nil }
        let anchor = target.options.last?.line ?? ini.entries[target.headerEntries[0]].line
        guard anchor != option.line, document.lines.indices.contains(anchor) else { return nil }
        let moved = lineText(document.lines[option.line])
        let body = Array(moved.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        let indent = target.options.last.map { EditSyntax.indentation(of: lineText(document.lines[$0.line])) } ?? EditSyntax.defaultIndent
        return Fix(summary: "move it to [\(section)]", edits: [
            LineEdit(line: option.line, lines: []),
            LineEdit(line: anchor, lines: [lineText(document.lines[anchor]), indent + body]),
        ])
    }

    /// A line's bytes without the `\r` of a CRLF ending (`Fixer.apply` adds it back).
    static func lineText(_ line: Line) -> [UInt8] {
        line.text.last == UInt8(ascii: "\r") ? Array(line.text.dropLast()) : line.text
    }
}
