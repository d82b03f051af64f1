import ArgumentParser
import NIOCore
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

    @Option(help: ArgumentHelp("The stream.conf to check (default: the file Netdata reads).", valueName: "file")) var config: String?
    @Option(help: ArgumentHelp("netdata.conf, for the hostname, the registry directory and (with --parent) the web server settings.", valueName: "file"))
    var netdataConf: String?
    @Option(help: ArgumentHelp("Probe this destination instead of [stream] destination (repeatable).", valueName: "dest")) var destination: [String] = []
    @Flag(help: "Check this node as a parent instead.") var parent = false
    @Option(help: ArgumentHelp("The machine GUID to present (default: from Netdata's registry).", valueName: "guid")) var machineGUID: String?
    @Option(help: ArgumentHelp("The hostname to present (default: netdata.conf [global] hostname, else the system's).", valueName: "name")) var hostname: String?
    @Option(help: "Connect and answer timeout, in seconds (default: the configured timeout, at most 10).") var timeout: Int?
    @Option(help: "Output format: human or json.") var format: Format = .human
    @Option(help: "Netdata line: 1.37, 2 or auto.") var target: TargetChoice = .auto

    struct Step {
        var destination: String
        var diagnosis: Diagnosis
    }

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
        let stream = ini.section("stream")
        let apiKey = stream?.value("api key") ?? ""
        let destinationText = destination.isEmpty ? stream?.value("destination") ?? "" : destination.joined(separator: " ")
        var steps: [Step] = []
        if !(stream.map { NetdataBool.read($0.value("enabled") ?? "no") } ?? false) {
            steps.append(Step(destination: "[stream]", diagnosis: Diagnosis(verdict: .misconfigured, code: "streaming-disabled",
                summary: "streaming is off: [stream] enabled is not yes", fix: "`stream-config child set --destination PARENT:19999 --api-key KEY`")))
        }
        let destinations = DestinationList.parse(destinationText, target: target)
        if destinations.isEmpty || apiKey.isEmpty {
            steps.append(Step(destination: "[stream]", diagnosis: Diagnosis(verdict: .misconfigured, code: "nothing-to-probe",
                summary: "no \(destinations.isEmpty ? "destination" : "api key") in [stream]", fix: "`stream-config child set --destination PARENT:19999 --api-key KEY`")))
            return steps
        }
        let defaultPort = Int(StrToLL(stream?.value("default port") ?? "19999").value)
        let seconds = timeout ?? min(10, ProbeRequest.configuredTimeout(stream, target: target))
        let tls = StreamProbe.TLSSettings(verify: !NetdataBool.read(stream?.value("ssl skip certificate verification") ?? "no"),
                                          caFile: stream?.value("CAfile"), caPath: stream?.value("CApath"))
        let identity = NodeIdentity.find(hostname: hostname, machineGUID: machineGUID, netdata: netdata)
        let (host, guid) = (identity.hostname, identity.machineGUID)
        if let guidNote = identity.note { steps.append(Step(destination: "identity", diagnosis: Diagnosis(verdict: .accepted, code: "identity", summary: guidNote, fix: nil))) }
        let request = ProbeRequest.make(apiKey: apiKey, hostname: host, machineGUID: guid, version: StreamRelay.version)
        let group = MultiThreadedEventLoopGroup.singleton
        var streamInfo: [(destination: String, answer: ParentSelection.Answer)] = []
        for d in destinations {
            let result = await StreamProbe.run(destination: d, defaultPort: defaultPort, request: request, tls: tls, timeout: .seconds(Int64(seconds)), group: group)
            // What the child does next depends on its line: only when --target says which.
            let diagnosis = AnswerDiagnosis.diagnose(result.outcome, destination: d.raw, usedTLS: d.tls, peerAddress: result.localAddress ?? "this node's address",
                                                     child: self.target.target)
            steps.append(Step(destination: d.raw, diagnosis: diagnosis))
            if let der = result.peerCertificate {
                steps.append(Step(destination: "\(d.raw) certificate", diagnosis: CertificateDiagnosis.presented(der)))
            } else if case .tlsFailed = result.outcome, d.tls, tls.verify {
                // Which certificate was not trusted: look again without verifying, with a GET
                // (stream_info), so that nothing streams on the unverified connection.
                let look = await StreamProbe.run(destination: d, defaultPort: defaultPort,
                                                 request: StreamInfoDiagnosis.request(machineGUID: guid, destination: d.raw),
                                                 tls: StreamProbe.TLSSettings(verify: false, caFile: nil, caPath: nil),
                                                 timeout: .seconds(Int64(min(seconds, 5))), group: group)
                if let der = look.peerCertificate {
                    steps.append(Step(destination: "\(d.raw) certificate", diagnosis: CertificateDiagnosis.untrusted(der, caFile: tls.caFile, caPath: tls.caPath)))
                }
            }
            // 2.1+ children ask each parent for stream_info first, on a separate connection.
            if case .answered = result.outcome {
                let info = await StreamProbe.run(destination: d, defaultPort: defaultPort,
                                                 request: StreamInfoDiagnosis.request(machineGUID: guid, destination: d.raw),
                                                 tls: tls, timeout: .seconds(Int64(min(seconds, 5))), group: group)
                steps.append(Step(destination: "\(d.raw) stream_info",
                                  diagnosis: StreamInfoDiagnosis.diagnose(info.outcome, destination: d.raw, childIsV2: target == .v2)))
                if case .answered(let bytes) = info.outcome {
                    streamInfo.append((d.raw, ParentSelection.Info.parse(bytes).map { .info($0) } ?? .noInfo))
                } else {
                    streamInfo.append((d.raw, .failed))
                }
            } else {
                streamInfo.append((d.raw, .failed))
            }
        }
        // A 2.x child with several parents picks one from their stream_info answers.
        if target == .v2, destinations.count > 1 {
            steps.append(Step(destination: "[stream] destination", diagnosis: ParentSelection.diagnosis(ParentSelection.order(streamInfo))))
        }
        return steps
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
