import Foundation
import Testing
import TestSupport

/// `-q/--quiet` (stream-config(1), the options every command takes): one test per kind of
/// command. Quiet drops progress, "unchanged"/"written", summaries and notes; standard output,
/// errors, findings and the exit status stay as they are.
@Suite struct QuietOptionTests {
    static let stock = StockFiles.v1
    static let key = "0b7e2c0a-5c1f-4f4e-9d52-2f1f2b7d8e11"

    /// A copy of Netdata 1.37.1's stock stream.conf.
    func stockCopy(_ dir: TempDir, _ name: String = "stream.conf") throws -> String {
        try dir.file(name, try String(contentsOf: Self.stock, encoding: .utf8))
    }

    /// lint and fleet check (report commands): the findings stay on stdout, the summary goes.
    @Test func testReportCommands() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = 1\n")
        let loud = try CLI.run(["lint", file])
        let quiet = try CLI.run(["lint", "-q", file])
        #expect(loud.status == 1 && quiet.status == 1)
        #expect(quiet.stdout == loud.stdout && quiet.stdout.contains("SC401"), "\(quiet.stdout)")
        #expect(loud.stderr.contains("error") && quiet.stderr.isEmpty, "\(quiet.stderr)")
        // The file Netdata reads, found by itself: "checking ..." is progress.
        let found = try CLI.run(["lint", "--quiet"], environment: ["NETDATA_USER_CONFIG_DIR": dir.url.path])
        let foundLoud = try CLI.run(["lint"], environment: ["NETDATA_USER_CONFIG_DIR": dir.url.path])
        #expect(foundLoud.stderr.contains("checking") && !found.stderr.contains("checking") && found.stdout == foundLoud.stdout)

