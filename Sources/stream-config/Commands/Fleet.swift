import ArgumentParser
import StreamConfig
import StreamConfigSystem

struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Check the streaming configuration of a whole fleet of Netdata hosts.",
        subcommands: [FleetCheck.self]
    )
}

struct FleetCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every host's stream.conf and netdata.conf, and every stream between hosts.",
        discussion: """
        FLEET.yaml lists the hosts: `hosts:` maps each name to `address` (the address its parents \
        see it connect from) and `config` (a directory, relative to the fleet file, holding what \
        was collected from the host: stream.conf, optionally netdata.conf and \
        netdata.public.unique.id). Optional: `machine_guid`, `netdata: 1.37|2`, `tenant`, \
        `hostname`; `groups:` with `hosts`, `vars` and `cluster: true` for parents that stream to \
        each other; top-level `vars` for every host. An Ansible YAML inventory (`all:` with \
        `hosts`, `vars`, `children`) is read too. Streams come from the files: each destination is \
        matched to a host by address or name and judged as the receiving Netdata would. Every \
        `lint` finding of each file is reported, plus FL codes (`--list-rules`).

        Exit status: 0 no errors (warnings allowed); 1 errors, or warnings with --strict; \
        64 usage error; 66 the fleet file cannot be read.
        """
    )

    @Argument(help: ArgumentHelp("The fleet file (YAML).", valueName: "fleet.yaml"))
    var fleetFile: String?

    @Option(help: "Output format: human, gcc (PATH:LINE:COL: SEVERITY: [CODE] message), json or sarif.")
    var format: OutputFormat = .human

    @Flag(help: "Fail (exit 1) on warnings too.")
    var strict = false

    @Flag(help: "Print API keys in full instead of their first 8 characters.")
    var showSecrets = false

    @Option(help: ArgumentHelp("Explain a diagnostic code and exit.", valueName: "code"))
    var explain: String?

    @Flag(help: "List the fleet codes (FL) and exit.")
    var listRules = false

    func validate() throws {
        if fleetFile == nil && explain == nil && !listRules { throw ValidationError("name the fleet file") }
    }

    func run() throws {
        try withUserErrors {
            if let explain { return try Lint.printExplanation(explain) }
            if listRules {
                for rule in FleetRules.all { Terminal.stdout("\(rule.code)  \(rule.severity.rawValue.padding(7))  \(rule.title)") }
                return
            }
            let path = fleetFile ?? ""
            let bytes = try FileAccess.read(path).bytes
            let fleet = FleetLoader.load(fleetPath: path, bytes: bytes) { file in
                guard FileAccess.exists(file) else { return nil }
                return try FileAccess.read(file).bytes
            }
            let report = FleetChecker.check(fleet)
            print(report, fleetPath: path)
            if report.hasErrors || (strict && report.warningCount > 0) { throw ExitCode(ExitStatus.findings) }
        }
    }

    private func print(_ report: FleetReport, fleetPath: String) {
        let printer = DiagnosticPrinter(format: format, color: format == .human && Terminal.wantsColor(1), showSecrets: showSecrets)
        let withFindings = report.files.filter { !$0.report.diagnostics.isEmpty || $0.report.omitted.total > 0 }
        switch format {
        case .human, .gcc:
            var out = ""
            for file in withFindings { out += printer.render(file.report, document: file.document) }
            if !out.isEmpty { Terminal.write(1, out) }
        case .json:
            Terminal.stdout(printer.json(withFindings.map(\.report)))
        case .sarif:
            Terminal.stdout(printer.sarif(withFindings.map(\.report)))
        }
        if format == .human {
            let notes = withFindings.reduce(0) { $0 + $1.report.diagnostics.count } - report.errorCount - report.warningCount
            Terminal.stderr("\(fleetPath): \(report.hostCount) host\(report.hostCount == 1 ? "" : "s"), \(report.edgeCount) stream\(report.edgeCount == 1 ? "" : "s") between them; "
                + "\(report.errorCount) error\(report.errorCount == 1 ? "" : "s"), \(report.warningCount) warning\(report.warningCount == 1 ? "" : "s"), \(max(0, notes)) note\(notes == 1 ? "" : "s")")
        }
    }
}
