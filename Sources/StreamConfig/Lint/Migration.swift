/// Moving a stream.conf written for Netdata 1.37 to the 2.x names (`stream-config migrate --to 2`).
///
/// Netdata 2.x renames the old names in memory when it loads the file (spec §2.3), so writing the
/// new names keeps what Netdata does exactly: the migrated file reads as the old one did on 2.x.
/// Values whose reading 2.x changes (`memory mode = save` becomes RAM; `true` for yes/no/auto
/// options) are not changed: they are decisions, returned as findings.
public enum Migration {
    public struct Rename: Sendable, Equatable, Codable {
        /// 1-based line in the file as it was.
        public var line: Int
        public var section: String
        public var old: String
        public var new: String
    }

    public struct Report: Sendable {
        public var file: String
        public var original: Document
        public var document: Document
        public var renames: [Rename]
        /// What the user must decide (2.x reads these values differently from 1.37): the 2.x lint
        /// report of the file as it was, keeping only these findings (its secrets for masking).
        public var decisions: LintReport
        public var changed: Bool { document != original }
    }

    /// Codes of the findings that are upgrade decisions: a database mode 2.x does not have
    /// (`save`, `map`: silently RAM) and a yes/no/auto value read differently (SC419).
    static let decisionCodes: Set<String> = ["SC409", "SC419"]

    public static func toV2(_ document: Document, file: String) -> Report {
        let lint = { (d: Document) in Linter.lint(bytes: d.render(), file: file, options: LintOptions(target: .v2, findingLimit: .max)).diagnostics }
        var report = Linter.lint(document: document, file: file, options: LintOptions(target: .v2, findingLimit: .max))
        let findings = report.diagnostics
        let ini = Ini(document)
        let schema = Schema.forTarget(.v2)
        var renames: [Rename] = []
        for section in ini.sections {
            for option in section.options {
                guard let rename = schema.rename(of: option.key),
                      findings.contains(where: { $0.code == "SC206" && $0.line == option.line + 1 }) else { continue }
                renames.append(Rename(line: option.line + 1, section: section.name, old: option.key, new: rename.new))
            }
        }
        let outcome = Fixer.run(document) { lint($0).filter { $0.code == "SC206" } }
        let droppedModes = ini.sections.flatMap(\.options).filter { ["save", "map"].contains($0.value) }.map { $0.line + 1 }
        report.diagnostics = findings.filter { finding in
            // SC409 only for the 1.37 modes 2.x dropped; another unknown word was wrong on 1.37 too.
            decisionCodes.contains(finding.code) && (finding.code != "SC409" || droppedModes.contains(finding.line))
        }
        return Report(file: file, original: document, document: outcome.document, renames: renames.sorted { $0.line < $1.line },
                      decisions: report)
    }
}
