import ArgumentParser
import StreamConfig
import StreamConfigSystem

/// Options shared by every command that changes stream.conf.
struct RewriteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The stream.conf to change (default: $NETDATA_USER_CONFIG_DIR/stream.conf, /etc/netdata).", valueName: "file"))
    var file: String?

    @Flag(help: "Print the change as a unified diff and write nothing.")
    var dryRun = false

    @Flag(help: "Create --file when it does not exist.")
    var create = false

    @Flag(help: "Write even if the result still has lint errors the change did not cause, or names an option Netdata does not know.")
    var force = false

    @Option(help: "Netdata line to check against: 1.37, 2 or auto.")
    var target: TargetChoice = .auto

    @Flag(help: "Print API keys in full.")
    var showSecrets = false

    @Option(help: "Output: human, or json (one object on standard output: changed, written, file, diff, findings; for scripts and Ansible's changed_when).")
    var format: RewriteFormat = .human
}

enum RewriteFormat: String, ExpressibleByArgument, CaseIterable {
    case human, json
}

/// What a changing command prints with `--format json`.
struct RewriteJSON: Encodable {
    var file: String
    var changed: Bool
    var written: Bool
    /// The change as a unified diff (nil when nothing changes); keys shortened unless
    /// --show-secrets, and then it is no patch to apply (`diffHasMaskedKeys`).
    var diff: String?
    var diffHasMaskedKeys: Bool
    /// Lint's findings on the result, as `lint --format json` prints them.
    var findings: [DiagnosticPrinter.JSONFinding]
    /// `parent add-key`: the key (asked for: in full).
    var key: String?
}

/// Read, change, lint, then write atomically: the pipeline every rewrite goes through.
/// A result with errors the change introduced is refused and the file stays untouched.
enum Rewrite {
    /// Applies `change` and writes the result; returns the new document (nil when nothing changed).
    @discardableResult
    static func run(_ options: RewriteOptions, describe: String, key: String? = nil,
                    change: (inout ConfigEditor, NetdataTarget) throws -> Void) throws -> Document? {
        let directories = ConfigDirectories.fromEnvironment()
        let path = try RewriteSource.target(file: options.file, directories: directories, note: Terminal.note)
        let lock = options.dryRun ? nil : try FileLock(for: path)
        defer { withExtendedLifetime(lock) {} }
        let source = try RewriteSource.load(path, named: options.file != nil, create: options.create, directories: directories)
        if let note = source.note { Terminal.stderr("stream-config: \(note)") }
        let before = Linter.lint(document: source.document, file: source.path, options: LintOptions(target: options.target.target, findingLimit: .max))
        var editor = ConfigEditor(source.document)
        do {
            try change(&editor, before.target)
        } catch let error as EditError {
            throw StreamConfigError.refused(SecretMasker.forOutput(showSecrets: options.showSecrets, secrets: before.secrets).mask(error.message))
        }
        let after = editor.document
        let json = options.format == .json
        func printJSON(_ report: LintReport, changed: Bool, written: Bool, diff: String?) {
            guard json else { return }
            let printer = DiagnosticPrinter(format: .json, color: false, showSecrets: options.showSecrets)
            Terminal.stdout(JSONOutput.string(RewriteJSON(file: source.path, changed: changed, written: written, diff: diff,
                                                          diffHasMaskedKeys: diff != nil && !options.showSecrets && !report.secrets.isEmpty,
                                                          findings: printer.findings(report), key: key)))
        }
        if after == source.document && source.existed {
            Terminal.stderr("stream-config: \(source.path): unchanged (it already has this)")
            printJSON(before, changed: false, written: false, diff: nil)
            return nil
        }
        let report = try check(before: before, original: source.document, after: after, path: source.path, options: options)
        let masker = SecretMasker.forOutput(showSecrets: options.showSecrets, secrets: before.secrets.union(report.secrets))
        let name = AtomicFile.fileName(of: source.path)
        let diff = masker.mask(UnifiedDiff.make(old: source.document, new: after, oldLabel: "a/\(name)", newLabel: "b/\(name)"))
        if options.dryRun {
            // On a terminal, control characters from the file are escaped; piped, the diff stays a patch.
            if !json { Terminal.write(1, Terminal.isTTY(1) ? PrintableText.escaped(diff, keepingNewlines: true) : diff) }
            Terminal.stderr("stream-config: dry run, \(source.path) not written")
            printJSON(report, changed: true, written: false, diff: diff)
            return after
        }
        AtomicFile.removeStaleTemporaryFiles(for: source.path)
        try AtomicFile.write(after.render(), to: source.path)
        Terminal.stderr("stream-config: \(masker.mask(describe)) in \(source.path)")
        Terminal.stderr("stream-config: restart Netdata to apply it (stream.conf is read at start-up): sudo systemctl restart netdata")
        printJSON(report, changed: true, written: true, diff: diff)
        return after
    }

    /// Refuses a result with errors the change introduced (`RewritePolicy`); shows the errors
    /// the file already had. Returns the result's lint report.
    @discardableResult
    static func check(before: LintReport, original: Document, after: Document, path: String, options: RewriteOptions) throws -> LintReport {
        let outcome = RewritePolicy.check(before: before, original: original, after: after, file: path)
        let printer = DiagnosticPrinter(format: .gcc, color: false, showSecrets: options.showSecrets)
        var report = outcome.report
        if !outcome.introduced.isEmpty && !options.force {
            report.diagnostics = outcome.introduced
            Terminal.write(2, printer.render(report, document: after))
            throw StreamConfigError.refused("refused: the result would have \(Wording.plural(outcome.introduced.count, "new lint error")); \(path) is unchanged",
                                    hint: "fix the values, or add --force to write anyway")
        }
        if !outcome.remaining.isEmpty {
            report.diagnostics = outcome.remaining
            Terminal.write(2, printer.render(report, document: after))
            Terminal.note("note: \(Wording.plural(outcome.remaining.count, "lint error")) remain in the file (not caused by this change)")
        }
        return outcome.report
    }
}
