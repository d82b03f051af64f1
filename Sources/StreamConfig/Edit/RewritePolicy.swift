/// The rule every rewrite follows: a change may not introduce lint errors. Errors the file
/// already had are allowed to stay (so one problem can be fixed at a time), and are reported.
///
/// "Already had" compares what a finding is about, not how its message reads: its code and the
/// thing it points at (the option, as section and name; a section header; otherwise the text
/// of the line). Messages embed line numbers (SC101 names the lines whose options move to
/// another section), so an edit that only shifts lines must not make an old error look new.
public enum RewritePolicy {
    /// What a finding is about, independent of where the line now is.
    public enum Subject: Hashable, Sendable {
        /// An option line: its section and name.
        case option(section: String?, name: String)
        /// A section header.
        case header(String)
        /// Any other line (a broken header, a line without `=`): its text, trimmed.
        case line(String)
        /// A finding about the whole file, or a line the document does not have: its message.
        case file(String)
    }

    public struct Finding: Hashable, Sendable {
        public var code: String
        public var subject: Subject
    }

    public struct Outcome: Sendable {
        /// The result's lint report (every finding).
        public var report: LintReport
        /// Errors the change introduced: the change is refused when there are any.
        public var introduced: [Diagnostic]
        /// Every error in the result (the ones it had before included).
        public var remaining: [Diagnostic]
    }

    /// Lints `after` with `before`'s target and compares its errors with `before`'s, which is
    /// the report of `original` (both linted with no finding limit).
    public static func check(before: LintReport, original: Document, after: Document, file: String) -> Outcome {
        let report = Linter.lint(document: after, file: file, options: LintOptions(target: before.target, findingLimit: .max))
        let oldIni = Ini(original)
        let newIni = Ini(after)
        var existing: [Finding: Int] = [:]
        for d in before.diagnostics where d.severity == .error {
            existing[finding(d, in: original, oldIni), default: 0] += 1
        }
        var introduced: [Diagnostic] = []
        let remaining = report.diagnostics.filter { $0.severity == .error }
        for d in remaining {
            let key = finding(d, in: after, newIni)
            if let count = existing[key], count > 0 { existing[key] = count - 1 } else { introduced.append(d) }
        }
        return Outcome(report: report, introduced: introduced, remaining: remaining)
    }

    /// The code and subject of `diagnostic`, found in the document it was reported on.
    public static func finding(_ diagnostic: Diagnostic, in document: Document, _ ini: Ini? = nil) -> Finding {
        Finding(code: diagnostic.code, subject: subject(diagnostic, in: document, ini ?? Ini(document)))
    }

    private static func subject(_ diagnostic: Diagnostic, in document: Document, _ ini: Ini) -> Subject {
        let index = diagnostic.line - 1
        guard index >= 0, index < document.lines.count,
              let entry = ini.entries.last(where: { $0.line == index }) else { return .file(diagnostic.message) }
        switch entry.kind {
        case .option(let option):
            return .option(section: entry.section.map { ini.sections[$0].name }, name: option.key)
        case .header:
            return .header(entry.section.map { ini.sections[$0].name } ?? "")
        default:
            let text = String(decoding: document.lines[index].text, as: UTF8.self)
            return .line(text.trimmingSpaces)
        }
    }
}
