import StreamConfig
import Testing
@testable import StreamRelay

/// `AdmissionTable` answers exactly as `Admission.decide` (with the plan's chart filter) for
/// every request it covers, and leaves the rest to it.
@Suite struct AdmissionTableTests {
    static let open = "aaaaaaaa-bbbb-4ccc-8ddd-000000000001"
    static let narrow = "aaaaaaaa-bbbb-4ccc-8ddd-000000000002"
    static let disabled = "aaaaaaaa-bbbb-4ccc-8ddd-000000000003"
    static let machineTyped = "aaaaaaaa-bbbb-4ccc-8ddd-000000000004"
    static let noDestination = "aaaaaaaa-bbbb-4ccc-8ddd-000000000005"
    static let filtered = "aaaaaaaa-bbbb-4ccc-8ddd-000000000006"
    static let emptyAllow = "aaaaaaaa-bbbb-4ccc-8ddd-000000000007"
    static let upper = "AAAAAAAA-BBBB-4CCC-8DDD-000000000008"
    static let unknown = "aaaaaaaa-bbbb-4ccc-8ddd-00000000ffff"
    static let plainGUID = "0f6c3a2e-8d41-41ee-9b0a-525400123456"
    static let guardedGUID = "0f6c3a2e-8d41-41ee-9b0a-5254000000aa"
    static let offGUID = "0f6c3a2e-8d41-41ee-9b0a-5254000000bb"
    static let proxiedGUID = "0f6c3a2e-8d41-41ee-9b0a-5254000000cc"

    static let configuration = """
        [stream]
            enabled = no
            destination = 10.9.9.9:19999
            api key = 11111111-2222-4333-8444-555555555555

        [\(open)]
            enabled = yes
            default proxy enabled = yes
            proxy enabled = yes
            default proxy destination = 127.0.0.1:19999
            proxy destination = 127.0.0.1:19999
            default proxy api key = 11111111-2222-4333-8444-555555555555
            proxy api key = 11111111-2222-4333-8444-555555555555

        [\(narrow)]
            enabled = yes
            allow from = !10.1.* 10.* localhost
            default proxy enabled = yes
            proxy enabled = yes
            default proxy api key = 11111111-2222-4333-8444-555555555555
            proxy api key = 11111111-2222-4333-8444-555555555555

        [\(disabled)]
            enabled = no
            default proxy enabled = yes

        [\(machineTyped)]
            type = machine
            enabled = yes

        [\(noDestination)]
            enabled = yes
            default proxy enabled = yes
            proxy enabled = yes
            default proxy destination =
            proxy destination =

        [\(filtered)]
            enabled = yes
            default proxy enabled = yes
            proxy enabled = yes
            default proxy api key = 11111111-2222-4333-8444-555555555555
            proxy api key = 11111111-2222-4333-8444-555555555555
            default proxy send charts matching = system.* !apps.*
            proxy send charts matching = system.* !apps.*
            enable compression = no

        [\(emptyAllow)]
            enabled = yes
            allow from =
            default proxy enabled = yes
            proxy enabled = yes
            default proxy api key = 11111111-2222-4333-8444-555555555555
            proxy api key = 11111111-2222-4333-8444-555555555555

        [\(upper)]
            enabled = yes

        [\(guardedGUID)]
            allow from = 10.*

        [\(offGUID)]
            enabled = no

        [\(proxiedGUID)]
            proxy destination = 127.0.0.9:19999
            default proxy destination = 127.0.0.9:19999

        """

    static func requests() -> [AdmissionRequest] {
        let keys: [String?] = [open, narrow, disabled, machineTyped, noDestination, filtered, emptyAllow, upper, unknown,
                               upper.lowercased(), "stream", "", nil, plainGUID]
        let guids: [String?] = [plainGUID, guardedGUID, offGUID, proxiedGUID, open, "not-a-guid", "", nil,
                                plainGUID.uppercased()]
        let hosts: [String?] = ["child", "", nil]
        let hops: [String?] = [nil, "1", "0", "40000", "2x"]
        let peers = ["127.0.0.1", "10.0.0.5", "10.1.2.3", "::ffff:10.0.0.5", "::1", "192.168.1.1"]
        var all: [AdmissionRequest] = []
        for key in keys {
            for guid in guids {
                for peer in peers {
                    all.append(AdmissionRequest(apiKey: key, hostname: "child", machineGUID: guid, hops: "1", peerAddress: peer))
                }
            }
        }
        for host in hosts {
            for hop in hops {
                all.append(AdmissionRequest(apiKey: open, hostname: host, machineGUID: plainGUID, hops: hop, peerAddress: "10.0.0.5"))
                all.append(AdmissionRequest(apiKey: nil, hostname: host, machineGUID: nil, hops: hop, peerAddress: "10.0.0.5"))
            }
        }
        return all
    }

