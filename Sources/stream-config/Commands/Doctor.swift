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
        let files = try DoctorFiles.read(config: config, netdataConf: netdataConf, target: target.target, parent: parent)
        var steps = files.steps.map { Step(destination: $0.destination, diagnosis: $0.diagnosis) }
        if !parent {
            steps += try await probeChild(ini: files.streamConf, netdata: files.netdataConf, target: files.target, secrets: files.secrets)
        }
        print(steps, masker: SecretMasker(files.secrets))
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
        Terminal.write(1, DoctorOutput.text(steps.map { ($0.destination, $0.diagnosis) }, json: format == .json, masker: masker))
    }
}
