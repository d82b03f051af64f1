import Foundation
import StreamConfig
import Testing
import TestSupport
@testable import StreamConfigSystem

struct Denied: Error, CustomStringConvertible {
    var description: String { "hosts/a/stream.conf: permission denied" }
}

/// The fleet file reader and the fixture fleet under fixtures/fleet.
@Suite struct FleetLoaderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = root.appendingPathComponent("fixtures/fleet")

    /// Loads `yaml` (as `fleet.yaml`) with the files in `files` (path -> contents).
    static func load(_ yaml: String, files: [String: String] = [:], path: String = "fleet.yaml") -> Fleet {
        FleetLoader.load(fleetPath: path, bytes: Array(yaml.utf8)) { files[$0].map { Array($0.utf8) } }
    }

    static let child = "[stream]\n    enabled = yes\n    destination = 10.1.0.5:19999\n    api key = 4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b01\n"

    static func codes(_ fleet: Fleet) -> [String] { fleet.loadFindings.map { "\($0.code) \($0.line):\($0.column)" } }

    @Test func testTheMinimalFormOfTheIssueWorksAsWritten() {
        let yaml = """
        hosts:
          web1:
            address: 10.1.0.11        # the address parents see this host connect from
            config: hosts/web1        # its current files: stream.conf, and netdata.conf if present
        """
        let fleet = Self.load(yaml, files: ["hosts/web1/stream.conf": Self.child, "hosts/web1/netdata.conf": "[global]\n    hostname = w\n"])
        #expect(fleet.loadFindings.isEmpty)
        #expect(fleet.hosts.count == 1)
        let host = fleet.hosts[0]
        #expect(host.name == "web1" && host.address == "10.1.0.11" && host.streamConf?.path == "hosts/web1/stream.conf")
        #expect(host.netdataConf?.path == "hosts/web1/netdata.conf" && host.hostname == "w" && host.machineGUID == nil)
    }

    @Test func testPathsAreRelativeToTheFleetFile() {
        let fleet = Self.load("hosts:\n  a: {address: 10.0.0.1, config: ./hosts/a/}\n  b: {address: 10.0.0.2, config: /abs/b}\n",
                              files: ["site/hosts/a/stream.conf": Self.child, "/abs/b/stream.conf": Self.child], path: "site/fleet.yaml")
        #expect(fleet.loadFindings.isEmpty)
        #expect(fleet.hosts.map { $0.streamConf?.path } == ["site/hosts/a/stream.conf", "/abs/b/stream.conf"])
    }

    @Test func testGroupsVarsAndClusters() {
        let yaml = """
        vars:
          netdata: 2
        hosts:
          p1: {address: 10.0.0.5}
          p2: {address: 10.0.0.6, netdata: 1.37}
          web1: {address: 10.0.0.11, tenant: own}
        groups:
          parents:
            hosts: [p1, p2]
            cluster: true
          tenant-a:
            vars: {tenant: a}
            hosts:
              web1:
              web2: {address: 10.0.0.12}
        """
        let files = Dictionary(uniqueKeysWithValues: ["p1", "p2", "web1", "web2"].map { ("hosts/\($0)/stream.conf", Self.child) })
        let fleet = Self.load(yaml, files: files)
        #expect(fleet.loadFindings.isEmpty, "\(fleet.loadFindings)")
        #expect(fleet.hosts.map(\.name) == ["p1", "p2", "web1", "web2"])
        #expect(fleet.hosts.map(\.target) == [.v2, .v1_37, .v2, .v2])
        // A host's own variable wins over its group's.
        #expect(fleet.hosts.map(\.tenant) == [nil, nil, "own", "a"])
        #expect(fleet.hosts[3].groups == ["tenant-a"])
        #expect(fleet.clusters == [FleetCluster(name: "parents", hosts: ["p1", "p2"])])
    }

    @Test func testAnAnsibleInventoryIsReadToo() {
        let yaml = """
        all:
          vars:
            ansible_user: deploy
            netdata: 2
          children:
            parents:
              cluster: true
              hosts:
                p1: {ansible_host: 10.0.0.5}
            web:
              hosts:
                web1: {ansible_host: 10.0.0.11, machine_guid: 6F1E2D3C-4B5A-4978-8A6B-5C4D3E2F1A01, playbook_var: 1}
        """
        let fleet = Self.load(yaml, files: ["hosts/p1/stream.conf": Self.child, "hosts/web1/stream.conf": Self.child])
        #expect(fleet.loadFindings.isEmpty, "\(fleet.loadFindings)")
        #expect(fleet.hosts.map(\.address) == ["10.0.0.5", "10.0.0.11"])
        #expect(fleet.hosts[1].machineGUID == "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a01")
        #expect(fleet.clusters.map(\.hosts) == [["p1"]])
    }

    @Test func testRenderRolesAreRead() {
        let yaml = """
        hosts:
          g: {address: 10.0.0.1}
          solo: {address: 10.0.0.9, streams_to: g}
        groups:
          web:
            vars: {streams_to: [p1, g]}
            hosts: {w1: {address: 10.0.0.11}, w2: {address: 10.0.0.12, key_scope: host}}
        """
        let fleet = Self.load(yaml)
        #expect(fleet.loadFindings.allSatisfy { $0.code == "FL003" }, "\(fleet.loadFindings)")
        #expect(fleet.hosts.map(\.streamsTo) == [[], ["g"], ["p1", "g"], ["p1", "g"]])
        #expect(fleet.hosts.map(\.keyOwner) == ["", "solo", "web", "w2"])
        #expect(Self.codes(Self.load("hosts:\n  a: {address: 10.0.0.1, streams_to: {x: 1}}\n", files: ["hosts/a/stream.conf": Self.child])) == ["FL001 2:38"])
    }

    @Test func testFleetFileProblemsAreFindingsAtTheirLine() {
        #expect(Self.codes(Self.load("hosts:\n  a: {address: [1, 2\n")) .first?.hasPrefix("FL001 ") == true)
        #expect(Self.codes(Self.load("hosts:\n  a: {config: x}\n", files: ["x/stream.conf": Self.child])) == ["FL001 2:3"])
        let misspelt = Self.load("hosts:\n  a: {address: 10.0.0.1, adress: 10.0.0.2}\n", files: ["hosts/a/stream.conf": Self.child])
        #expect(Self.codes(misspelt) == ["FL002 2:26"])
        #expect(misspelt.loadFindings.first?.message.contains("did you mean `address`") == true)
        #expect(Self.codes(Self.load("hosts:\n  a: {address: 10.0.0.1, netdata: 3}\n", files: ["hosts/a/stream.conf": Self.child])) == ["FL001 2:35"])
        #expect(Self.codes(Self.load("hosts:\n  a: {address: 10.0.0.1, machine_guid: nope}\n", files: ["hosts/a/stream.conf": Self.child])) == ["FL001 2:40"])
        #expect(Self.codes(Self.load("- a\n- b\n")) == ["FL001 1:1"])
    }

    @Test func testMissingHostFilesAreFindingsAtTheHostsConfigLine() {
        let fleet = Self.load("hosts:\n  a:\n    address: 10.0.0.1\n    config: gone\n")
        #expect(Self.codes(fleet) == ["FL003 4:13"])
        let unreadable = FleetLoader.load(fleetPath: "fleet.yaml", bytes: Array("hosts:\n  a: {address: 10.0.0.1}\n".utf8)) { path in
            if path.hasSuffix("stream.conf") { throw Denied() }
            return nil
        }
        #expect(unreadable.loadFindings.map(\.code) == ["FL003"] && unreadable.loadFindings[0].message.contains("permission denied"))
    }

    @Test func testTheMachineGUIDFileIsRead() {
        let fleet = Self.load("hosts:\n  a: {address: 10.0.0.1}\n",
                              files: ["hosts/a/stream.conf": Self.child, "hosts/a/netdata.public.unique.id": "6F1E2D3C-4B5A-4978-8A6B-5C4D3E2F1A01"])
        #expect(fleet.hosts[0].machineGUID == "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a01" && fleet.hosts[0].guidFile != nil)
    }

    // MARK: The fixture fleet

    /// `fixtures/fleet/fleet.expected`: one `FILE CODE LINE:COLUMN` line per finding, paths
    /// relative to the fleet file, no more, no less.
    @Test func testTheFixtureFleetProducesExactlyItsExpectedFindings() throws {
        let directory = Self.fixture.path
        let read: FleetLoader.ReadFile = { path in
            let full = directory + "/" + path
            guard FileManager.default.fileExists(atPath: full) else { return nil }
            return Array(try Data(contentsOf: URL(fileURLWithPath: full)))
        }
        var fleet = FleetLoader.load(fleetPath: "fleet.yaml", bytes: Array(try Data(contentsOf: Self.fixture.appendingPathComponent("fleet.yaml"))), readFile: read)
        // The collected certificates (FL207), as `fleet check` reads them.
        FleetTLSFiles.attach(&fleet, read: read)
        let report = FleetChecker.check(fleet)
        let actual = report.files.flatMap { $0.report.diagnostics }.map { "\($0.file) \($0.code) \($0.line):\($0.column)" }.sorted()
        let expected = try String(contentsOf: Self.fixture.appendingPathComponent("fleet.expected"), encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }.sorted()
        #expect(actual == expected, "\(report.files.flatMap { $0.report.diagnostics }.map { "\($0.file) \($0.code) \($0.line):\($0.column) \($0.message)" }.joined(separator: "\n"))")
        let covered = Set(actual.map { $0.split(separator: " ")[1] })
        let missing = FleetRules.all.map(\.code).filter { !covered.contains(Substring($0)) }
        #expect(missing.isEmpty, "fleet rules without a finding in the fixture: \(missing)")
    }

    // MARK: The schema

    static func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("docs/fleet.schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func testTheSchemaIsJSONAndNamesEveryKeyTheLoaderReads() throws {
        let schema = try Self.schema()
        let defs = try #require(schema["$defs"] as? [String: Any])
        func properties(_ name: String) throws -> Set<String> {
            Set(try #require((defs[name] as? [String: Any])?["properties"] as? [String: Any]).keys)
        }
        #expect(try properties("vars") == FleetFileParser.hostKeys.union(["ansible_host"]))
        #expect(try properties("group") == FleetFileParser.groupKeys)
        let shapes = try #require(schema["oneOf"] as? [[String: Any]])
        let top = try #require(shapes.first?["properties"] as? [String: Any])
        #expect(Set(top.keys) == FleetFileParser.topKeys)
    }

    /// With python3's jsonschema and yaml modules (when installed): the example fleets validate,
    /// and a misspelt key does not.
    @Test func testTheFixtureValidatesAgainstTheSchemaWhenPythonCan() throws {
        let check = try Spawn.run("/usr/bin/env", ["python3", "-c", "import jsonschema, yaml"], timeout: .seconds(60))
        guard check.status == 0 else { return }
        let script = """
        import json, sys, yaml, jsonschema
        schema = json.load(open(sys.argv[1]))
        fleet = yaml.safe_load(open(sys.argv[2]))
        del fleet["hosts"]["web24"]["machine-guid"]
        jsonschema.validate(fleet, schema)
        fleet["hosts"]["web1"]["adress"] = "x"
        try:
            jsonschema.validate(fleet, schema)
            sys.exit("a misspelt key validated")
        except jsonschema.ValidationError:
            pass
        """
        let result = try Spawn.run("/usr/bin/env", ["python3", "-c", script, Self.root.appendingPathComponent("docs/fleet.schema.json").path,
                                                     Self.fixture.appendingPathComponent("fleet.yaml").path], timeout: .seconds(60))
        #expect(result.status == 0, "\(String(decoding: result.stdout + result.stderr, as: UTF8.self))")
    }
}
