import Testing
@testable import StreamConfig

private let key = "11111111-2222-4333-8444-555555555555"
private let guid = "0f6c3a2e-8d41-41ee-9b0a-525400123456"
private let upstreamKey = "99999999-8888-4777-8666-555555555555"

private func ini(_ text: String) -> Ini { Ini(Document(text)) }

private func decide(_ text: String, key apiKey: String? = key, hostname: String? = "child", guid machine: String? = guid,
                    hops: String? = nil, peer: String = "127.0.0.1", target: NetdataTarget = .v1_37) -> AdmissionDecision {
    Admission.decide(AdmissionRequest(apiKey: apiKey, hostname: hostname, machineGUID: machine, hops: hops, peerAddress: peer),
                     ini: ini(text), target: target)
}

/// A key section forwarding to one parent (1.37 names).
private func keySection(_ extra: String = "", destination: String = "10.0.0.5:19999") -> String {
    """
    [\(key)]
        enabled = yes
        default proxy enabled = yes
        default proxy destination = \(destination)
        default proxy api key = \(upstreamKey)
    \(extra)

    """
}

@Suite struct AdmissionAnswerTests {
    @Test func testNotPermittedIsTheExact67ByteSentence() {
        #expect(StreamAnswer.notPermitted.utf8.count == 67)
        #expect(StreamAnswer.promptPrefix.utf8.count == 45)
        #expect(StreamAnswer.promptV1.utf8.count == 30)
        #expect(StreamAnswer.promptV2.utf8.count == 56)
        #expect(AdmissionRefusal.allCases.allSatisfy { $0.answer == StreamAnswer.notPermitted && $0.responseCode == 401 })
    }
}

@Suite struct AdmissionOrderTests {
    @Test func testAcceptedKeyGetsTheUpstreamPlan() throws {
        let decision = decide(keySection())
        let plan = try #require(decision.plan, "\(decision)")
        #expect(plan.destinations.map(\.raw) == ["10.0.0.5:19999"])
        #expect(plan.apiKey?.value == upstreamKey)
        #expect(plan.apiKey?.source == .file(line: 5, section: key, key: "default proxy api key"))
        #expect(plan.proxyEnabled)
        #expect(plan.defaultPort == 19999)
    }

    @Test func testMissingFieldsAreRefusedInNetdataOrder() {
        #expect(decide(keySection(), key: nil, hostname: nil, guid: nil).refusal == .noKey)
        #expect(decide(keySection(), key: "", hostname: nil).refusal == .noKey)
        #expect(decide(keySection(), hostname: nil, guid: nil).refusal == .noHostname)
        #expect(decide(keySection(), guid: nil).refusal == .noMachineGUID)
    }