    static func reference(_ request: AdmissionRequest, ini: Ini, target: NetdataTarget) -> AdmissionTable.Answer {
        let decision = Admission.decide(request, ini: ini, target: target)
        guard case .accept(let plan) = decision else { return .init(decision: decision) }
        let filter = plan.chartFilter(target: target)
        return .init(decision: decision, chartFilter: filter.sendsEverything ? nil : filter)
    }

    @Test(arguments: [NetdataTarget.v1_37, .v2])
    func everyAnswerIsAdmissionsOwn(target: NetdataTarget) {
        let ini = Ini(Document(bytes: Array(Self.configuration.utf8)))
        let table = AdmissionTable(ini: ini, target: target)
        #expect(table.count == 10, "every section named by a canonical UUID (GUID sections too: a child may send one as its key); not the upper-case one")
        var covered = 0
        for request in Self.requests() {
            let expected = Self.reference(request, ini: ini, target: target)
            guard let answer = table.decide(request) else { continue }
            covered += 1
            #expect(answer == expected, "\(request)")
        }
        #expect(covered > 300, "the table answers most of these itself (\(covered))")
    }

    @Test func theUsualChildIsAnsweredByTheTableAndTheRestIsLeftToAdmission() throws {
        let ini = Ini(Document(bytes: Array(Self.configuration.utf8)))
        let table = AdmissionTable(ini: ini, target: .v2)
        func request(_ key: String?, _ guid: String?, peer: String = "127.0.0.1") -> AdmissionRequest {
            AdmissionRequest(apiKey: key, hostname: "child", machineGUID: guid, hops: "1", peerAddress: peer)
        }
        let usual = try #require(table.decide(request(Self.open, Self.plainGUID)))
        #expect(usual.decision.plan?.destinations.map(\.raw) == ["127.0.0.1:19999"])
        #expect(usual.chartFilter == nil, "`*` sends everything: no filter")

        let filtered = try #require(table.decide(request(Self.filtered, Self.plainGUID)))
        #expect(filtered.chartFilter?.pattern == SimplePattern("system.* !apps.*"))
        #expect(filtered.decision.plan?.compression == false)

        #expect(table.decide(request(Self.narrow, Self.plainGUID, peer: "10.1.2.3"))?.decision == .refuse(.keyNotAllowedFromIP))
        #expect(table.decide(request(Self.narrow, Self.plainGUID, peer: "10.0.0.5"))?.decision.plan != nil)
        #expect(table.decide(request(Self.narrow, Self.plainGUID, peer: "::1"))?.decision.plan != nil, "::1 is localhost")
        #expect(table.decide(request(Self.emptyAllow, Self.plainGUID, peer: "192.168.1.1"))?.decision.plan != nil, "an empty allow from allows all")
        #expect(table.decide(request(Self.disabled, Self.plainGUID))?.decision == .refuse(.keyNotEnabled))
        #expect(table.decide(request(Self.machineTyped, Self.plainGUID))?.decision == .refuse(.keyIsNotAPIKey))
        #expect(table.decide(request(Self.noDestination, Self.plainGUID))?.decision == .refuse(.noProxyDestination))
        #expect(table.decide(request(Self.upper, Self.plainGUID))?.decision == .refuse(.invalidKey))

        // A GUID with a section of its own, the key as GUID, or a key without a section: Admission decides.
        #expect(table.decide(request(Self.open, Self.guardedGUID)) == nil)
        #expect(table.decide(request(Self.open, Self.proxiedGUID)) == nil)
        #expect(table.decide(request(Self.open, Self.open)) == nil)
        #expect(table.decide(request(Self.unknown, Self.plainGUID)) == nil)
    }

    @Test func aReloadedConfigurationCarriesItsOwnTable() throws {
        let before = try relayConfiguration(destination: "127.0.0.1:19999")
        let after = try relayConfiguration(destination: "127.0.0.2:19999")
        let request = AdmissionRequest(apiKey: relayKey, hostname: "child", machineGUID: Self.plainGUID, hops: "1", peerAddress: "127.0.0.1")
        #expect(before.admission.decide(request)?.decision.plan?.destinations.map(\.raw) == ["127.0.0.1:19999"])
        #expect(after.admission.decide(request)?.decision.plan?.destinations.map(\.raw) == ["127.0.0.2:19999"])
    }
}
