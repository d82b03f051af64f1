import ArgumentParser
import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// `stream-config edit`: Netdata's `edit-config` with visudo's discipline.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit a Netdata configuration file like edit-config, but never install a stream.conf that does not lint.",
        discussion: """
        FILE (default stream.conf) is a name under $NETDATA_USER_CONFIG_DIR (default /etc/netdata); \
        when it does not exist yet, editing starts from the stock copy in $NETDATA_STOCK_CONFIG_DIR \
        (default /usr/lib/netdata/conf.d). The editor is --editor, $VISUAL, $EDITOR, `editor`, \
        then `vi`; it may have arguments and runs on a private copy next to the file.

        stream.conf is linted when the editor exits and installed atomically (mode 0640, owner \
        kept) only without errors. On a terminal you are asked what to do otherwise: (e) edit \
        again at the first error, (d) show the diff, (x) discard, (i) install anyway. Without a \
        terminal nothing is installed and the edit is kept in FILE.rejected-TIMESTAMP. The \
        previous version is saved as FILE.bak. Other files are installed without validation.

        When Netdata runs in a container whose /etc/netdata is this host's user directory, \
        --container NAME starts from the stock file inside it (docker, else podman: cp from \
        /usr/lib/netdata/conf.d; links are refused); the new file gets mode 0640 and the \
        container's netdata group. An existing file is edited without asking the container. \
        Without the option, a `.container-hostname` file in the user directory (the official \
        image writes it) selects the container it names, then one called netdata.

        Exit status: 0 installed, or no change; 1 not installed (lint errors, discarded, or the \
        editor failed, or the copy was replaced by a link or directory); 64 usage error or \
        refused name; 66 FILE is in neither directory or is not a regular file, or the container \
        or its runtime cannot be found; 73 a directory is missing or not writable, the install \
        failed (the edit is kept in FILE.rejected-TIMESTAMP), or FILE is a link out of the user \
        directory; 75 another stream-config is changing the file.
        """
    )

    @Argument(help: ArgumentHelp("The file to edit, relative to the user config directory (default: stream.conf).", valueName: "file"))
    var name: String?

    @Option(help: ArgumentHelp("The file to edit: a name, or an absolute path under the user config directory.", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("The editor command, arguments allowed (default: $VISUAL, $EDITOR, editor, vi).", valueName: "cmd"))
    var editor: String?

    @Flag(help: "List the stock files that can be edited, and exit.")
    var list = false

    @Option(help: ArgumentHelp("Netdata runs in this Docker or Podman container: start from its stock files (docker cp), as edit-config --container does.",
                               valueName: "name"))
    var container: String?

    @Option(help: "Netdata line to check stream.conf against: 1.37, 2 or auto.")
    var target: TargetChoice = .auto

    func run() throws {
        try withUserErrors {
            let directories = ConfigDirectories.fromEnvironment()
            if list { return try StockListing.run(directories, container: container) }
            let file = try EditTarget.resolve(argument: name, file: file, directories: directories, container: container)
            let session = EditSession(file: file, editor: EditorCommand.choose(option: editor), lintTarget: target.target)
            let status = try session.run()
            if status != ExitStatus.ok { throw ExitCode(status) }
        }
    }
}

/// One edit: lock, copy, edit, check, then install, ask, or keep the rejected copy.
struct EditSession {
    var file: EditTarget
    var editor: EditorCommand
    var lintTarget: NetdataTarget?

    private enum Answer { case editAgain, discard, install }

