import FoundationEssentials
import StreamConfig

public enum OutputFormat: String, CaseIterable, Sendable {
    case human, gcc, json, sarif
}

/// Renders lint reports. Diagnostics stay plain values; only printers know about colour,
/// carets and masking.
public struct DiagnosticPrinter: Sendable {
    public var format: OutputFormat
    public var color: Bool
    public var showSecrets: Bool

    public init(format: OutputFormat, color: Bool, showSecrets: Bool) {
        self.format = format
        self.color = color
        self.showSecrets = showSecrets
    }

    public func masker(_ report: LintReport) -> SecretMasker {
        SecretMasker.forOutput(showSecrets: showSecrets, secrets: report.secrets)
    }

    /// Text for one report (human and gcc); JSON and SARIF print all reports at once. Text from
    /// the file is masked, then its control characters escaped.
    public func render(_ report: LintReport, document: Document) -> String {
        let mask = masker(report)
        var out = ""
        for d in report.diagnostics {
            switch format {
            case .gcc:
                out += "\(printable(d.file)):\(d.line):\(d.column): \(d.severity.rawValue): [\(d.code)] \(printable(mask.mask(d.message)))\n"
            default:
                out += human(d, document: document, mask: mask)
            }
        }
        if report.omitted.total > 0 {
            let omitted = report.omitted
            let line = "\(omitted.total) more finding\(omitted.total == 1 ? "" : "s") not shown (\(omitted.errors) errors, \(omitted.warnings) warnings, \(omitted.notes) notes): "
                + "only the first \(report.diagnostics.count) of each file are listed"
            out += format == .gcc ? "\(printable(report.file)): note: \(line)\n" : "\(printable(report.file)): \(line)\n"
        }
        return out
    }

    private func printable(_ text: String) -> String { PrintableText.escaped(text) }

    public func summary(_ report: LintReport) -> String {
        let errors = report.errorCount
        let warnings = report.warningCount
        let infos = report.diagnostics.count - errors - warnings
        let counts = report.diagnostics.isEmpty ? "no findings" : [Wording.plural(errors, "error"), Wording.plural(warnings, "warning"), Wording.plural(infos, "note")].joined(separator: ", ")
        return "\(printable(report.file)): \(counts) (checked as \(report.target.displayName): \(report.targetReason))"
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    private func human(_ d: Diagnostic, document: Document, mask: SecretMasker) -> String {
        let severityColor = d.severity == .error ? "1;31" : d.severity == .warning ? "1;33" : "1;36"
        var out = paint("\(printable(d.file)):\(d.line):\(d.column):", "1") + " " + paint("\(d.severity.rawValue)[\(d.code)]", severityColor) + ": "
            + printable(mask.mask(d.message)) + "\n"
        if d.line - 1 < document.lines.count {
            let raw = document.lines[d.line - 1].text
            let gutter = String(d.line)
            let pad = String(repeating: " ", count: gutter.count)
            // Show at most 200 bytes around the finding; tabs become spaces so the caret lines up.
            let start = max(0, min(d.column - 1, raw.count) - 100)
            let end = min(raw.count, start + 200)
            func shown(_ bytes: ArraySlice<UInt8>) -> String {
                printable(mask.mask(String(decoding: bytes.map { $0 == 9 ? 32 : ($0 == 13 ? 32 : $0) }, as: UTF8.self)))
            }
            let caretOffset = shown(raw[start..<min(max(start, d.column - 1), end)]).count
            let caretLength = max(1, min(d.length, max(1, end - (d.column - 1))))
            out += " \(gutter) | \(shown(raw[start..<end]))\n"
            out += " \(pad) | " + String(repeating: " ", count: caretOffset) + paint("^" + String(repeating: "~", count: max(0, min(caretLength, 120) - 1)), severityColor) + "\n"
            if let hint = d.hint { out += " \(pad) = " + paint("hint:", "1;32") + " " + printable(mask.mask(hint)) + "\n" }
        } else if let hint = d.hint {
            out += "    = hint: \(printable(mask.mask(hint)))\n"
        }
        return out
    }

    // MARK: Machine-readable formats

    public struct JSONFinding: Encodable, Sendable {
        public var file: String, line: Int, column: Int, length: Int, code: String, severity: String, title: String, message: String, hint: String?
    }

    public struct JSONFile: Encodable, Sendable {
        var file: String, target: String, targetReason: String, errors: Int, warnings: Int, diagnostics: [JSONFinding]
    }

    public func findings(_ report: LintReport) -> [JSONFinding] {
        let mask = masker(report)
        return report.diagnostics.map {
            JSONFinding(file: $0.file, line: $0.line, column: $0.column, length: $0.length, code: $0.code, severity: $0.severity.rawValue,
                        title: Rules.rule($0.code)?.title ?? "", message: mask.mask($0.message), hint: $0.hint.map(mask.mask))
        }
    }

    public func json(_ reports: [LintReport]) -> String {
        let files = reports.map {
            JSONFile(file: $0.file, target: $0.target.rawValue, targetReason: $0.targetReason, errors: $0.errorCount, warnings: $0.warningCount, diagnostics: findings($0))
        }
        return encode(files)
    }

    public func sarif(_ reports: [LintReport]) -> String {
        struct Message: Encodable { var text: String }
        struct Region: Encodable { var startLine: Int, startColumn: Int, endColumn: Int }
        struct ArtifactLocation: Encodable { var uri: String }
        struct PhysicalLocation: Encodable { var artifactLocation: ArtifactLocation, region: Region }
        struct Location: Encodable { var physicalLocation: PhysicalLocation }
        struct Result: Encodable { var ruleId: String, level: String, message: Message, locations: [Location] }
        struct RuleDescriptor: Encodable { var id: String, name: String, shortDescription: Message, fullDescription: Message }
        struct Driver: Encodable { var name: String, informationUri: String, rules: [RuleDescriptor] }
        struct Tool: Encodable { var driver: Driver }
        struct Run: Encodable { var tool: Tool, results: [Result] }
        struct Log: Encodable { var version = "2.1.0", runs: [Run]
            enum CodingKeys: String, CodingKey { case schema = "$schema", version, runs }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode("https://json.schemastore.org/sarif-2.1.0.json", forKey: .schema)
                try c.encode(version, forKey: .version)
                try c.encode(runs, forKey: .runs)
            }
        }
        let rules = Rules.all.map { RuleDescriptor(id: $0.code, name: $0.title, shortDescription: Message(text: $0.title), fullDescription: Message(text: $0.explanation)) }
        let results = reports.flatMap { report in
            findings(report).map { f in
                Result(ruleId: f.code, level: f.severity, message: Message(text: f.message + (f.hint.map { " Hint: \($0)" } ?? "")),
                       locations: [Location(physicalLocation: PhysicalLocation(artifactLocation: ArtifactLocation(uri: f.file),
                                                                               region: Region(startLine: f.line, startColumn: f.column, endColumn: f.column + f.length)))])
            }
        }
        return encode(Log(runs: [Run(tool: Tool(driver: Driver(name: "stream-config", informationUri: "https://github.com/netdata/netdata", rules: rules)), results: results)]))
    }

    private func encode(_ value: some Encodable) -> String { JSONOutput.string(value) }
}

/// The one JSON encoding every command's `--format json` uses.
public enum JSONOutput {
    public static func string(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
