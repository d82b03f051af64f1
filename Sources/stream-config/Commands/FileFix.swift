import StreamConfig
import StreamConfigSystem

/// `lint --fix` and `migrate` on one named file, through the write path every change shares.
enum FileFix {
    static func apply<Result>(to file: String, write: Bool, showSecrets: Bool,
                              change: (Document) throws -> (Document, Result)) throws -> FileRewrite.Outcome<Result> {
        try FileRewrite.apply(file: file, directories: .fromEnvironment(), create: false, write: write, showSecrets: showSecrets,
                              note: Terminal.note, change: { try change($0.document) })
    }

    /// Prints the diff (on a terminal with control characters escaped; piped, a patch).
    static func printDiff<Result>(_ outcome: FileRewrite.Outcome<Result>) {
        guard let diff = outcome.diff else { return }
        Terminal.write(1, Terminal.isTTY(1) ? PrintableText.escaped(diff, keepingNewlines: true) : diff)
        if outcome.diffHasMaskedKeys { Terminal.warn("keys in this diff are shortened: it is not a patch to apply (--show-secrets prints them)") }
    }

    /// `lint --fix`: the fixes of every finding that has one, in passes until none is left,
    /// checked as the file's own target throughout. Returns the fixed document.
    static func lintFix(_ path: String, target: NetdataTarget?, kind: ConfigKind, dryRun: Bool, showSecrets: Bool) throws -> Document {
        let outcome = try apply(to: path, write: !dryRun, showSecrets: showSecrets) { document in
            let checkedAs = target ?? Linter.lint(document: document, file: path, options: LintOptions(kind: kind)).target
            let fixed = Fixer.run(document) {
                Linter.lint(document: $0, file: path, options: LintOptions(target: checkedAs, kind: kind, findingLimit: .max)).diagnostics
            }
            return (fixed.document, fixed)
        }
        if dryRun { printDiff(outcome) }
        for finding in outcome.result.fixed {
            Terminal.info("\(path):\(finding.line): fixed [\(finding.code)]: \(outcome.masker.mask(finding.fix?.summary ?? ""))")
        }
        let verb = dryRun ? "would fix" : "fixed"
        Terminal.note(outcome.result.changed ? "\(path): \(verb) \(Wording.plural(outcome.result.fixed.count, "finding"))" : "\(path): nothing to fix")
        return outcome.result.document
    }
}