    @Test func testKeyMustBeACanonicalUUID() {
        #expect(decide(keySection(), key: "not-a-guid").refusal == .invalidKey)
        #expect(decide(keySection().replacingOccurrences("[\(key)]", "[ABCDEF01-2222-4333-8444-555555555555]"),
                       key: "ABCDEF01-2222-4333-8444-555555555555").refusal == .invalidKey)
        #expect(decide("[stream]\n    enabled = yes\n    destination = a\n    api key = \(upstreamKey)\n", key: "stream").refusal == .invalidKey)
        #expect(decide(keySection(), guid: "nope").refusal == .invalidMachineGUID)
        // An upper-case machine GUID is a UUID to libuuid: accepted (its section is looked up as sent).
        #expect(decide(keySection(), guid: guid.uppercased()).refusal == nil)
    }

    @Test func testUnknownDisabledAndWronglyTypedKeys() {
        #expect(decide("[stream]\n    enabled = no\n").refusal == .keyNotEnabled)
        #expect(decide(keySection().replacingOccurrences("enabled = yes\n    default", "enabled = no\n    default")).refusal == .keyNotEnabled)
        #expect(decide("[\(key)]\n    default proxy enabled = yes\n").refusal == .keyNotEnabled, "enabled defaults to no")
        #expect(decide(keySection().replacingOccurrences("enabled = yes\n    default", "enabled = yes # on\n    default")).refusal == .keyNotEnabled)
        #expect(decide(keySection("    type = machine")).refusal == .keyIsNotAPIKey)
        #expect(decide(keySection("    type = API")).refusal == .keyIsNotAPIKey)
        #expect(decide(keySection("    type = api")).refusal == nil)
    }

    @Test func testAllowFromUsesNetdataPeerNames() {
        #expect(decide(keySection("    allow from = 10.*")).refusal == .keyNotAllowedFromIP)
        #expect(decide(keySection("    allow from = 127.0.0.1")).refusal == .keyNotAllowedFromIP, "127.0.0.1 is seen as localhost")
        #expect(decide(keySection("    allow from = localhost")).refusal == nil)
        #expect(decide(keySection("    allow from = localhost"), peer: "::1").refusal == nil)
        #expect(decide(keySection("    allow from = localhost"), peer: "::ffff:127.0.0.1").refusal == nil)
        #expect(decide(keySection("    allow from = 127.0.0.2"), peer: "127.0.0.2").refusal == nil)
        #expect(decide(keySection("    allow from = !10.1.2.3 10.*"), peer: "10.1.2.3").refusal == .keyNotAllowedFromIP)
        #expect(decide(keySection("    allow from = !10.1.2.3 10.*"), peer: "10.1.2.4").refusal == nil)
        #expect(decide(keySection("    allow from =")).refusal == nil, "an empty pattern allows everyone")
        #expect(decide(keySection("    allow from = 10.0.0.0/8"), peer: "10.1.2.3").refusal == .keyNotAllowedFromIP, "no CIDR")
    }

    @Test func testMachineSectionIsCheckedAfterTheKey() {
        let machine = { (lines: String) in keySection() + "[\(guid)]\n\(lines)\n" }
        #expect(decide(machine("    enabled = no")).refusal == .machineGUIDNotEnabled)
        #expect(decide(machine("    type = api")).refusal == .machineGUIDIsNotMachine)
        #expect(decide(machine("    allow from = 10.*")).refusal == .machineGUIDNotAllowedFromIP)
        #expect(decide(machine("    type = machine\n    enabled = yes")).refusal == nil)
        #expect(decide(machine("    history = 10")).refusal == nil, "enabled defaults to yes")
        // both wrong: the key is checked first
        #expect(decide(keySection("    allow from = 10.*") + "[\(guid)]\n    enabled = no\n").refusal == .keyNotAllowedFromIP)
        // the same string as key and machine GUID: the type-less section became "api" on first use
        #expect(decide(keySection(), guid: key).refusal == .machineGUIDIsNotMachine)
    }

    @Test func testHopsAreValidatedFor2xOnly() {
        let v2 = """
            [\(key)]
                enabled = yes
                proxy enabled = yes
                proxy destination = 10.0.0.5
                proxy api key = \(upstreamKey)

            """
        #expect(decide(v2, hops: "0", target: .v2).refusal == .invalidHops)
        #expect(decide(v2, hops: "1x", target: .v2).refusal == .invalidHops)
        #expect(decide(v2, hops: "32768", target: .v2).refusal == .invalidHops)
        #expect(decide(v2, hops: "2", target: .v2).refusal == nil)
        #expect(decide(keySection(), hops: "0", target: .v1_37).refusal == nil)
    }
}

@Suite struct ProxyCascadeTests {
    @Test func testMachineBeatsKeyBeatsStream() throws {
        let text = """
            [stream]
                enabled = yes
                destination = stream-parent
                api key = \(upstreamKey)

            [\(key)]
                enabled = yes
                default proxy destination = key-parent:20000

            [\(guid)]
                proxy destination = machine-parent:30000
                proxy api key = 22222222-3333-4444-8555-666666666666

            """
        let plan = try #require(decide(text).plan)
        #expect(plan.destinations.map(\.host) == ["machine-parent"])
        #expect(plan.apiKey?.value == "22222222-3333-4444-8555-666666666666")
        #expect(plan.enabled?.source == .file(line: 2, section: "stream", key: "enabled"))

        let withoutMachine = try #require(decide(text.replacingOccurrences("[\(guid)]", "[00000000-0000-4000-8000-000000000000]")).plan)
        #expect(withoutMachine.destinations.map(\.endpoint) == [Destination.endpoint(host: "key-parent", port: "20000")])
        #expect(withoutMachine.apiKey?.value == upstreamKey, "falls back to [stream] api key")
    }

