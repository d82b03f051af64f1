import Foundation
import TestSupport
import Testing

/// `lint --fix` and `migrate --to 2` through the binary: what they write, what they print, the
/// write path they share with the rewrites (mode kept, masked dry-run diffs) and their exit codes.
@Suite struct FixMigrateCommandTests {
    static let key = "f191f19e-4ad4-4069-b94b-b1e4ab797ffc"
    static let fixable = "[stream]\n    enabled = yes # on\n    destination = tcp://db-01:19999/ db-02:19999:ssl\n    api key = \(key)\n"
    static let fixed = "[stream]\n    # on\n    enabled = yes\n    destination = db-01:19999 db-02:19999:SSL\n    api key = \(key)\n"

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
    func mode(_ path: String) throws -> Int { (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1 }

    @Test func testFixWritesTheFixedFileKeepsItsModeAndASecondRunChangesNothing() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", Self.fixable, mode: 0o600)
        let first = try CLI.run(["lint", "--fix", "--target", "2", file])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try read(file) == Self.fixed)
        #expect(try mode(file) == 0o600)
        #expect(first.stderr.contains("fixed [SC108]") && first.stderr.contains("fixed [SC501]") && first.stderr.contains("fixed [SC503]"), "\(first.stderr)")
        #expect(first.stderr.contains("fixed 3 findings"))
        let second = try CLI.run(["lint", "--fix", "--target", "2", file])
        #expect(second.status == 0 && second.stderr.contains("nothing to fix"), "\(second.stderr)")
        #expect(try read(file) == Self.fixed)
    }

    @Test func testFixDryRunPrintsAMaskedDiffAndWritesNothing() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", Self.fixable)
        let result = try CLI.run(["lint", "--fix", "--dry-run", "--target", "2", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("-    destination = tcp://db-01:19999/ db-02:19999:ssl"))
        #expect(result.stdout.contains("+    destination = db-01:19999 db-02:19999:SSL"))
        #expect(!result.stdout.contains(Self.key), "keys are masked in the diff")
        #expect(result.stderr.contains("not a patch to apply"))
        #expect(try read(file) == Self.fixable)
    }

    @Test func testWhatNeedsADecisionIsLeftAndStillFails() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = 1 # on\n    destination = 10.0.0.1:19999\n    api key = \(Self.key)\n")
        let result = try CLI.run(["lint", "--fix", "--format", "gcc", "--target", "2", file])
        #expect(result.status == 1, "`enabled = 1` stays an error: \(result.stdout)\(result.stderr)")
        #expect(try read(file).contains("    # on\n    enabled = 1\n"))
        #expect(result.stdout.contains("[SC401]"))
    }

    @Test func testFixUsageErrors() throws {
        #expect(try CLI.run(["lint", "--dry-run", "/dev/null"]).status == 64)
        #expect(try CLI.run(["lint", "--fix", "-"]).status == 64)
    }

    @Test func testExplainSaysWhetherARuleHasAFix() throws {
        #expect(try CLI.run(["lint", "--explain", "SC503"]).stdout.contains("Fix: lint --fix: `:ssl`"))
        #expect(try CLI.run(["lint", "--explain", "SC401"]).stdout.contains("Fix: none"))
    }

    static let old137 = """
        [stream]
            enabled = yes
            destination = 10.0.0.1:19999
            api key = \(key)
            timeout seconds = 60
        [\(key)]
            type = api
            enabled = yes
            default memory mode = save
            health enabled by default = true

        """

    @Test func testMigrateCheckDryRunJSONThenWriteThenUnchanged() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", Self.old137)
        let check = try CLI.run(["migrate", "--to", "2", "--check", file])
        #expect(check.status == 1, "\(check.stderr)")
        #expect(try read(file) == Self.old137)

        let json = try CLI.run(["migrate", "--to", "2", "--dry-run", "--format", "json", file])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(objects.first?["changed"] as? Bool == true && objects.first?["written"] as? Bool == false)
        let renames = (objects.first?["renames"] as? [[String: Any]]) ?? []
        #expect(renames.map { $0["new"] as? String } == ["timeout", "db", "health enabled"])
        #expect(renames.allSatisfy { !(($0["section"] as? String) ?? "").contains(Self.key) }, "section names are keys: masked")
        let decisions = (objects.first?["decisions"] as? [[String: Any]]) ?? []
        #expect(decisions.compactMap { $0["code"] as? String }.sorted() == ["SC409", "SC419"])
        #expect(!json.stdout.contains(Self.key))

        let write = try CLI.run(["migrate", "--to", "2", file])
        #expect(write.status == 0 && write.stderr.contains("migrated"), "\(write.stderr)")
        #expect(try read(file) == Self.old137.replacingOccurrences(of: "timeout seconds", with: "timeout")
            .replacingOccurrences(of: "default memory mode", with: "db").replacingOccurrences(of: "health enabled by default", with: "health enabled"))
        let again = try CLI.run(["migrate", "--to", "2", "--check", file])
        #expect(again.status == 0 && again.stderr.contains("unchanged"), "\(again.stderr)")
    }

    @Test func testMigrateMovesNetdataConfReplicationNamesToo() throws {
        let dir = try TempDir()
        let stream = try dir.file("stream.conf", "[stream]\n    enabled = no\n")
        let netdata = try dir.file("netdata.conf", "[db]\n    mode = dbengine\n    seconds to replicate = 86400\n    seconds per replication step = 600\n")
        let result = try CLI.run(["migrate", "--to", "2", stream, "--netdata-conf", netdata])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try read(netdata) == "[db]\n    mode = dbengine\n    replication period = 86400\n    replication step = 600\n")
        #expect(try CLI.run(["lint", "--target", "2", "--format", "gcc", netdata]).stdout.contains("NC402") == false)
        #expect(try CLI.run(["migrate", "--to", "2", "--check", stream, "--netdata-conf", netdata]).status == 0)
    }

    @Test func testMigrateAFleetMigratesEveryHostsFilesInOneReport() throws {
        let dir = try TempDir()
        let fleet = try dir.file("fleet.yaml", "hosts:\n  p1:\n    address: 10.0.0.1\n  c1:\n    address: 10.0.0.2\n")
        let parent = try dir.file("hosts/p1/stream.conf", "[\(Self.key)]\n    type = api\n    enabled = yes\n    default history = 3600\n")
        let netdata = try dir.file("hosts/p1/netdata.conf", "[db]\n    seconds to replicate = 3600\n")
        let child = try dir.file("hosts/c1/stream.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(Self.key)\n    timeout seconds = 60\n")
        #expect(try CLI.run(["migrate", "--to", "2", "--check", "--fleet", fleet]).status == 1)
        let json = try CLI.run(["migrate", "--to", "2", "--fleet", fleet, "--format", "json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.stderr)")
        #expect(objects.count == 3 && objects.allSatisfy { $0["written"] as? Bool == true }, "\(objects)")
        #expect(try read(parent).contains("    retention = 3600\n") && (try read(child)).contains("    timeout = 60\n"))
        #expect(try read(netdata) == "[db]\n    replication period = 3600\n")
        #expect(try CLI.run(["migrate", "--to", "2", "--check", "--fleet", fleet]).status == 0)
        #expect(try CLI.run(["fleet", "check", "--format", "gcc", fleet]).status == 0)
    }

    @Test func testMigrateRefusesAnotherTarget() throws {
        let result = try CLI.run(["migrate", "--to", "3", "/dev/null"])
        #expect(result.status == 64 && result.stderr.contains("--to takes 2"))
    }
}

