import ArgumentParser
import StreamConfig
import StreamConfigSystem

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

    @Argument(help: ArgumentHelp("The file to edit, relative to the user config directory (default: stream.conf).", valueName: "file"), completion: Completions.stockFiles)
    var name: String?

    @Option(help: ArgumentHelp("The file to edit: a name, or an absolute path under the user config directory.", valueName: "file"), completion: Completions.stockFiles)
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

    @OptionGroup var quiet: QuietOption

    func run() throws {
        try withUserErrors {
            let directories = ConfigDirectories.fromEnvironment()
            if list { return try printStockFiles(directories) }
            let file = try EditTarget.resolve(argument: name, file: file, directories: directories, container: container, note: Terminal.note)
            let session = EditSession(file: file, editor: EditorCommand.choose(option: editor), lintTarget: target.target)
            if try session.run(TerminalConversation()) == .refused { throw ExitCode(ExitStatus.findings) }
        }
    }

    private func printStockFiles(_ directories: ConfigDirectories) throws {
        let listing = try StockListing.list(directories, container: container)
        if let container = listing.container {
            Terminal.note("stock files in container '\(container.name)' (\(listing.directory)); edit one with `stream-config edit --container \(container.name) NAME`:")
        } else {
            Terminal.note("stock files in \(listing.directory) (edit one with `stream-config edit NAME`):")
        }
        for name in listing.names { Terminal.stdout(name) }
    }
}

/// The edit session on this process's terminal: findings and prompts on standard error.
struct TerminalConversation: EditConversation {
    var canAsk: Bool { Terminal.isTTY(0) }
    func say(_ text: String) { Terminal.note(text) }
    func warn(_ text: String) { Terminal.warn(text) }
    func hint(_ text: String) { Terminal.stderr("  hint: \(text)") }
    func showDiff(_ text: String, toOutput: Bool) {
        // The summary diff after an install is progress (-q drops it); one asked for with `d` is not.
        if toOutput && Terminal.quiet { return }
        Terminal.write(toOutput ? 1 : 2, text)
    }

    func show(_ report: LintReport, _ document: Document) {
        let printer = DiagnosticPrinter(format: .human, color: Terminal.wantsColor(2), showSecrets: false)
        Terminal.write(2, printer.render(report, document: document))
        Terminal.stderr(printer.summary(report))
    }

    /// visudo's "What now?": nothing is installed unless the user says so twice.
    func ask(errors: Int, line: Int?, file: String) -> EditAnswer {
        while true {
            Terminal.write(2, "What now? (e) edit again\(line.map { " at line \($0)" } ?? ""), (d) show diff, (x) discard, (i) install anyway: ")
            guard let reply = readLine() else {
                Terminal.stderr("")
                return .discard
            }
            switch reply.lowercased().first(where: { !$0.isWhitespace }) {
            case "e": return .editAgain
            case "x", "q": return .discard
            case "d": return .showDiff
            case "i":
                Terminal.write(2, "Install \(file) with \(Wording.plural(errors, "lint error"))? Netdata will read it as reported above. [y/N] ")
                if let yes = readLine()?.lowercased().filter({ !$0.isWhitespace }), yes == "y" || yes == "yes" { return .install }
            default:
                Terminal.stderr("Answer e (edit the file again), d (show what changed), x (discard the edit) or i (install it anyway).")
            }
        }
    }
}
