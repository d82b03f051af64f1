import ArgumentParser
import NIOPosix
import StreamConfig
import StreamConfigSystem
import StreamRelay

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find out why streaming does not work: lint, then a real handshake with every parent.",
        discussion: """
        Child mode (default): lints [stream], then for each destination in order resolves, connects, \
        does TLS when `:SSL`, sends the real STREAM request with this node's hostname and machine GUID, \
        and explains the parent's answer with the fix. Without the child's machine GUID (Netdata's \
        registry file, or --machine-guid) no STREAM request is sent: a parent registers a node for \
        every GUID it accepts. Parent mode (--parent): lints the parent's stream.conf and checks \
        netdata.conf for what keeps children out, naming the line to change.
        netdata.conf is --netdata-conf, else netdata.conf in Netdata's configuration directory \
        (NETDATA_USER_CONFIG_DIR, /etc/netdata); stream.conf is --config, else the one in its \
        [directories] config.
        Exit status: 0 every destination would accept this child (or the parent checks pass); \
        1 otherwise; 64 usage; 66 unreadable input.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case human, json }

    @Option(help: ArgumentHelp("The stream.conf to check (default: the one in netdata.conf's [directories] config, else the file Netdata reads).", valueName: "file"), completion: .file()) var config: String?
    @Option(help: ArgumentHelp("netdata.conf, for the hostname, the registry directory, [directories] config and (with --parent) the web server settings (default: netdata.conf in the configuration directory).", valueName: "file"), completion: .file())
    var netdataConf: String?
    @Option(help: ArgumentHelp("Probe this destination instead of [stream] destination (repeatable).", valueName: "dest")) var destination: [String] = []
    @Flag(help: "Check this node as a parent instead.") var parent = false
    @Option(help: ArgumentHelp("The child's machine GUID (default: from Netdata's registry file; without one, no STREAM request is sent).", valueName: "guid")) var machineGUID: String?
    @Option(help: ArgumentHelp("The hostname to present (default: netdata.conf [global] hostname, else the system's).", valueName: "name")) var hostname: String?
    @Option(help: ArgumentHelp("Connect and answer timeout, in seconds (default: the configured timeout, at most 10).", valueName: "seconds")) var timeout: Int?
    @Option(help: "Output format: human or json.") var format: Format = .human
    @Option(help: "Netdata line: 1.37, 2 or auto.") var target: TargetChoice = .auto
    @OptionGroup var quiet: QuietOption

    func validate() throws {
        if let timeout, timeout < 1 { throw ValidationError("--timeout must be positive") }
        if let machineGUID, !UUIDSyntax.isUUID(machineGUID) { throw ValidationError("--machine-guid must be a GUID (8-4-4-4-12 hexadecimal digits)") }
    }

    typealias Step = ChildDoctor.Step

    func run() async throws {
        do {
            let ok = try await diagnose()
            if !ok { throw ExitCode(ExitStatus.findings) }
        } catch let error as StreamConfigError {
            throw error.exit()
        }
    }

    private func diagnose() async throws -> Bool {
        let directories = ConfigDirectories.fromEnvironment()
        // netdata.conf: the one given, else Netdata's (absent: Netdata runs on its defaults).
        var netdataPath = netdataConf ?? { let path = directories.userFile("netdata.conf"); return FileAccess.exists(path) ? path : nil }()
        var netdataDocument: Document?
        var steps: [Step] = []
        do {
            netdataDocument = try netdataPath.map { Document(bytes: try FileAccess.read($0).bytes) }
        } catch let error as StreamConfigError where netdataConf == nil {
            // Netdata's own file, not asked for: go on with Netdata's defaults, and say so.
            steps.append(Step(destination: "netdata.conf", diagnosis: Diagnosis(
                verdict: .note, code: "netdata-conf-unreadable",
                summary: "\(error.message); going on with Netdata's defaults (registry directory, web server)",
                fix: "run doctor as root, or pass --netdata-conf")))
            netdataPath = nil
        }
        let netdata = netdataDocument.map { Ini($0) }
        let path: String
        if let config {
            path = config
        } else if let found = directories.forNetdata(netdata).effectiveFile() {
            path = found.path
        } else {
            throw StreamConfigError.noInput("no stream.conf found", hint: "pass --config")
        }
        let document = Document(bytes: try FileAccess.read(path).bytes)
        let report = Linter.lint(document: document, file: path, options: LintOptions(target: target.target))
        let ini = Ini(document)
        for e in report.diagnostics.filter({ $0.severity == .error }).prefix(10) {
            steps.append(Step(destination: "lint", diagnosis: .lintError(e, file: path, masker: SecretMasker(report.secrets))))
        }
        if parent, let netdataConf = netdataPath, let netdataDocument, let netdata {
            // netdata.conf's own errors (NC1xx-NC4xx, SC1xx), as `lint` reports them; NC101 is the
            // bind-to-unlistenable check below.
            let netdataReport = Linter.lint(document: netdataDocument, file: netdataConf,
                                            options: LintOptions(target: target.target, kind: .netdata,
                                                                 unreadableFiles: FileAccess.unreadableFiles(NetdataConfChecks.tlsFilePaths(netdata))))
            for e in netdataReport.diagnostics where e.severity == .error && e.code != "NC101" {
                steps.append(Step(destination: "lint", diagnosis: .lintError(e, file: netdataConf)))
            }
        }
        if parent {
            for d in ParentChecks.check(streamConf: ini, netdataConf: netdata, netdataFile: netdataPath ?? "netdata.conf", target: report.target) {
                steps.append(Step(destination: "parent", diagnosis: d))
            }
        } else {
            steps += try await probeChild(ini: ini, netdata: netdata, target: report.target, secrets: report.secrets)
        }
        print(steps, masker: SecretMasker(report.secrets))
        return steps.allSatisfy { $0.diagnosis.isSuccess }
    }

    private func probeChild(ini: Ini, netdata: Ini?, target: NetdataTarget, secrets: Set<String>) async throws -> [Step] {
        let identity = NodeIdentity.find(hostname: hostname, machineGUID: machineGUID, netdata: netdata)
        let inputs = ChildDoctor.Inputs(destinations: destination, hostname: identity.hostname, machineGUID: identity.machineGUID,
                                        guidProblem: identity.problem, timeoutSeconds: timeout, childTarget: self.target.target,
                                        presented: { CertificateDiagnosis.presented($0) },
                                        untrusted: { CertificateDiagnosis.untrusted($0, caFile: $1, caPath: $2) })
        return await ChildDoctor.run(ini: ini, target: target, inputs: inputs, group: MultiThreadedEventLoopGroup.singleton)
    }

    private func print(_ steps: [Step], masker: SecretMasker) {
        switch format {
        case .json:
            struct Item: Encodable {
                var destination: String, verdict: String, code: String, summary: String, fix: String?
            }
            Terminal.stdout(JSONOutput.string(steps.map { step in
                let d = step.diagnosis
                return Item(destination: masker.mask(step.destination), verdict: d.verdict.rawValue, code: d.code,
                            summary: masker.mask(d.summary), fix: d.fix.map(masker.mask))
            }))
        case .human:
            for step in steps {
                let d = step.diagnosis
                let mark = d.mark.padded(4)
                Terminal.stdout("\(mark) \(masker.mask(step.destination)): \(masker.mask(d.summary))")
                if let fix = d.fix { Terminal.stdout("     fix: \(masker.mask(fix))") }
            }
        }
    }
}
