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
                for rule in FleetRules.all { Terminal.stdout("\(rule.code)  \(rule.severity.rawValue.padded(7))  \(rule.title)") }
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
            // The process ends here, with the fleet still in memory: freeing tens of thousands of
            // parsed files object by object took a tenth of the run (output is written unbuffered).
            Glibc.exit(report.hasErrors || (strict && report.warningCount > 0) ? ExitStatus.findings : ExitStatus.ok)
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

    @Argument(help: ArgumentHelp("The fleet file (YAML).", valueName: "fleet.yaml"))
    var fleetFile: String

    @Option(help: ArgumentHelp("Directory to write the rendered fleet to.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("The key store (default: the fleet file's name with .keys).", valueName: "file"))
    var keys: String?

    @Flag(help: "Write nothing: say per host whether its files would change.")
    var check = false

    @Option(help: "Output format: human or json.")
    var format: RenderFormat = .human

    enum RenderFormat: String, ExpressibleByArgument, CaseIterable { case human, json }

    struct HostChange: Encodable {
        var host: String
        var changed: Bool
        var files: [String]
    }

    func run() throws {
        try withUserErrors {
            let fleet = FleetLoader.load(fleetPath: fleetFile, bytes: try FileAccess.read(fleetFile).bytes) { file in
                guard FileAccess.exists(file) else { return nil }
                return try FileAccess.read(file).bytes
            }
            let problems = fleet.loadFindings.filter { $0.code == "FL001" }
            if let first = problems.first {
                throw StreamConfigError.refused("\(first.file):\(first.line):\(first.column): \(first.message)", hint: first.hint)
            }
            let keyPath = keys ?? Self.keyStorePath(fleetFile)
            var store = FleetKeyStore()
            if FileAccess.exists(keyPath) {
                do { store = try FleetKeyStore(text: String(decoding: try FileAccess.read(keyPath).bytes, as: UTF8.self)) }
                catch let error as FleetRenderError { throw StreamConfigError.refused("\(keyPath): \(error)") }
            }
            let stockPath = ConfigDirectories.fromEnvironment().stock + "/stream.conf"
            let stock = FileAccess.exists(stockPath) ? Document(bytes: try FileAccess.read(stockPath).bytes) : nil
            let rendered: [FleetRenderedHost]
            do { rendered = try FleetRenderer.render(fleet, keys: &store, stock: stock) }
            catch let error as FleetRenderError { throw StreamConfigError.refused(error.description) }
            var changes: [HostChange] = []
            var writes: [(path: String, bytes: [UInt8])] = []
            for host in rendered {
                var files = [("stream.conf", host.streamConf.render())]
                if let netdata = host.netdataConf { files.append(("netdata.conf", netdata.render())) }
                var changed: [String] = []
                for (name, bytes) in files {
                    let path = "\(out)/hosts/\(host.name)/\(name)"
                    let existing = FileAccess.exists(path) ? try FileAccess.read(path).bytes : nil
                    if existing != bytes {
                        changed.append(path)
                        writes.append((path, bytes))
                    }
                }
                changes.append(HostChange(host: host.name, changed: !changed.isEmpty, files: changed))
            }
            let fleetOut = "\(out)/fleet.yaml"
            let fleetBytes = Array(Self.renderedFleetFile(fleet).utf8)
            let existingFleet = FileAccess.exists(fleetOut) ? try FileAccess.read(fleetOut).bytes : nil
            if existingFleet != fleetBytes { writes.append((fleetOut, fleetBytes)) }
            if !check {
                for write in writes {
                    try Self.makeDirectories(AtomicFile.directory(of: write.path))
                    try AtomicFile.write(write.bytes, to: write.path)
                }
                if store.changed {
                    try AtomicFile.write(Array(store.text.utf8), to: keyPath, ownership: AtomicFile.Ownership(uid: geteuid(), gid: getegid(), mode: 0o600))
                }
            }
            switch format {
            case .json:
                Terminal.stdout(JSONOutput.string(changes))
            case .human:
                for change in changes where change.changed { Terminal.stdout("\(check ? "would change" : "changed") \(change.host): \(change.files.joined(separator: " "))") }
                let count = changes.filter(\.changed).count
                Terminal.stderr("\(rendered.count) hosts, \(count) \(check ? "would change" : "changed")\(store.changed ? (check ? "; new keys would be made" : "; new keys kept in \(keyPath)") : "")")
            }
        }
    }

    static func keyStorePath(_ fleetPath: String) -> String {
        for suffix in [".yaml", ".yml"] where fleetPath.hasSuffix(suffix) { return String(fleetPath.dropLast(suffix.count)) + ".keys" }
        return fleetPath + ".keys"
    }

    /// The fleet file of the rendered fleet: every host at its address, its files under hosts/NAME.
    static func renderedFleetFile(_ fleet: StreamConfig.Fleet) -> String {
        func quoted(_ text: String) -> String {
            var out = "\""
            for character in text {
                if character == "\\" || character == "\"" { out.append("\\") }
                out.append(character)
            }
            return out + "\""
        }
        var text = "# written by stream-config fleet render\nhosts:\n"
        for host in fleet.hosts {
            text += "  \(quoted(host.name)): {address: \(quoted(host.address)), config: \(quoted("hosts/" + host.name))"
            if let target = host.target { text += ", netdata: \(quoted(target.rawValue))" }
            if let tenant = host.tenant { text += ", tenant: \(quoted(tenant))" }
            text += "}\n"
        }
        if !fleet.clusters.isEmpty {
            text += "groups:\n"
            for cluster in fleet.clusters {
                text += "  \(quoted(cluster.name)): {cluster: true, hosts: [\(cluster.hosts.map(quoted).joined(separator: ", "))]}\n"
            }
        }
        return text
    }

    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw StreamConfigError.cannotWrite("\(current): cannot create the directory (\(FileAccess.describe(errno: errno)))")
            }
        }
    }
}