    @Test func testLevelNamesDependOnTheTarget() {
        // 1.37 reads `default proxy ...` in key sections only; 2.x reads both, the new name first.
        let newNames = "[\(key)]\n    enabled = yes\n    proxy enabled = yes\n    proxy destination = p\n    proxy api key = \(upstreamKey)\n"
        #expect(decide(newNames, target: .v1_37).refusal == .proxyNotEnabled)
        #expect(decide(newNames, target: .v2).refusal == nil)
        #expect(decide(keySection(), target: .v2).refusal == nil, "2.x renames the old names")
        let both = keySection("    proxy destination = new-parent")
        #expect(decide(both, target: .v2).plan?.destinations.map(\.host) == ["new-parent"])
        #expect(decide(both, target: .v1_37).plan?.destinations.map(\.host) == ["10.0.0.5"])
    }

    @Test func testNowhereToForwardIsARefusal() {
        #expect(decide("[\(key)]\n    enabled = yes\n").refusal == .proxyNotEnabled, "[stream] enabled defaults to no")
        #expect(decide(keySection().replacingOccurrences("default proxy enabled = yes", "default proxy enabled = no")).refusal == .proxyNotEnabled)
        #expect(decide("[\(key)]\n    enabled = yes\n    default proxy enabled = yes\n    default proxy api key = \(upstreamKey)\n").refusal == .noProxyDestination)
        #expect(decide(keySection().replacingOccurrences("default proxy api key = \(upstreamKey)", "default proxy api key =")).refusal == .noProxyAPIKey)
    }

    @Test func testDestinationGrammarAndTLS() throws {
        let plan = try #require(decide(keySection(destination: "tcp:a.example:1 [fe80::1]%eth0:2,b:SSL unix:/run/p.sock")).plan)
        #expect(plan.destinations.map(\.host) == ["a.example", "fe80::1", "b", "/run/p.sock"])
        #expect(plan.destinations.map(\.tls) == [false, false, true, false])
        #expect(plan.destinations[1].interface == "eth0")
        #expect(plan.destinations[3].transport == .unix)
        // 1.37: a :SSL anywhere in [stream] destination makes every sender TLS, proxies included.
        let global = "[stream]\n    destination = x:SSL\n" + keySection(destination: "p:1")
        #expect(try #require(decide(global).plan).destinations.map(\.tls) == [true])
        #expect(try #require(decide(global.replacingOccurrences("default proxy", "proxy"), target: .v2).plan).destinations.map(\.tls) == [false])
    }

    @Test func testDefaultPortAndTLSSettingsComeFromStream() throws {
        let text = "[stream]\n    default port = 20001\n    ssl skip certificate verification = yes\n    CAfile = /ca.pem\n    CApath =\n" + keySection()
        let plan = try #require(decide(text).plan)
        #expect(plan.defaultPort == 20001)
        #expect(plan.tls == ProxyTLSSettings(skipCertificateVerification: true, caFile: "/ca.pem", caPath: nil))
    }

    @Test func testStreamInfoPlanWithoutAKey() {
        let two = keySection() + "[22222222-3333-4444-8555-666666666666]\n    enabled = yes\n    default proxy enabled = yes\n    default proxy destination = 10.0.0.5:19999\n    default proxy api key = \(upstreamKey)\n"
        #expect(ProxyCascade.resolveWithoutKey(ini: ini(two), target: .v1_37, machineGUID: guid).destinations.map(\.raw) == ["10.0.0.5:19999"])
        let disagree = keySection() + "[22222222-3333-4444-8555-666666666666]\n    enabled = yes\n    default proxy enabled = yes\n    default proxy destination = 10.9.9.9\n    default proxy api key = \(upstreamKey)\n"
        #expect(ProxyCascade.resolveWithoutKey(ini: ini(disagree), target: .v1_37, machineGUID: guid).destinations.isEmpty)
        let machine = disagree + "[\(guid)]\n    proxy destination = m:1\n"
        #expect(ProxyCascade.resolveWithoutKey(ini: ini(machine), target: .v1_37, machineGUID: guid).destinations.map(\.raw) == ["m:1"])
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Destination {
    fileprivate var endpoint: String { endpoint(defaultPort: 19999) }
    fileprivate static func endpoint(host: String, port: String) -> String { "\(host):\(port)" }
}
