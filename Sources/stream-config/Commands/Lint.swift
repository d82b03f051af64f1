import ArgumentParser
import StreamConfig
import StreamConfigSystem

enum KindChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, stream, netdata

    var kind: ConfigKind? { self == .auto ? nil : ConfigKind(rawValue: rawValue) }
}

/// The options every command that reports findings shares (`lint`, `fleet check`).
struct ReportOptions: ParsableArguments {
    @Option(help: "Output format: human, gcc (PATH:LINE:COL: SEVERITY: [CODE] message), json or sarif.")
    var format: OutputFormat = .human

    @Flag(help: "Fail (exit 1) on warnings too.")
    var strict = false

    @Flag(help: "Print API keys in full instead of their first 8 characters.")
    var showSecrets = false

    @OptionGroup var quiet: QuietOption
}

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check stream.conf (or netdata.conf's streaming lines) exactly as Netdata reads it.",
        discussion: """
        A file named netdata.conf, or one with netdata.conf's sections and none of stream.conf's, \
        is checked as netdata.conf: [web] bind to, default port, ssl key and ssl certificate, \
        allow connections from, allow streaming from, [global] bind socket to IP, bind to and port, and the [db] \
        replication options (--kind forces the kind). With no FILE, checks the file Netdata would read: $NETDATA_USER_CONFIG_DIR/stream.conf \
        (default /etc/netdata), else the stock file in $NETDATA_STOCK_CONFIG_DIR (default \
        /usr/lib/netdata/conf.d). A comment line `# stream-config: disable=CODE[,CODE]` silences \
        those codes on the next line.

        Exit status: 0 no errors (warnings allowed); 1 errors, or warnings with --strict; \
        64 usage error; 66 an input could not be read.
        """
    )

    @Argument(help: ArgumentHelp("Files to check; `-` reads standard input.", valueName: "file"), completion: .file())
    var files: [String] = []

    @Option(help: "Netdata line to check against: 1.37, 2 or auto (infer from the options used).")
    var target: TargetChoice = .auto

    @Option(help: "File kind: auto (from the name, else the sections), stream or netdata.")
    var kind: KindChoice = .auto

    @Flag(help: "The file is stream-config relay's: also report options the relay reads but does not honour (SC901).")
    var relay = false

    @OptionGroup var output: ReportOptions

    @Flag(help: "Apply every safe fix (see --explain: \"Fix:\"), write the file atomically, then report what is left.")
    var fix = false

    @Flag(help: "With --fix: print the fixes as a unified diff and write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Explain a diagnostic code and exit.", valueName: "code"))
    var explain: String?

    @Flag(help: "List every diagnostic code and exit.")
    var listRules = false

    @Option(name: .customLong("stdin-filename"), help: ArgumentHelp("Name to show for standard input.", valueName: "name"))
    var stdinName = "<stdin>"

    func validate() throws {
        if dryRun && !fix { throw ValidationError("--dry-run goes with --fix") }
        if relay && kind == .netdata { throw ValidationError("--relay checks a stream.conf: it cannot go with --kind netdata") }
        if fix && files.contains("-") { throw ValidationError("--fix changes files: it cannot fix standard input") }
    }

    func run() throws {
        try withUserErrors {
            if let explain { return try Self.printExplanation(explain) }
            if listRules { return Self.printRules() }
            let code = try lintAll()
            if code != ExitStatus.ok { throw ExitCode(code) }
        }
    }

    static func printExplanation(_ code: String) throws {
        guard let rule = Rules.rule(code) else {
            throw StreamConfigError.usage("unknown diagnostic code `\(code)`", hint: "`stream-config lint --list-rules` lists them")
        }
        Terminal.stdout("\(rule.code) (\(rule.severity.rawValue)): \(rule.title)\n\n\(rule.explanation)")
        Terminal.stdout("\nFix: " + (Rules.fixes[rule.code].map { "lint --fix: \($0)" } ?? "none (the finding needs a decision)"))
    }

    static func printRules() {
        for rule in Rules.all { Terminal.stdout("\(rule.code)  \(rule.severity.rawValue.padded(7))  \(rule.title)") }
    }

    private func inputs() throws -> [String] {
        if !files.isEmpty { return files }
        let directories = ConfigDirectories.fromEnvironment()
        guard let (path, why) = directories.effectiveFile() else {
            throw StreamConfigError.noInput("no stream.conf in \(directories.user) or \(directories.stock)",
                                    hint: "name a file, or set NETDATA_USER_CONFIG_DIR / NETDATA_STOCK_CONFIG_DIR")
        }
        Terminal.note("checking \(path) (\(why))")
        return [path]
    }

    /// Lints every input; returns the exit status.
    private func lintAll() throws -> Int32 {
        let printer = DiagnosticPrinter(format: output.format, color: output.format == .human && Terminal.wantsColor(1), showSecrets: output.showSecrets)
        var reports: [LintReport] = []
        var status = ExitStatus.ok
        for path in try inputs() {
            let name = path == "-" ? stdinName : path
            let input: LintInput
            do {
                input = try LintInput.read(path, name: name, kind: kind.kind)
            } catch let error as StreamConfigError {
                _ = error.exit()
                status = error.exitCode
                continue
            }
            let document = fix ? try FileFix.lintFix(path, target: target.target, kind: input.kind, dryRun: dryRun, showSecrets: output.showSecrets)
                               : input.document
            let report = input.lint(document, name: name, target: target.target, relay: relay)
            reports.append(report)
            if output.format == .human || output.format == .gcc {
                let text = printer.render(report, document: document)
                if !text.isEmpty { Terminal.write(1, text) }
                if output.format == .human { Terminal.info(printer.summary(report)) }
            }
            let failing = report.hasErrors || (output.strict && report.warningCount > 0)
            if failing && status == ExitStatus.ok { status = ExitStatus.findings }
        }
        if output.format == .json { Terminal.stdout(printer.json(reports)) }
        if output.format == .sarif { Terminal.stdout(printer.sarif(reports)) }
        return status
    }
}
