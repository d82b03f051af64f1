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
        and explains the parent's answer with the fix. Parent mode (--parent): lints the parent's \
        stream.conf and checks netdata.conf for what keeps children out.
        Exit status: 0 every destination would accept this child (or the parent checks pass); \
        1 otherwise; 64 usage; 66 unreadable input.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case human, json }

    @Option(help: ArgumentHelp("The stream.conf to check (default: the file Netdata reads).", valueName: "file"), completion: .file()) var config: String?
    @Option(help: ArgumentHelp("netdata.conf, for the hostname, the registry directory and (with --parent) the web server settings.", valueName: "file"), completion: .file())
    var netdataConf: String?
    @Option(help: ArgumentHelp("Probe this destination instead of [stream] destination (repeatable).", valueName: "dest")) var destination: [String] = []
    @Flag(help: "Check this node as a parent instead.") var parent = false
    @Option(help: ArgumentHelp("The machine GUID to present (default: from Netdata's registry).", valueName: "guid")) var machineGUID: String?
    @Option(help: ArgumentHelp("The hostname to present (default: netdata.conf [global] hostname, else the system's).", valueName: "name")) var hostname: String?
    @Option(help: "Connect and answer timeout, in seconds (default: the configured timeout, at most 10).") var timeout: Int?
    @Option(help: "Output format: human or json.") var format: Format = .human
    @Option(help: "Netdata line: 1.37, 2 or auto.") var target: TargetChoice = .auto
    @OptionGroup var quiet: QuietOption

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
        let path: String
        if let config { path = config } else if let found = ConfigDirectories.fromEnvironment().effectiveFile() { path = found.path } else {
            throw StreamConfigError.noInput("no stream.conf found", hint: "pass --config")
        }
        let document = Document(bytes: try FileAccess.read(path).bytes)
        let report = Linter.lint(document: document, file: path, options: LintOptions(target: target.target))
        let ini = Ini(document)
        let netdataDocument = try netdataConf.map { Document(bytes: try FileAccess.read($0).bytes) }
        let netdata = netdataDocument.map { Ini($0) }
        var steps: [Step] = []
        for e in report.diagnostics.filter({ $0.severity == .error }).prefix(10) {
            steps.append(Step(destination: "lint", diagnosis: .lintError(e, file: path, masker: SecretMasker(report.secrets))))
        }
        if parent, let netdataConf, let netdataDocument, let netdata {
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
            for d in ParentChecks.check(streamConf: ini, netdataConf: netdata, target: report.target) { steps.append(Step(destination: "parent", diagnosis: d)) }
        } else {
            steps += try await probeChild(ini: ini, netdata: netdata, target: report.target, secrets: report.secrets)
        }
        print(steps, masker: SecretMasker(report.secrets))
        return steps.allSatisfy { $0.diagnosis.isSuccess }
    }

    private func probeChild(ini: Ini, netdata: Ini?, target: NetdataTarget, secrets: Set<String>) async throws -> [Step] {
        let identity = NodeIdentity.find(hostname: hostname, machineGUID: machineGUID, netdata: netdata)
        let inputs = ChildDoctor.Inputs(destinations: destination, hostname: identity.hostname, machineGUID: identity.machineGUID,
                                        identityNote: identity.note, timeoutSeconds: timeout, childTarget: self.target.target,
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
                let mark = d.isSuccess ? "ok  " : "FAIL"
                Terminal.stdout("\(mark) \(masker.mask(step.destination)): \(masker.mask(d.summary))")
                if let fix = d.fix { Terminal.stdout("     fix: \(masker.mask(fix))") }
            }
        }
    }
}
