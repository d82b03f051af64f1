import NIOCore
import StreamConfig

/// `doctor` for a child: [stream] checked, then for each destination in order the real STREAM
/// request (TLS when `:SSL`), the parent's answer explained, its certificate described, and the
/// 2.x `stream_info` asked; with several parents on 2.x, the one the child would pick.
public enum ChildDoctor {
    public struct Step: Sendable {
        public var destination: String
        public var diagnosis: Diagnosis

        public init(destination: String, diagnosis: Diagnosis) {
            self.destination = destination
            self.diagnosis = diagnosis
        }
    }

    /// What the caller knows of the node and how certificates are described (X509 lives in the
    /// system library).
    public struct Inputs: Sendable {
        public var destinations: [String]
        public var hostname: String
        /// nil: the child's GUID is unknown, and no STREAM request is sent (see `guidProblem`).
        public var machineGUID: String?
        /// Why the GUID is unknown (the registry file is missing or unreadable), for the step
        /// that says so.
        public var guidProblem: String?
        public var timeoutSeconds: Int?
        /// The line the child runs, when known (`--target`): what it does next depends on it.
        public var childTarget: NetdataTarget?
        public var presented: @Sendable ([UInt8]) -> Diagnosis
        public var untrusted: @Sendable ([UInt8], String?, String?) -> Diagnosis

        public init(destinations: [String], hostname: String, machineGUID: String?, guidProblem: String?, timeoutSeconds: Int?, childTarget: NetdataTarget?,
                    presented: @escaping @Sendable ([UInt8]) -> Diagnosis, untrusted: @escaping @Sendable ([UInt8], String?, String?) -> Diagnosis) {
            self.destinations = destinations
            self.hostname = hostname
            self.machineGUID = machineGUID
            self.guidProblem = guidProblem
            self.timeoutSeconds = timeoutSeconds
            self.childTarget = childTarget
            self.presented = presented
            self.untrusted = untrusted
        }
    }

    static let setUp = "`stream-config child set --destination PARENT:19999 --api-key KEY`"

    public static func run(ini: Ini, target: NetdataTarget, inputs: Inputs, group: EventLoopGroup) async -> [Step] {
        let stream = ini.section("stream")
        let apiKey = stream?.value("api key") ?? ""
        let destinationText = inputs.destinations.isEmpty ? stream?.value("destination") ?? "" : inputs.destinations.joined(separator: " ")
        var steps: [Step] = []
        if !(stream.map { NetdataBool.read($0.value("enabled") ?? "no") } ?? false) {
            steps.append(Step(destination: "[stream]", diagnosis: Diagnosis(verdict: .misconfigured, code: "streaming-disabled",
                                                                            summary: "streaming is off: [stream] enabled is not yes", fix: setUp)))
        }
        let destinations = DestinationList.parse(destinationText, target: target)
        if destinations.isEmpty || apiKey.isEmpty {
            steps.append(Step(destination: "[stream]", diagnosis: Diagnosis(verdict: .misconfigured, code: "nothing-to-probe",
                                                                            summary: "no \(destinations.isEmpty ? "destination" : "api key") in [stream]", fix: setUp)))
            return steps
        }
        let defaultPort = Int(StrToLL(stream?.value("default port") ?? "19999").value)
        let seconds = Int64(inputs.timeoutSeconds ?? min(10, ProbeRequest.configuredTimeout(stream, target: target)))
        let tls = StreamProbe.TLSSettings(verify: !NetdataBool.read(stream?.value("ssl skip certificate verification") ?? "no"),
                                          caFile: stream?.value("CAfile"), caPath: stream?.value("CApath"))
        guard let machineGUID = inputs.machineGUID else {
            // No STREAM request with a made-up GUID: the parent would keep a node for it. Only
            // whether each parent answers at all, with a GET that registers nothing.
            steps.append(Step(destination: "identity", diagnosis: AnswerDiagnosis.unknownMachineGUID(inputs.guidProblem ?? "no machine GUID",
                                                                                                 hostname: inputs.hostname)))
            for d in destinations {
                let result = await StreamProbe.run(destination: d, defaultPort: defaultPort,
                                                   request: StreamInfoDiagnosis.request(machineGUID: StreamInfoDiagnosis.placeholderGUID, destination: d.raw),
                                                   tls: tls, timeout: .seconds(seconds), group: group)
                steps.append(Step(destination: d.raw, diagnosis: AnswerDiagnosis.reachability(result.outcome, destination: d.raw, usedTLS: d.tls)))
            }
            return steps
        }
        let request = ProbeRequest.make(apiKey: apiKey, hostname: inputs.hostname, machineGUID: machineGUID, version: StreamRelay.version)
        let infoRequest = { (d: Destination) in StreamInfoDiagnosis.request(machineGUID: machineGUID, destination: d.raw) }
        var streamInfo: [(destination: String, answer: ParentSelection.Answer)] = []
        for d in destinations {
            let result = await StreamProbe.run(destination: d, defaultPort: defaultPort, request: request, tls: tls, timeout: .seconds(seconds), group: group)
            steps.append(Step(destination: d.raw, diagnosis: AnswerDiagnosis.diagnose(result.outcome, destination: d.raw, usedTLS: d.tls,
                                                                                      peerAddress: result.localAddress ?? "this node's address",
                                                                                      child: inputs.childTarget)))
            if let der = result.peerCertificate {
                steps.append(Step(destination: "\(d.raw) certificate", diagnosis: inputs.presented(der)))
            } else if case .tlsFailed = result.outcome, d.tls, tls.verify {
                // Which certificate was not trusted: look again without verifying, with a GET
                // (stream_info), so that nothing streams on the unverified connection.
                let look = await StreamProbe.run(destination: d, defaultPort: defaultPort, request: infoRequest(d),
                                                 tls: StreamProbe.TLSSettings(verify: false, caFile: nil, caPath: nil),
                                                 timeout: .seconds(min(seconds, 5)), group: group)
                if let der = look.peerCertificate {
                    steps.append(Step(destination: "\(d.raw) certificate", diagnosis: inputs.untrusted(der, tls.caFile, tls.caPath)))
                }
            }
            // 2.1+ children ask each parent for stream_info first, on a separate connection.
            guard case .answered = result.outcome else {
                streamInfo.append((d.raw, .failed))
                continue
            }
            let info = await StreamProbe.run(destination: d, defaultPort: defaultPort, request: infoRequest(d), tls: tls,
                                             timeout: .seconds(min(seconds, 5)), group: group)
            steps.append(Step(destination: "\(d.raw) stream_info",
                              diagnosis: StreamInfoDiagnosis.diagnose(info.outcome, destination: d.raw, childIsV2: target == .v2)))
            if case .answered(let bytes) = info.outcome {
                streamInfo.append((d.raw, ParentSelection.Info.parse(bytes).map { .info($0) } ?? .noInfo))
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
}