    func run() throws -> Int32 {
        let lock = try FileLock(for: file.path)
        defer { withExtendedLifetime(lock) {} }
        AtomicFile.removeStaleTemporaryFiles(for: file.path)
        let previous = file.exists ? try FileAccess.read(file.path).bytes : nil
        let stock = previous == nil ? try file.readStock() : nil
        let start = previous ?? stock?.bytes ?? []
        if previous == nil { say("\(file.path) does not exist yet: starting from the stock file \(file.stockPath)") }
        if let note = stock?.note { say(note) }
        let newOwnership = stock?.ownership

        let copy = try EditCopy(for: file.path, bytes: start)
        defer { copy.remove() }
        var line: Int? = nil
        while true {
            try editor.edit(copy.path, line: line)
            let edited = try copy.read()
            if edited == start {
                say("no changes; \(file.path) was not touched")
                return ExitStatus.ok
            }
            guard file.isStreamConf else {
                say("not validated: stream-config only checks stream.conf")
                try install(edited, previous: previous, start: start, newOwnership: newOwnership, keepingOnFailure: copy)
                return ExitStatus.ok
            }
            let document = Document(bytes: edited)
            let report = lint(document, as: file.path)
            if !report.hasErrors {
                if report.warningCount > 0 { show(report, document) }
                try install(edited, previous: previous, start: start, newOwnership: newOwnership, keepingOnFailure: copy)
                return ExitStatus.ok
            }
            guard Terminal.isTTY(0) else {
                let rejected = try copy.keepRejected(next: file.path)
                show(lint(document, as: rejected), document)
                say("refused: the edit has \(plural(report.errorCount, "lint error")); \(file.path) was not changed")
                say("your edit is kept in \(rejected) (mode 0600)")
                Terminal.stderr("  hint: fix it there and run `stream-config lint \(rejected)`, or run `stream-config edit` on a terminal")
                return ExitStatus.findings
            }
            show(report, document)
            let firstError = report.diagnostics.first { $0.severity == .error && $0.line > 0 }?.line
            switch ask(report, line: firstError, old: Document(bytes: start), new: document) {
            case .editAgain:
                line = firstError
            case .discard:
                say("discarded; \(file.path) was not changed")
                return ExitStatus.findings
            case .install:
                try install(edited, previous: previous, start: start, newOwnership: newOwnership, keepingOnFailure: copy)
                return ExitStatus.ok
            }
        }
    }

    private func lint(_ document: Document, as name: String) -> LintReport {
        Linter.lint(document: document, file: name, options: LintOptions(target: lintTarget))
    }

    private func show(_ report: LintReport, _ document: Document) {
        let printer = DiagnosticPrinter(format: .human, color: Terminal.wantsColor(2), showSecrets: false)
        Terminal.write(2, printer.render(report, document: document))
        Terminal.stderr(printer.summary(report))
    }

    /// visudo's "What now?": nothing is installed unless the user says so twice.
    private func ask(_ report: LintReport, line: Int?, old: Document, new: Document) -> Answer {
        while true {
            Terminal.write(2, "What now? (e) edit again\(line.map { " at line \($0)" } ?? ""), (d) show diff, (x) discard, (i) install anyway: ")
            guard let reply = readLine() else {
                Terminal.stderr("")
                return .discard
            }
            switch reply.lowercased().first(where: { !$0.isWhitespace }) {
            case "e": return .editAgain
            case "x", "q": return .discard
            case "d":
                let diff = UnifiedDiff.make(old: old, new: new, oldLabel: file.exists ? file.path : file.stockPath, newLabel: "your edit")
                Terminal.write(2, shown(diff, old, new))
            case "i":
                Terminal.write(2, "Install \(file.path) with \(plural(report.errorCount, "lint error"))? Netdata will read it as reported above. [y/N] ")
                if let yes = readLine()?.lowercased().filter({ !$0.isWhitespace }), yes == "y" || yes == "yes" { return .install }
            default:
                Terminal.stderr("Answer e (edit the file again), d (show what changed), x (discard the edit) or i (install it anyway).")
            }
        }
    }

    /// Installs the edit; when that fails (a full disk, an owner that cannot be kept), the edit
    /// is kept as `FILE.rejected-*` and the error passed on.
    private func install(_ bytes: [UInt8], previous: [UInt8]?, start: [UInt8], newOwnership: AtomicFile.Ownership?,
                         keepingOnFailure copy: EditCopy) throws {
        do {
            try install(bytes, previous: previous, start: start, newOwnership: newOwnership)
        } catch let error as UserError {
            if let rejected = try? copy.keepRejected(next: file.path) {
                say("\(file.path) was not changed; your edit is kept in \(rejected) (mode 0600)")
            }
            throw error
        }
    }

