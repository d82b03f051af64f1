import Testing
@testable import StreamConfig

/// `FleetChecker` on small in-memory fleets: one test per rule, with the place the finding must
/// point at, and the case next to it that must stay quiet.
@Suite struct FleetCheckerTests {
    static let key = "4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b01"
    static let otherKey = "4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b02"
    static let guid = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a01"

    static func child(_ destination: String, key: String = key) -> String {
        "[stream]\n    enabled = yes\n    destination = \(destination)\n    api key = \(key)\n"
    }

    static func parent(_ extra: String = "", key: String = key, allowFrom: String = "10.*") -> String {
        "[stream]\n    enabled = no\n\n[\(key)]\n    type = api\n    enabled = yes\n    allow from = \(allowFrom)\n" + extra
    }

    static func host(_ name: String, _ address: String, stream: String?, netdata: String? = nil, target: NetdataTarget = .v2,
                     guid: String? = nil, tenant: String? = nil) -> FleetHost {
        FleetHost(name: name, address: address, target: target, tenant: tenant, machineGUID: guid,
                  streamConf: stream.map { FleetFile(path: "\(name)/stream.conf", document: Document($0)) },
                  netdataConf: netdata.map { FleetFile(path: "\(name)/netdata.conf", document: Document($0)) })
    }

    /// `FILE CODE LINE:COLUMN` of every cross-host finding (FL codes), sorted.
    static func fl(_ hosts: [FleetHost], clusters: [FleetCluster] = []) -> [String] {
        let report = FleetChecker.check(Fleet(hosts: hosts, clusters: clusters))
        return report.files.flatMap { $0.report.diagnostics }.filter { $0.code.hasPrefix("FL") }
            .map { "\($0.file) \($0.code) \($0.line):\($0.column)" }.sorted()
    }

    static func messages(_ hosts: [FleetHost], code: String) -> [String] {
        FleetChecker.check(Fleet(hosts: hosts)).files.flatMap { $0.report.diagnostics }.filter { $0.code == code }.map(\.message)
    }

    let p = host("p", "10.1.0.5", stream: parent())

    // MARK: Edges

