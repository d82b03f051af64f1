import StreamConfig
import StreamConfigSystem

/// The write path of `lint --fix` and `migrate`: the file (a link's target), its lock, a change
/// computed by the core, then a masked diff or an atomic replace, as every rewrite does.
enum FileFix {
    struct Outcome<Result> {
        var result: Result
        var written: Bool
        var secrets: Set<String>
        var masker: SecretMasker
        /// The change as a unified diff, keys masked unless shown (nil when nothing changed).
        var diff: String?

        /// Prints the diff (on a terminal with control characters escaped; piped, a patch).
        func printDiff(showSecrets: Bool) {
            guard let diff else { return }
            Terminal.write(1, Terminal.isTTY(1) ? PrintableText.escaped(diff, keepingNewlines: true) : diff)
            if !showSecrets && !secrets.isEmpty { Terminal.note("keys in this diff are shortened: it is not a patch to apply (--show-secrets prints them)") }
        }
    }

    static func apply<Result>(to file: String, write: Bool, showSecrets: Bool,
                              change: (Document) throws -> (Document, Result)) throws -> Outcome<Result> {
        let path = try RewriteSource.target(file: file, directories: .fromEnvironment(), note: Terminal.note)
        let lock = write ? try FileLock(for: path) : nil
        defer { withExtendedLifetime(lock) {} }
        let original = Document(bytes: try FileAccess.read(path).bytes)
        let (changed, result) = try change(original)
        let secrets = Linter.lint(document: original, file: path).secrets
        let masker = SecretMasker.forOutput(showSecrets: showSecrets, secrets: secrets)
        let name = AtomicFile.fileName(of: path)
        let diff = changed == original ? nil : masker.mask(UnifiedDiff.make(old: original, new: changed, oldLabel: "a/\(name)", newLabel: "b/\(name)"))
        var outcome = Outcome(result: result, written: false, secrets: secrets, masker: masker, diff: diff)
        guard write, changed != original else { return outcome }
        AtomicFile.removeStaleTemporaryFiles(for: path)
        try AtomicFile.write(changed.render(), to: path)
        outcome.written = true
        return outcome
    }
}

extension FileFix {
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
        if dryRun { outcome.printDiff(showSecrets: showSecrets) }
        for finding in outcome.result.fixed {
            Terminal.stderr("\(path):\(finding.line): fixed [\(finding.code)]: \(outcome.masker.mask(finding.fix?.summary ?? ""))")
        }
        let verb = outcome.written ? "fixed" : dryRun ? "would fix" : "fixed"
        Terminal.note(outcome.result.changed ? "\(path): \(verb) \(Wording.plural(outcome.result.fixed.count, "finding"))" : "\(path): nothing to fix")
        return outcome.result.document
    }
}