    /// The new file staged (written and synced beside the old one), then the backup, then the
    /// rename: a failure at any step leaves the file and its `.bak` as they were.
    private func install(_ bytes: [UInt8], previous: [UInt8]?, start: [UInt8], newOwnership: AtomicFile.Ownership?) throws {
        let old = AtomicFile.existingOwnership(file.path)
        let ownership: AtomicFile.Ownership?
        if old == nil, let newOwnership {
            ownership = newOwnership  // a container's file: decided when its stock copy was read
        } else if file.isStreamConf, let container = file.container, let old {
            // The container's netdata group is not known here: a world-readable file stays so.
            ownership = old
            if old.mode & 0o004 != 0 {
                say("\(file.path) stays world-readable (mode \(String(old.mode, radix: 8))) so that Netdata in container '\(container.name)' can read it; "
                    + "it holds API keys: chgrp \"$(\(container.runtimeName) exec \(container.name) id -g netdata)\" \(file.path) && chmod 640 \(file.path)")
            }
        } else {
            ownership = file.isStreamConf ? Self.streamConfOwnership(old) : nil
        }
        let staged = try StagedFile(bytes, for: file.path, ownership: ownership)
        if let previous, var backup = old {
            if file.isStreamConf { backup.mode &= ~0o007 }  // it holds the same API keys
            try AtomicFile.write(previous, to: "\(file.path).bak", ownership: backup)
        }
        try staged.commit()
        say("installed \(file.path)" + (previous == nil ? "" : " (the previous version is in \(file.path).bak)"))
        if let old, let ownership, old.mode != ownership.mode || old.gid != ownership.gid {
            say("\(file.path): mode \(String(old.mode, radix: 8)) -> \(String(ownership.mode, radix: 8))"
                + (old.gid != ownership.gid ? ", group netdata" : "") + " (the file holds API keys)")
        }
        printChanges(old: Document(bytes: start), new: Document(bytes: bytes))
        say("restart Netdata to apply it (\(file.isStreamConf ? "stream.conf is read at start-up" : "configuration is read at start-up")): \(file.restartCommand)")
    }

    /// stream.conf holds API keys: it is installed 0640 with its owner kept; one that was
    /// world-readable moves to group netdata, so Netdata can still read it. New files get
    /// `AtomicFile`'s 0640 group netdata.
    static func streamConfOwnership(_ old: AtomicFile.Ownership?) -> AtomicFile.Ownership {
        guard var ownership = old else { return AtomicFile.newFileOwnership() }
        if ownership.mode & 0o004 != 0, let group = getgrnam("netdata") { ownership.gid = group.pointee.gr_gid }
        ownership.mode = 0o640
        return ownership
    }

    /// "+3 -1 lines", and the unified diff itself when it is short.
    private func printChanges(old: Document, new: Document) {
        let changes = UnifiedDiff.bytes(old: old, new: new, oldLabel: "", newLabel: "", context: 0)
        let lines = changes.split(separator: 10, omittingEmptySubsequences: false).dropFirst(2)
        let added = lines.filter { $0.first == UInt8(ascii: "+") }.count
        let removed = lines.filter { $0.first == UInt8(ascii: "-") }.count
        say("\(plural(added, "line")) added, \(removed) removed" + (file.exists ? "" : " (compared with the stock file)"))
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: originLabel, newLabel: file.path)
        let diffLines = diff.utf8.filter { $0 == UInt8(ascii: "\n") }.count
        if diffLines <= 40 {
            Terminal.write(1, shown(diff, old, new))
        } else {
            if let container = file.container, !file.exists {
                say("the diff is \(diffLines) lines long: \(container.runtimeName) exec \(container.name) cat \(NetdataContainer.stockDirectory)/\(file.name) | diff -u - \(file.path)")
            } else {
                say("the diff is \(diffLines) lines long: diff -u \(originLabel) \(file.path)")
            }
        }
    }

    private var originLabel: String { file.exists ? "\(file.path).bak" : file.stockPath }

    /// A diff as shown to the user: keys masked, control characters from the file escaped.
    private func shown(_ diff: String, _ old: Document, _ new: Document) -> String {
        PrintableText.escaped(SecretMasker(secrets(old, new)).mask(diff), keepingNewlines: true)
    }

    private func secrets(_ documents: Document...) -> Set<String> {
        guard file.isStreamConf else { return [] }
        return documents.reduce(into: Set<String>()) { $0.formUnion(Linter.lint(document: $1, file: "").secrets) }
    }

    private func say(_ text: String) { Terminal.stderr("stream-config: \(text)") }
}

private func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
