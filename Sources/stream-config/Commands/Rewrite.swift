import ArgumentParser
import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

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
    struct Source {
        var path: String
        var document: Document
        var existed: Bool
        var note: String?
    }

    /// The file to change (a link's target: see `WriteTarget`), and its current content (the
    /// stock file's when a default user file does not exist yet, as edit-config does).
    static func load(_ options: RewriteOptions, path: String) throws -> Source {
        let directories = ConfigDirectories.fromEnvironment()
        if FileAccess.exists(path) {
            let contents = try FileAccess.read(path)  // only a regular file, before anything else
            if access(path, W_OK) != 0 {
                throw UserError.cannotWrite("\(path): the file is read-only for you (\(FileAccess.describe(errno: errno)))", hint: "run with sudo, or check the file's permissions")
            }
            return Source(path: path, document: Document(bytes: contents.bytes), existed: true)
        }
        if options.file == nil || options.create {
            let stock = directories.stockFile()
            if options.file == nil, FileAccess.exists(stock) {
                return Source(path: path, document: Document(bytes: try FileAccess.read(stock).bytes), existed: false,
                              note: "\(path) does not exist: starting from the stock file \(stock)")
            }
            return Source(path: path, document: Document(bytes: [UInt8]()), existed: false, note: "creating \(path)")
        }
        throw UserError.noInput("\(path): no such file", hint: "check the path, or add --create to start a new file")
    }

    /// The file `options` names (default: the user file), links followed.
    static func target(_ options: RewriteOptions) throws -> String {
        let directories = ConfigDirectories.fromEnvironment()
        return try WriteTarget.resolve(options.file ?? directories.userFile(), configDirectory: directories.user, explicit: options.file != nil)
    }

    /// Applies `change` and writes the result; returns the new document (nil when nothing changed).
    @discardableResult
    static func run(_ options: RewriteOptions, describe: String, change: (inout ConfigEditor, NetdataTarget) throws -> Void) throws -> Document? {
        let path = try target(options)
        let lock = options.dryRun ? nil : try FileLock(for: path)
        defer { withExtendedLifetime(lock) {} }
        let source = try load(options, path: path)
        if let note = source.note { Terminal.stderr("stream-config: \(note)") }
        let before = Linter.lint(document: source.document, file: source.path, options: LintOptions(target: options.target.target, findingLimit: .max))
        var editor = ConfigEditor(source.document)
        do {
            try change(&editor, before.target)
        } catch let error as EditError {
            throw UserError.refused(SecretMasker.forOutput(showSecrets: options.showSecrets, secrets: before.secrets).mask(error.message))
        }
        let after = editor.document
        if after == source.document && source.existed {
            Terminal.stderr("stream-config: \(source.path) already has this; nothing to change")
            return nil
        }
        let report = try check(before: before, after: after, path: source.path, options: options)
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

    /// Refuses a result with lint errors, except errors the file already had before the change
    /// (so a rewrite never makes a file worse, and can still fix one problem at a time).
    /// Returns the result's lint report.
    @discardableResult
    static func check(before old: LintReport, after: Document, path: String, options: RewriteOptions) throws -> LintReport {
        let new = Linter.lint(document: after, file: path, options: LintOptions(target: old.target, findingLimit: .max))
        func key(_ d: Diagnostic) -> String { "\(d.code) \(d.message)" }
        var existing = Dictionary(old.diagnostics.filter { $0.severity == .error }.map { (key($0), 1) }, uniquingKeysWith: +)
        var introduced: [Diagnostic] = []
        for d in new.diagnostics where d.severity == .error {
            if let count = existing[key(d)], count > 0 { existing[key(d)] = count - 1 } else { introduced.append(d) }
        }
        let printer = DiagnosticPrinter(format: .gcc, color: false, showSecrets: options.showSecrets)
        var report = new
        if !introduced.isEmpty && !options.force {
            report.diagnostics = introduced
            Terminal.write(2, printer.render(report, document: after))
            throw UserError.refused("refused: the result would have \(introduced.count) new lint error\(introduced.count == 1 ? "" : "s"); \(path) is unchanged",
                                    hint: "fix the values, or add --force to write anyway")
        }
        let remaining = new.diagnostics.filter { $0.severity == .error }
        if !remaining.isEmpty {
            report.diagnostics = remaining
            Terminal.write(2, printer.render(report, document: after))
            Terminal.stderr("stream-config: note: \(remaining.count) lint error\(remaining.count == 1 ? "" : "s") remain in the file (not caused by this change)")
        }
        return new
    }
}
