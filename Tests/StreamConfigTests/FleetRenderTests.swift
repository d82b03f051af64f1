import Testing
@testable import StreamConfig

/// `FleetRenderer`: roles in, streaming lines out, and the result passes `FleetChecker`.
@Suite struct FleetRenderTests {
    /// Keys made in order, so renders are reproducible.
    final class Keys {
        var next = 0
        func make() -> String {
            next += 1
            return "4b8e0c6a-1f2d-4e3b-9a5c-\(String(repeating: "0", count: 12 - String(next).count))\(next)"
        }
    }

    static func host(_ name: String, _ address: String, streamsTo: [String] = [], owner: String = "", stream: String? = nil) -> FleetHost {
        var host = FleetHost(name: name, address: address, target: .v2,
                             streamConf: stream.map { FleetFile(path: "\(name)/stream.conf", document: Document($0)) })
        host.streamsTo = streamsTo
        host.keyOwner = owner
        return host
    }

    static let fleet = Fleet(hosts: [
        host("g", "10.1.0.1"),
        host("p1", "10.1.0.5", streamsTo: ["g"], owner: "parents"),
        host("p2", "10.1.0.6", streamsTo: ["g"], owner: "parents"),
        host("web1", "10.1.0.11", streamsTo: ["p1", "p2"], owner: "web"),
        host("web2", "10.1.0.12", streamsTo: ["p1", "p2"], owner: "web",
             stream: "# kept as it is\n[stream]\n    enabled = no\n    timeout = 2m\n"),
    ], clusters: [FleetCluster(name: "parents", hosts: ["p1", "p2"])])

    /// The rendered files as a fleet again (what `fleet check DIR/fleet.yaml` reads).
    static func asFleet(_ rendered: [FleetRenderedHost], like fleet: Fleet) -> Fleet {
        Fleet(hosts: zip(fleet.hosts, rendered).map { host, files in
            var copy = host
            copy.streamConf = FleetFile(path: "\(host.name)/stream.conf", document: files.streamConf)
            copy.netdataConf = files.netdataConf.map { FleetFile(path: "\(host.name)/netdata.conf", document: $0) }
            return copy
        }, clusters: fleet.clusters)
    }

    @Test func testRolesBecomeDestinationsKeysAndAllowFrom() throws {
        var store = FleetKeyStore()
        let keys = Keys()
        let rendered = try FleetRenderer.render(Self.fleet, keys: &store, generateKey: keys.make)
        let web = store.keys["web"]!, parents = store.keys["parents"]!
        let web1 = Ini(rendered[3].streamConf)
        #expect(web1.section("stream")?.value("destination") == "10.1.0.5:19999 10.1.0.6:19999")
        #expect(web1.section("stream")?.value("api key") == web)
        let p1 = Ini(rendered[1].streamConf)
        // p1 streams to the grandparent and to the other cluster member, with the parents' key.
        #expect(p1.section("stream")?.value("destination") == "10.1.0.1:19999 10.1.0.6:19999")
        #expect(p1.section(web)?.value("allow from") == "10.1.0.11 10.1.0.12")
        #expect(p1.section(parents)?.value("allow from") == "10.1.0.6")
        #expect(Ini(rendered[0].streamConf).section(parents)?.value("allow from") == "10.1.0.5 10.1.0.6")
        #expect(Ini(rendered[0].netdataConf!).section("web")?.value("bind to") == "*:19999")
        #expect(rendered[3].netdataConf == nil)
        // The collected file keeps every other byte.
        let web2 = rendered[4].streamConf.renderedString
        #expect(web2.hasPrefix("# kept as it is\n[stream]\n    enabled = yes\n    timeout = 2m\n"))
    }

    @Test func testARenderedFleetPassesFleetCheck() throws {
        var store = FleetKeyStore()
        let rendered = try FleetRenderer.render(Self.fleet, keys: &store, generateKey: Keys().make)
        let report = FleetChecker.check(Self.asFleet(rendered, like: Self.fleet))
        let errors = report.files.flatMap { $0.report.diagnostics }.filter { $0.severity == .error || $0.code.hasPrefix("FL") }
        #expect(errors.isEmpty, "\(errors.map { "\($0.file) \($0.code) \($0.message)" })")
        #expect(report.edgeCount > 0)
    }

    @Test func testRenderingAgainChangesNothing() throws {
        var store = FleetKeyStore()
        let keys = Keys()
        let first = try FleetRenderer.render(Self.fleet, keys: &store, generateKey: keys.make)
        let text = store.text
        var again = try FleetKeyStore(text: text)
        #expect(again == (try FleetKeyStore(text: text)) && !again.changed)
        let second = try FleetRenderer.render(Self.asFleet(first, like: Self.fleet), keys: &again, generateKey: keys.make)
        #expect(!again.changed && keys.next == 2)
        #expect(zip(first, second).allSatisfy { $0.streamConf == $1.streamConf && $0.netdataConf == $1.netdataConf })
    }

    @Test func testUnknownParentsAndBadKeyStoresAreRefused() {
        var store = FleetKeyStore()
        #expect(throws: FleetRenderError.self) {
            try FleetRenderer.render(Fleet(hosts: [Self.host("c", "10.0.0.1", streamsTo: ["nowhere"])]), keys: &store)
        }
        #expect(throws: FleetRenderError.self) { try FleetKeyStore(text: "web not-a-key\n") }
        #expect(throws: FleetRenderError.self) { try FleetKeyStore(text: "web 4B8E0C6A-1F2D-4E3B-9A5C-7D6E8F9A0B1C\n") }
    }

    @Test func testADebianParentIsMadeToListenOnEveryAddress() throws {
        var parent = Self.host("p", "10.1.0.5")
        parent.netdataConf = FleetFile(path: "p/netdata.conf", document: Document("[global]\n    run as user = netdata\n    bind socket to IP = 127.0.0.1\n"))
        let fleet = Fleet(hosts: [parent, Self.host("c", "10.1.0.11", streamsTo: ["p"], owner: "web")])
        var store = FleetKeyStore()
        let rendered = try FleetRenderer.render(fleet, keys: &store, generateKey: Keys().make)
        let netdata = try #require(rendered[0].netdataConf).renderedString
        #expect(netdata == "[global]\n    run as user = netdata\n\n[web]\n    bind to = *:19999\n")
        #expect(FleetChecker.check(Self.asFleet(rendered, like: fleet)).files.flatMap { $0.report.diagnostics }.filter { $0.code.hasPrefix("FL") }.isEmpty)
    }

    @Test func testParallelMapKeepsOrder() {
        #expect(Parallel.map(10_007) { $0 * 3 } == (0..<10_007).map { $0 * 3 })
        #expect(Parallel.map(0) { $0 }.isEmpty && Parallel.map(1) { $0 + 1 } == [1])
    }
}
