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
}

/// Read, change, lint, then write atomically: the pipeline every rewrite goes through.
/// A result with errors the change introduced is refused and the file stays untouched.
enum Rewrite {
    /// Applies `change` and writes the result; returns the new document (nil when nothing changed).
    @discardableResult
    static func run(_ options: RewriteOptions, describe: String, change: (inout ConfigEditor, NetdataTarget) throws -> Void) throws -> Document? {
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
        if after == source.document && source.existed {
            Terminal.stderr("stream-config: \(source.path): unchanged (it already has this)")
            return nil
        }
        let report = try check(before: before, original: source.document, after: after, path: source.path, options: options)
        let masker = SecretMasker.forOutput(showSecrets: options.showSecrets, secrets: before.secrets.union(report.secrets))
        if options.dryRun {
            let diff = UnifiedDiff.make(old: source.document, new: after, oldLabel: "a/\(AtomicFile.fileName(of: source.path))",
                                        newLabel: "b/\(AtomicFile.fileName(of: source.path))")
            // On a terminal, control characters from the file are escaped; piped, the diff stays a patch.
            Terminal.write(1, Terminal.isTTY(1) ? PrintableText.escaped(masker.mask(diff), keepingNewlines: true) : masker.mask(diff))
            Terminal.stderr("stream-config: dry run, \(source.path) not written")
            return after
        }
        AtomicFile.removeStaleTemporaryFiles(for: source.path)
        try AtomicFile.write(after.render(), to: source.path)
        Terminal.stderr("stream-config: \(masker.mask(describe)) in \(source.path)")
        Terminal.stderr("stream-config: restart Netdata to apply it (stream.conf is read at start-up): sudo systemctl restart netdata")
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
