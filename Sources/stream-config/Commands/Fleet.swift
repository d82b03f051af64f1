import ArgumentParser
import StreamConfig
import StreamConfigSystem
#if canImport(Glibc)
import Glibc
#endif

struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Check the streaming configuration of a whole fleet of Netdata hosts.",
        subcommands: [FleetCheck.self, FleetRender.self]
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

    @Argument(help: ArgumentHelp("The fleet file (YAML).", valueName: "fleet.yaml"), completion: .file())
    var fleetFile: String?

    @OptionGroup var output: ReportOptions

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
                for rule in FleetRules.all { Terminal.stdout("\(rule.code)  \(rule.severity.rawValue.padded(7))  \(rule.title)") }
                return
            }
            let path = fleetFile ?? ""
            let fleet = try FleetRun.load(path)
            let report = FleetChecker.check(fleet)
            print(report, fleetPath: path)
            // The process ends here, with the fleet still in memory: freeing tens of thousands of
            // parsed files object by object took a tenth of the run (output is written unbuffered).
            Glibc.exit(report.hasErrors || (output.strict && report.warningCount > 0) ? ExitStatus.findings : ExitStatus.ok)
        }
    }

    private func print(_ report: FleetReport, fleetPath: String) {
        let printer = DiagnosticPrinter(format: output.format, color: output.format == .human && Terminal.wantsColor(1), showSecrets: output.showSecrets)
        let text = printer.fleetOutput(report)
        if !text.isEmpty { Terminal.write(1, text) }
        if output.format == .human { Terminal.info(printer.fleetSummary(report, fleetPath: fleetPath)) }
    }
}

struct FleetRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write every host's streaming lines from the fleet's roles.",
        discussion: """
        A host with `streams_to: [HOST, ...]` (in its variables or its group's `vars`) sends to \
        those hosts at their address, port 19999, with one key per group (`key_scope: host`: per \
        host); the hosts of a group with `cluster: true` stream to each other. Each receiver \
        gets, per key, a section that allows exactly its senders' addresses, and netdata.conf's \
        `[web] bind to` on every address. Files start from the host's collected ones (only \
        streaming lines change) or Netdata's stock stream.conf. Keys are made once (libuuid) and \
        kept in FLEET.keys beside the fleet file (mode 0600); rendering again changes nothing. \
        Writes DIR/hosts/NAME/stream.conf (and netdata.conf) and DIR/fleet.yaml, which \
        `fleet check` passes.

        Exit status: 0 rendered (or, with --check, compared); 1 the roles cannot be rendered; \
        64 usage error; 66 the fleet file cannot be read; 73 an output cannot be written.
        """
    )

    @Argument(help: ArgumentHelp("The fleet file (YAML).", valueName: "fleet.yaml"), completion: .file())
    var fleetFile: String

    @Option(help: ArgumentHelp("Directory to write the rendered fleet to.", valueName: "dir"), completion: .directory)
    var out: String

    @Option(help: ArgumentHelp("The key store (default: the fleet file's name with .keys).", valueName: "file"), completion: .file())
    var keys: String?

    @Flag(help: "Write nothing: say per host whether its files would change.")
    var check = false

    @Option(help: "Output format: human or json.")
    var format: RenderFormat = .human

    enum RenderFormat: String, ExpressibleByArgument, CaseIterable { case human, json }

    @OptionGroup var quiet: QuietOption

    func run() throws {
        try withUserErrors {
            let result = try FleetRun.render(fleetFile: fleetFile, out: out, keys: keys, check: check,
                                             stock: ConfigDirectories.fromEnvironment().stock + "/stream.conf")
            switch format {
            case .json:
                Terminal.stdout(JSONOutput.string(result.changes))
            case .human:
                for change in result.changes where change.changed {
                    Terminal.stdout("\(check ? "would change" : "changed") \(change.host): \(change.files.joined(separator: " "))")
                }
                let count = result.changes.filter(\.changed).count
                let keys = result.keysChanged ? (check ? "; new keys would be made" : "; new keys kept in \(result.keyPath)") : ""
                Terminal.info("\(result.hostCount) hosts, \(count) \(check ? "would change" : "changed")\(keys)")
            }
        }
    }
}