    @Test func testAnAcceptedChildHasNoFleetFinding() {
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]).isEmpty)
    }

    @Test func testDestinationsResolveByAddressOrNameInAnyCase() {
        let index = FleetIndex([p, Self.host("web", "10.1.0.11", stream: nil)])
        #expect(index.host(named: "10.1.0.5") == 0)
        #expect(index.host(named: "P") == 0)
        #expect(index.host(named: "web") == 1)
        #expect(index.host(named: "10.9.9.9") == nil)
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("P:19999"))]).isEmpty)
    }

    @Test func testADestinationOutsideTheFleetIsANoteAtItsEntry() {
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5 192.0.2.1:19999"))]) == ["c/stream.conf FL101 3:28"])
        // Loopback is the node itself, never another host.
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("localhost:19999"))]) == ["c/stream.conf FL101 3:19"])
    }

    @Test func testTheChildsDefaultPortIsUsedForEntriesWithoutOne() {
        let stream = "[stream]\n    enabled = yes\n    destination = 10.1.0.5\n    api key = \(Self.key)\n    default port = 20000\n"
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: stream)]) == ["c/stream.conf FL201 3:19"])
    }

    @Test func testAChildThatDoesNotSendHasNoEdges() {
        let stream = "[stream]\n    enabled = no\n    destination = 10.1.0.9:19999\n    api key = \(Self.key)\n"
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: stream)]).isEmpty)
    }

    // MARK: FL1xx admission

    @Test func testKeyAbsentOnTheParentPointsAtTheChildsKey() {
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999", key: Self.otherKey))]) == ["c/stream.conf FL102 4:15"])
    }

    @Test func testDisabledKeyPointsAtItsEnabledLine() {
        let parent = "[\(Self.key)]\n    type = api\n    enabled = no\n"
        #expect(Self.fl([Self.host("p", "10.1.0.5", stream: parent), Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))])
            == ["p/stream.conf FL103 3:15"])
        // No `enabled` at all: keys default to no; the finding is at the section header.
        let missing = "[\(Self.key)]\n    type = api\n"
        #expect(Self.fl([Self.host("p", "10.1.0.5", stream: missing), Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))])
            == ["p/stream.conf FL103 1:1"])
    }

    @Test func testKeyTypedMachine() {
        let parent = "[\(Self.key)]\n    type = machine\n    enabled = yes\n"
        #expect(Self.fl([Self.host("p", "10.1.0.5", stream: parent), Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))])
            == ["p/stream.conf FL104 2:12"])
    }

    @Test func testMachineSectionThatRefusesTheChild() {
        let parent = Self.parent("\n[\(Self.guid)]\n    type = machine\n    enabled = no\n")
        let child = Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), guid: Self.guid)
        #expect(Self.fl([Self.host("p", "10.1.0.5", stream: parent), child]) == ["p/stream.conf FL105 11:15"])
        // Without the child's GUID, its machine section cannot be judged.
        #expect(Self.fl([Self.host("p", "10.1.0.5", stream: parent), Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]).isEmpty)
    }

    @Test func testAddressOutsideTheKeysAllowFrom() {
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(allowFrom: "!10.1.0.11 10.*"))
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["p/stream.conf FL106 7:18"])
        #expect(Self.fl([parent, Self.host("c", "10.1.0.12", stream: Self.child("10.1.0.5:19999"))]).isEmpty)
    }

    @Test func testAddressOutsideTheMachineSectionsAllowFrom() {
        let parent = Self.parent("\n[\(Self.guid)]\n    allow from = 10.1.0.99\n")
        let child = Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), guid: Self.guid)
        #expect(Self.fl([Self.host("p", "10.1.0.5", stream: parent), child]) == ["p/stream.conf FL107 10:18"])
    }

    @Test func testAddressOutsideTheWebAccessLists() {
        for option in ["allow connections from", "allow streaming from"] {
            let parent = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    \(option) = 10.1.* localhost\n")
            #expect(Self.fl([parent, Self.host("c", "10.2.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["p/netdata.conf FL108 2:\(option.count + 8)"])
            #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]).isEmpty)
        }
    }

    // MARK: FL2xx ports and TLS

    @Test func testPortTheParentDoesNotListenOn() {
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    bind to = *:20000\n")
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["c/stream.conf FL201 3:19"])
        #expect(Self.messages([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))], code: "FL201").first?.contains("port 20000") == true)
        // `default port` names the port of entries without one.
        let byDefault = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    bind to = *\n    default port = 20000\n")
        #expect(Self.fl([byDefault, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:20000"))]).isEmpty)
    }

    @Test func testParentOnLoopbackOnly() {
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[global]\n    bind socket to IP = 127.0.0.1\n")
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["p/netdata.conf FL202 2:25"])
    }

    @Test func testTLSChildToAParentWithoutCertificate() {
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    bind to = *:19999\n")
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999:SSL"))]) == ["c/stream.conf FL203 3:19"])
        // Without netdata.conf the parent's TLS is unknown: no finding.
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999:SSL"))]).isEmpty)
    }

    static let tlsWeb = "[web]\n    bind to = *:19999=streaming|dashboard^SSL=force\n    ssl key = k.pem\n    ssl certificate = c.pem\n"

    @Test func testPlaintextChildToAForcedPort() {
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: Self.tlsWeb)
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["c/stream.conf FL204 3:19"])
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999:SSL"))]).isEmpty)
    }

    @Test func testPlaintextChildToA137ParentWithACertificate() {
        let web = "[web]\n    bind to = *:19999\n    ssl key = k.pem\n    ssl certificate = c.pem\n"
        let parent137 = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: web, target: .v1_37)
        #expect(Self.fl([parent137, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["c/stream.conf FL205 3:19"])
        // 2.x keeps taking plaintext children there.
        let parent2 = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: web)
        #expect(Self.fl([parent2, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]).isEmpty)
    }

    @Test func testPortWithoutStreaming() {
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    bind to = *:19999=dashboard\n")
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))]) == ["p/netdata.conf FL206 2:15"])
    }

    // MARK: FL3xx identity and topology

    @Test func testDuplicateMachineGUIDsAndHostnames() {
        let a = Self.host("a", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), netdata: "[global]\n    hostname = web\n", guid: Self.guid)
        let b = Self.host("b", "10.1.0.12", stream: Self.child("10.1.0.5:19999"), netdata: "[global]\n    hostname = web\n", guid: Self.guid.uppercased())
        var b2 = b
        b2.guidFile = FleetFile(path: "b/netdata.public.unique.id", document: Document(Self.guid + "\n"))
        #expect(Self.fl([p, a, b2]) == ["b/netdata.conf FL302 2:16", "b/netdata.public.unique.id FL301 1:1"])
    }

    @Test func testOneParentListedTwice() {
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999 p:19999"))]) == ["c/stream.conf FL303 3:34"])
    }

    @Test func testACycleIsFlaggedUnlessItIsADeclaredCluster() {
        let a = Self.host("a", "10.1.0.5", stream: Self.child("10.1.0.6:19999") + "\n[\(Self.key)]\n    type = api\n    enabled = yes\n")
        let b = Self.host("b", "10.1.0.6", stream: Self.child("10.1.0.5:19999") + "\n[\(Self.key)]\n    type = api\n    enabled = yes\n")
        #expect(Self.fl([a, b]) == ["a/stream.conf FL304 3:19"])
        #expect(Self.fl([a, b], clusters: [FleetCluster(name: "parents", hosts: ["a", "b"])]).isEmpty)
    }

    @Test func testLongChainsNeedNoRecursion() {
        let count = 20000
        let chain = (0..<count).map { [($0 + 1) % count] }
        #expect(StronglyConnected.components(chain).count == 1)
        #expect(StronglyConnected.components((0..<count).map { $0 + 1 < count ? [$0 + 1] : [] }).count == count)
    }

    @Test func testDestinationThatIsTheHostItself() {
        #expect(Self.fl([Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.11:19999"))]) == ["c/stream.conf FL305 3:19"])
    }

    // MARK: FL401 proxies

    @Test func testAProxyChainIsCheckedEndToEnd() {
        let grandKey = "9f3c2b1a-8e7d-4c6b-a5f4-e3d2c1b0a901"
        let grandparent = Self.host("g", "10.1.0.1", stream: Self.parent(key: grandKey))
        func proxy(_ forwardKey: String) -> FleetHost {
            Self.host("p", "10.1.0.5", stream: Self.parent("    proxy enabled = yes\n    proxy destination = 10.1.0.1:19999\n    proxy api key = \(forwardKey)\n"))
        }
        let child = Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))
        #expect(Self.fl([grandparent, proxy(Self.otherKey), child]) == ["p/stream.conf FL401 10:21"])
        #expect(Self.fl([grandparent, proxy(grandKey), child]).isEmpty)
        // The grandparent's allow from must match the proxy, not the child.
        let narrow = Self.host("g", "10.1.0.1", stream: Self.parent(key: grandKey, allowFrom: "10.1.0.11"))
        #expect(Self.fl([narrow, proxy(grandKey), child]) == ["g/stream.conf FL401 7:18"])
    }

    // MARK: FL5xx keys

    @Test func testTheDocumentationKey() {
        let doc = FleetChecker.documentationKey
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent(key: doc))
        #expect(Self.fl([parent, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999", key: doc))])
            == ["c/stream.conf FL501 4:15", "p/stream.conf FL501 4:1"])
    }

    @Test func testOneKeyAcrossTenants() {
        let a = Self.host("a", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), tenant: "a")
        let b = Self.host("b", "10.1.0.12", stream: Self.child("10.1.0.5:19999"), tenant: "b")
        let b2 = Self.host("b2", "10.1.0.13", stream: Self.child("10.1.0.5:19999", key: Self.otherKey), tenant: "b")
        let parent = Self.host("p", "10.1.0.5", stream: Self.parent() + "\n[\(Self.otherKey)]\n    type = api\n    enabled = yes\n")
        #expect(Self.fl([parent, a, b, b2]) == ["b/stream.conf FL502 4:15"])
    }

    // MARK: FL6xx replication

    @Test func testReplicationLongerThanTheChildsRAMDatabase() {
        let ram = "[db]\n    mode = ram\n    retention = 3600\n"
        let child = Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), netdata: ram)
        #expect(Self.fl([p, child]) == ["c/netdata.conf FL601 2:12"])
        #expect(Self.messages([p, child], code: "FL601").first?.contains("1h8m16s") == true)
        // A parent that asks for less than the child holds: quiet.
        let short = Self.host("p", "10.1.0.5", stream: Self.parent("    replication period = 1h\n"))
        #expect(Self.fl([short, child]).isEmpty)
        // dbengine keeps what replication needs.
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), netdata: "[db]\n    mode = dbengine\n")]).isEmpty)
    }

    // MARK: Reports

    @Test func testFindingsAreSuppressedByTheLintDirectiveAndRepeatsAreCounted() {
        let silenced = "[stream]\n    enabled = yes\n    destination = 10.1.0.5:19999\n    # stream-config: disable=FL102\n    api key = \(Self.otherKey)\n"
        #expect(Self.fl([p, Self.host("c", "10.1.0.11", stream: silenced)]).isEmpty)
        let parent = Self.host("p", "10.1.0.5", stream: "[\(Self.key)]\n    type = api\n    enabled = no\n")
        let children = (1...3).map { Self.host("c\($0)", "10.1.0.1\($0)", stream: Self.child("10.1.0.5:19999")) }
        let found = Self.messages([parent] + children, code: "FL103")
        #expect(found.count == 1 && found[0].hasSuffix("(and 2 more like it)"))
    }

    @Test func testLintFindingsOfEveryFileAreKept() {
        let report = FleetChecker.check(Fleet(hosts: [p, Self.host("c", "10.1.0.11", stream: "[stream]\n    enabled = 1\n")]))
        #expect(report.files.flatMap { $0.report.diagnostics }.contains { $0.code == "SC401" && $0.file == "c/stream.conf" })
    }

    // MARK: Hints are the fix

    /// The first `NAME = VALUE` a hint quotes.
    static func advisedLine(_ hint: String?) -> (key: String, value: String)? {
        guard let hint else { return nil }
        for quoted in hint.split(separator: "`", omittingEmptySubsequences: false).enumerated() where quoted.offset % 2 == 1 && quoted.element.contains(" = ") {
            return StreamAdvice.option(String(quoted.element))
        }
        return nil
    }

    /// Applies the hint of the only FL finding to the file and section it points at, then checks again.
    static func applyingTheHint(_ hosts: [FleetHost], section: String) throws -> [String] {
        let report = FleetChecker.check(Fleet(hosts: hosts))
        let finding = try #require(report.files.flatMap { $0.report.diagnostics }.first { $0.code.hasPrefix("FL") })
        let line = try #require(advisedLine(finding.hint), "\(finding.code): \(finding.hint ?? "no hint")")
        var fixed = hosts
        for (i, host) in hosts.enumerated() {
            for kind in ["stream", "netdata"] {
                let file = kind == "stream" ? host.streamConf : host.netdataConf
                guard let file, file.path == finding.file else { continue }
                var editor = ConfigEditor(file.document)
                try editor.set(section: section, key: line.key, value: line.value)
                let edited = FleetFile(path: file.path, document: editor.document)
                if kind == "stream" { fixed[i].streamConf = edited } else { fixed[i].netdataConf = edited }
            }
        }
        return fl(fixed)
    }

    @Test func testApplyingEachHintFixesTheStream() throws {
        let child = Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"))
        // FL103: the key's `enabled` line.
        let disabled = Self.host("p", "10.1.0.5", stream: "[\(Self.key)]\n    type = api\n    enabled = no\n")
        #expect(try Self.applyingTheHint([disabled, child], section: Self.key).isEmpty)
        // FL104: `type = api`.
        let typed = Self.host("p", "10.1.0.5", stream: "[\(Self.key)]\n    type = machine\n    enabled = yes\n")
        #expect(try Self.applyingTheHint([typed, child], section: Self.key).isEmpty)
        // FL106: the child's address added to `allow from`.
        let narrow = Self.host("p", "10.1.0.5", stream: Self.parent(allowFrom: "10.1.0.99"))
        #expect(try Self.applyingTheHint([narrow, child], section: Self.key).isEmpty)
        // FL201: the port the parent listens on.
        let other = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    bind to = *:20000\n")
        #expect(try Self.applyingTheHint([other, child], section: "stream").isEmpty)
        // FL202: listen on every address.
        let loopback = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: "[web]\n    bind to = localhost:19999\n")
        #expect(try Self.applyingTheHint([loopback, child], section: "web").isEmpty)
        // FL204: `:SSL`.
        let forced = Self.host("p", "10.1.0.5", stream: Self.parent(), netdata: Self.tlsWeb)
        #expect(try Self.applyingTheHint([forced, child], section: "stream").isEmpty)
        // FL601: dbengine on the child.
        let ram = Self.host("c", "10.1.0.11", stream: Self.child("10.1.0.5:19999"), netdata: "[db]\n    mode = ram\n")
        #expect(try Self.applyingTheHint([p, ram], section: "db").isEmpty)
    }
}
