import ArgumentParser
import StreamConfig
import StreamConfigSystem

/// Options shared by every command that changes stream.conf.
struct RewriteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The stream.conf to change (default: $NETDATA_USER_CONFIG_DIR/stream.conf, /etc/netdata).", valueName: "file"), completion: .file())
    var file: String?

    @Flag(help: "Print the change as a unified diff and write nothing.")
    var dryRun = false

    @Flag(help: "Create --file when it does not exist.")
    var create = false

    @Flag(help: "Write even if the result still has lint errors the change did not cause, names an option Netdata does not know, or (child set) names a --ca-file or --ca-path that is not usable on this host.")
    var force = false

    @Option(help: "Netdata line to check against: 1.37, 2 or auto.")
    var target: TargetChoice = .auto

    @Flag(help: "Print API keys in full.")
    var showSecrets = false

    @Option(help: "Output: human, or json (one object on standard output: changed, written, file, diff, findings; for scripts and Ansible's changed_when).")
    var format: RewriteFormat = .human

    @OptionGroup var quiet: QuietOption
}

enum RewriteFormat: String, ExpressibleByArgument, CaseIterable {
    case human, json
}

/// Read, change, lint, then write atomically: the pipeline every rewrite goes through.
/// A result with errors the change introduced is refused and the file stays untouched.
enum Rewrite {
    /// Applies `change` and writes the result; returns the new document (nil when nothing changed).
    @discardableResult
    static func run(_ options: RewriteOptions, describe: String, key: String? = nil,
                    change: (inout ConfigEditor, NetdataTarget) throws -> Void) throws -> Document? {
        var before: LintReport? = nil, after: LintReport? = nil
        let outcome = try FileRewrite.apply(
            file: options.file, directories: .fromEnvironment(), create: options.create, write: !options.dryRun,
            showSecrets: options.showSecrets, note: Terminal.note,
            change: { source in
                let report = Linter.lint(document: source.document, file: source.path, options: LintOptions(target: options.target.target, findingLimit: .max))
                before = report
                var editor = ConfigEditor(source.document)
                do {
                    try change(&editor, report.target)
                } catch let error as EditError {
                    throw StreamConfigError.refused(SecretMasker.forOutput(showSecrets: options.showSecrets, secrets: report.secrets).mask(error.message))
                }
                return (editor.document, ())
            },
            approve: { source, changed in
                guard let report = before else { return }
                after = try check(before: report, original: source.document, after: changed, path: source.path, options: options)
            })
        if options.format == .json, let report = after ?? before {
            var json = ChangeJSON(outcome, showSecrets: options.showSecrets)
            (json.findings, json.key) = (DiagnosticPrinter(format: .json, color: false, showSecrets: options.showSecrets).findings(report), key)
            Terminal.stdout(JSONOutput.string(json))
        }
        guard outcome.diff != nil else {
            Terminal.note("\(outcome.path): unchanged (it already has this)")
            return nil
        }
        if !outcome.written {
            // On a terminal, control characters from the file are escaped; piped, the diff stays a
            // patch unless it shortened keys, which it then says.
            if options.format != .json { FileFix.printDiff(outcome) }
            Terminal.note("dry run, \(outcome.path) not written")
            return outcome.changed
        }
        Terminal.note("\(outcome.masker.mask(describe)) in \(outcome.path)")
        Terminal.note("restart Netdata to apply it (stream.conf is read at start-up): sudo systemctl restart netdata")
        return outcome.changed
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
