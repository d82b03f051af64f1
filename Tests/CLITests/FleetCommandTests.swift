import Foundation
import Testing

/// `stream-config fleet check` as a user runs it.
@Suite struct FleetCommandTests {
    static let fixture = CLI.packageRoot.appendingPathComponent("fixtures/fleet/fleet.yaml").path
    static let key = "4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b01"

    @Test func testTheFixtureFleetFailsWithFindingsAtTheFilesWhereTheFixBelongs() throws {
        let result = try CLI.run(["fleet", "check", "--format", "gcc", Self.fixture])
        #expect(result.status == 1, "\(result.stderr)")
        let base = CLI.packageRoot.appendingPathComponent("fixtures/fleet").path
        #expect(result.stdout.contains("\(base)/hosts/web2/stream.conf:4:15: error: [FL102] "))
        #expect(result.stdout.contains("\(base)/hosts/parent1/stream.conf:29:18: error: [FL106] "))
        #expect(result.stdout.contains("\(base)/fleet.yaml:42:3: error: [FL001] "))
        // Keys are masked unless asked for (the disabled key is named in FL103).
        let disabled = "4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b03"
        #expect(!result.stdout.contains(disabled) && result.stdout.contains("[4b8e0c6a…] is not enabled"))
        let shown = try CLI.run(["fleet", "check", "--format", "gcc", "--show-secrets", Self.fixture])
        #expect(shown.stdout.contains("[\(disabled)] is not enabled"))
    }

    @Test func testHumanJSONAndSARIF() throws {
        let human = try CLI.run(["fleet", "check", Self.fixture])
        #expect(human.status == 1)
        #expect(human.stdout.contains("error[FL204]") && human.stdout.contains("= hint:"))
        #expect(human.stderr.contains("hosts,") && human.stderr.contains("streams between them"))
        let json = try CLI.run(["fleet", "check", "--format", "json", Self.fixture])
        let files = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let codes = files.flatMap { ($0["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String } }
        #expect(codes.contains("FL401") && codes.contains("FL601"))
        let sarif = try CLI.run(["fleet", "check", "--format", "sarif", Self.fixture])
        #expect(sarif.stdout.contains("\"ruleId\" : \"FL304\""))
    }

    @Test func testACleanFleetExitsZero() throws {
        let dir = try TempDir()
        _ = try dir.file("hosts/p/stream.conf", "[stream]\n    enabled = no\n\n[\(Self.key)]\n    type = api\n    enabled = yes\n    allow from = 10.*\n")
        _ = try dir.file("hosts/c/stream.conf", "[stream]\n    enabled = yes\n    destination = p:19999\n    api key = \(Self.key)\n")
        let fleet = try dir.file("fleet.yaml", "hosts:\n  p: {address: 10.0.0.5, config: hosts/p, netdata: 2}\n  c: {address: 10.0.0.11, config: hosts/c, netdata: 2}\n")
        let result = try CLI.run(["fleet", "check", fleet])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("2 hosts, 1 stream between them; 0 errors"))
    }

    @Test func testExitStatusForMissingInputAndUsage() throws {
        #expect(try CLI.run(["fleet", "check", "/nonexistent/fleet.yaml"]).status == 66)
        #expect(try CLI.run(["fleet", "check"]).status == 64)
        #expect(try CLI.run(["fleet", "check", "--explain", "FL999"]).status == 64)
        let explain = try CLI.run(["fleet", "check", "--explain", "fl304"])
        #expect(explain.status == 0 && explain.stdout.contains("FL304 (warning): streaming cycle"))
        let rules = try CLI.run(["fleet", "check", "--list-rules"])
        #expect(rules.stdout.contains("FL601") && !rules.stdout.contains("SC101"))
    }
}

/// `stream-config fleet render`: keys kept 0600 beside the fleet file, idempotent, `--check`.
@Suite struct FleetRenderCommandTests {
    @Test func testARenderedFleetPassesFleetCheckAndRenderingAgainChangesNothing() throws {
        let dir = try TempDir()
        let fleet = try dir.file("fleet.yaml", """
        vars: {netdata: 2}
        hosts:
          grandparent: {address: 10.1.0.1}
        groups:
          parents:
            cluster: true
            vars: {streams_to: [grandparent]}
            hosts: {parent-a: {address: 10.1.0.5}, parent-b: {address: 10.1.0.6}}
          web:
            vars: {streams_to: [parent-a, parent-b]}
            hosts: {web1: {address: 10.1.0.11}, web2: {address: 10.1.0.12}}
        """)
        let out = dir.url.appendingPathComponent("out").path
        let first = try CLI.run(["fleet", "render", fleet, "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        let keysPath = dir.url.appendingPathComponent("fleet.keys").path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: keysPath)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let keyText = try String(contentsOfFile: keysPath, encoding: .utf8)
        #expect(keyText.contains("\nparents ") && keyText.contains("\nweb "))
        // Keys are not printed.
        for line in keyText.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(!first.stdout.contains(String(line.split(separator: " ")[1])) && !first.stderr.contains(String(line.split(separator: " ")[1])))
        }
        let check = try CLI.run(["fleet", "check", out + "/fleet.yaml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(!check.stdout.contains("[FL"))

        let again = try CLI.run(["fleet", "render", fleet, "--out", out, "--check", "--format", "json"])
        let hosts = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [[String: Any]])
        #expect(hosts.count == 5 && hosts.allSatisfy { $0["changed"] as? Bool == false })
        #expect(try String(contentsOfFile: keysPath, encoding: .utf8) == keyText)

        // A hand edit is seen by --check and undone by rendering.
        let web1 = out + "/hosts/web1/stream.conf"
        let rendered = try String(contentsOfFile: web1, encoding: .utf8)
        try Data((rendered + "\n[stream]\n    destination = 10.9.9.9:19999\n").utf8).write(to: URL(fileURLWithPath: web1))
        let drift = try CLI.run(["fleet", "render", fleet, "--out", out, "--check", "--format", "json"])
        let changed = try #require(try JSONSerialization.jsonObject(with: Data(drift.stdout.utf8)) as? [[String: Any]])
        #expect(changed.filter { $0["changed"] as? Bool == true }.compactMap { $0["host"] as? String } == ["web1"])
    }
}