/// `--format json` on the changing commands: one object that says whether anything changed, so
/// scripts and Ansible's `changed_when` need no text parsing; a repeat says `changed: false`.
@Suite struct RewriteJSONTests {
    func object(_ result: CLI.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
    }

    @Test func testEveryChangingCommandSaysWhetherItChangedAndARepeatDoesNot() throws {
        let dir = try TempDir()
        let file = dir.path("stream.conf")
        let key = FixMigrateCommandTests.key
        let commands: [[String]] = [
            ["parent", "add-key", "--create", "--key", key, "--allow-from", "10.*"],
            ["parent", "add-machine", "aaaaaaaa-2222-3333-4444-555555555555", "--allow-from", "10.1.2.3"],
            ["child", "set", "--destination", "10.0.0.1:19999", "--api-key", key],
            ["set", "stream", "enable compression", "no"],
            ["unset", "stream", "enable compression"],
            ["parent", "disable-key", key],
            ["parent", "remove-key", key],
        ]
        for command in commands {
            let arguments = command + ["--file", file, "--format", "json"]
            let first = try CLI.run(arguments)
            #expect(first.status == 0, "\(command): \(first.stderr)")
            let one = try object(first)
            #expect(one["changed"] as? Bool == true && one["written"] as? Bool == true, "\(command): \(one)")
            #expect((one["diff"] as? String)?.hasPrefix("--- a/") == true)
            #expect(!first.stdout.contains(key) || command[1] == "add-key", "keys masked outside add-key's own key: \(first.stdout)")
            let second = try object(try CLI.run(arguments))
            #expect(second["changed"] as? Bool == false && second["written"] as? Bool == false, "\(command) again: \(second)")
        }
        let added = try object(try CLI.run(["parent", "add-key", "--file", file, "--format", "json", "--key", key]))
        #expect(added["key"] as? String == key, "add-key gives the key it was asked for, in full")
    }
}