        let fleet = CLI.packageRoot.appendingPathComponent("fixtures/fleet/fleet.yaml").path
        let fleetLoud = try CLI.run(["fleet", "check", fleet]), fleetQuiet = try CLI.run(["fleet", "check", "-q", fleet])
        #expect(fleetQuiet.status == fleetLoud.status && fleetQuiet.stdout == fleetLoud.stdout && !fleetQuiet.stdout.isEmpty)
        #expect(fleetLoud.stderr.contains("hosts,") && fleetQuiet.stderr.isEmpty, "\(fleetQuiet.stderr)")
    }

    /// Commands that change stream.conf: nothing on stderr when it works, the key and JSON on
    /// stdout, errors whatever happens.
    @Test func testChangingCommands() throws {
        let dir = try TempDir()
        let loudFile = try stockCopy(dir, "loud.conf"), quietFile = try stockCopy(dir, "quiet.conf")
        let loud = try CLI.run(["set", "stream", "enable compression", "no", "--file", loudFile])
        let quiet = try CLI.run(["set", "stream", "enable compression", "no", "--file", quietFile, "-q"])
        #expect(loud.status == 0 && loud.stderr.contains("restart Netdata"), "\(loud.stderr)")
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet)")
        #expect(try String(contentsOfFile: quietFile, encoding: .utf8) == String(contentsOfFile: loudFile, encoding: .utf8))
        let again = try CLI.run(["set", "stream", "enable compression", "no", "--file", quietFile, "--quiet"])
        #expect(again.status == 0 && again.stderr.isEmpty, "unchanged is not said: \(again.stderr)")
        #expect(try CLI.run(["set", "stream", "enable compression", "no", "--file", quietFile]).stderr.contains("unchanged"))

        // Errors are never quiet.
        let typo = try CLI.run(["set", "stream", "enable compresion", "no", "--file", quietFile, "-q"])
        #expect(typo.status == 64 && typo.stderr.contains("enable compression"), "\(typo)")

        // The data: add-key's key, a dry run's diff, JSON.
        let added = try CLI.run(["parent", "add-key", "--key", Self.key, "--file", quietFile, "-q"])
        #expect(added.status == 0 && added.stdout == Self.key + "\n" && added.stderr.isEmpty, "\(added)")
        let diff = try CLI.run(["set", "stream", "buffer size bytes", "2097152", "--file", quietFile, "--dry-run", "-q"])
        #expect(diff.status == 0 && diff.stdout.contains("+") && diff.stdout.contains("buffer size bytes") && diff.stderr.isEmpty, "\(diff)")
        let json = try CLI.run(["child", "set", "--destination", "10.1.0.5:19999", "--api-key", Self.key, "--file", quietFile,
                                "--format", "json", "-q"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(json.status == 0 && object?["changed"] as? Bool == true && json.stderr.isEmpty, "\(json)")
    }

    /// get: the value stays, its source goes; keygen: the keys stay.
    @Test func testReadingCommands() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let loud = try CLI.run(["get", "stream", "enabled", "--file", file])
        let quiet = try CLI.run(["get", "stream", "enabled", "--file", file, "-q"])
        #expect(quiet.status == 0 && quiet.stdout == loud.stdout && quiet.stdout == "no\n", "\(quiet)")
        #expect(!loud.stderr.isEmpty && quiet.stderr.isEmpty, "\(quiet.stderr)")
        let keys = try CLI.run(["keygen", "--count", "2", "-q"])
        #expect(keys.status == 0 && keys.stdout.split(separator: "\n").count == 2 && keys.stderr.isEmpty)
        let listed = try CLI.run(["parent", "list-keys", "--file", file, "-q"])
        #expect(listed.status == 0 && listed.stderr.isEmpty, "no sections is a note: \(listed.stderr)")
    }

    /// edit: installed without a word (no summary, no diff); a refusal is still said.
    @Test func testEdit() throws {
        let dir = try TempDir()
        let user = dir.path("etc"), stock = dir.path("stock")
        for path in [user, stock] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: Self.stock.path, toPath: "\(stock)/stream.conf")
        // Run by sh, not executed: a descriptor leaked into a process spawned meanwhile cannot make it "text file busy".
        let append = try "/bin/sh " + dir.file("append.sh", "#!/bin/sh\nprintf '[\(Self.key)]\\n    type = api\\n    enabled = yes\\n' >> \"$1\"\n", mode: 0o755)
        let broken = try "/bin/sh " + dir.file("broken.sh", "#!/bin/sh\nprintf '[stream]\\n    enabled = 1\\n' >> \"$1\"\n", mode: 0o755)
        let environment = ["NETDATA_USER_CONFIG_DIR": user, "NETDATA_STOCK_CONFIG_DIR": stock, "VISUAL": ""]
        let installed = try CLI.run(["edit", "-q", "--editor", append], environment: environment)
        // Findings (warnings) would still be shown; the progress, the summary and the diff are not.
        #expect(installed.status == 0 && installed.stdout.isEmpty, "\(installed)")
        #expect(!installed.stderr.contains("installed") && !installed.stderr.contains("restart") && !installed.stderr.contains("added"), "\(installed.stderr)")
        #expect(try String(contentsOfFile: "\(user)/stream.conf", encoding: .utf8).contains(Self.key))
        let refused = try CLI.run(["edit", "-q", "--editor", broken], environment: environment)
        #expect(refused.status == 1 && refused.stderr.contains("refused") && refused.stderr.contains("SC401"), "\(refused)")
        let listing = try CLI.run(["edit", "--list", "-q"], environment: environment)
        #expect(listing.stdout == "stream.conf\n" && listing.stderr.isEmpty, "\(listing)")
    }

    /// tls init: no "wrote ..." lines; the fingerprint and the children's instructions stay.
    @Test func testTLS() throws {
        let dir = try TempDir()
        let quiet = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "parent.example", "-q"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty && quiet.stdout.contains("SHA-256"), "\(quiet)")
        let shown = try CLI.run(["tls", "show", dir.path("ssl/stream.crt"), "-q"])
        #expect(shown.status == 0 && shown.stdout.contains("parent.example"), "\(shown)")
    }

    /// migrate: the per-file progress goes, the diff of a dry run stays.
    @Test func testMigrate() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[\(Self.key)]\n    type = api\n    enabled = yes\n    default memory mode = ram\n")
        let loud = try CLI.run(["migrate", "--to", "2", "--dry-run", file])
        let quiet = try CLI.run(["migrate", "--to", "2", "--dry-run", file, "-q"])
        #expect(quiet.status == 0 && quiet.stdout == loud.stdout && quiet.stdout.contains("+    db = ram"), "\(quiet)")
        // What stays on stderr is the caveat about the diff on stdout (keys shortened: no patch).
        #expect(loud.stderr.contains("would be migrated") && !quiet.stderr.contains("would be migrated") && !quiet.stderr.contains("->"), "\(quiet.stderr)")
        #expect(quiet.stderr.split(separator: "\n").map(String.init) == ["stream-config: keys in this diff are shortened: it is not a patch to apply (--show-secrets prints them)"])
    }

    /// doctor: its verdicts are its output; relay: a configuration it refuses is still an error.
    @Test func testDoctorAndRelay() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 127.0.0.1:1\n    api key = \(Self.key)\n")
        let arguments = ["doctor", "--config", file, "--machine-guid", "3f1d2c4b-5a69-4788-9a0b-1c2d3e4f5a6b", "--hostname", "quiet-test"]
        let loud = try CLI.run(arguments), quiet = try CLI.run(arguments + ["-q"])
        #expect(quiet.status == 1 && loud.status == 1)
        #expect(quiet.stdout == loud.stdout && quiet.stdout.contains("FAIL"), "\(quiet)")
        let relayConf = try dir.file("relay.conf", "[stream]\n    enabled = 1\n")
        let relay = try CLI.run(["relay", "--config", relayConf, "--listen", "127.0.0.1:0", "-q"], timeout: .seconds(30))
        #expect(relay.status == 1 && relay.stderr.contains("SC401"), "\(relay)")
    }
}
