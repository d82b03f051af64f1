import StreamConfig

extension DiagnosticPrinter {
    /// What `fleet check` prints on standard output: the files with findings, rendered one after
    /// the other (human, gcc), or one JSON or SARIF document for them all (with its newline).
    public func fleetOutput(_ report: FleetReport) -> String {
        let withFindings = report.files.filter { !$0.report.diagnostics.isEmpty || $0.report.omitted.total > 0 }
        switch format {
        case .human, .gcc: return withFindings.map { render($0.report, document: $0.document) }.joined()
        case .json: return json(withFindings.map(\.report)) + "\n"
        case .sarif: return sarif(withFindings.map(\.report)) + "\n"
        }
    }

    /// `fleet check`'s closing line (human format): hosts, streams, and findings by severity.
    public func fleetSummary(_ report: FleetReport, fleetPath: String) -> String {
        let notes = report.files.reduce(0) { $0 + $1.report.diagnostics.count } - report.errorCount - report.warningCount
        func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(fleetPath): \(count(report.hostCount, "host")), \(count(report.edgeCount, "stream")) between them; "
            + "\(count(report.errorCount, "error")), \(count(report.warningCount, "warning")), \(count(max(0, notes), "note"))"
    }
}

/// `doctor`'s steps as printed: one line per step (and its fix) for people, one JSON array
/// (destination, verdict, code, summary, fix) for tools; every key masked.
public enum DoctorOutput {
    public static func text(_ steps: [(destination: String, diagnosis: Diagnosis)], json: Bool, masker: SecretMasker) -> String {
        if json {
            struct Item: Encodable {
                var destination: String, verdict: String, code: String, summary: String, fix: String?
            }
            return JSONOutput.string(steps.map { step in
                let d = step.diagnosis
                return Item(destination: masker.mask(step.destination), verdict: d.verdict.rawValue, code: d.code,
                            summary: masker.mask(d.summary), fix: d.fix.map(masker.mask))
            }) + "\n"
        }
        var out = ""
        for step in steps {
            let d = step.diagnosis
            out += "\(d.mark.padded(4)) \(masker.mask(step.destination)): \(masker.mask(d.summary))\n"
            if let fix = d.fix { out += "     fix: \(masker.mask(fix))\n" }
        }
        return out
    }
}
