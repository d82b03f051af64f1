import Foundation
import TestSupport
import Testing

@Suite struct RewriteCommandTests {
    static let stockV2 = StockFiles.newest
    static let stockV1 = StockFiles.v1
    let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key (SC310)

    func stockCopy(_ dir: TempDir, _ stock: URL = stockV2) throws -> String {
        try dir.file("stream.conf", try String(contentsOf: stock, encoding: .utf8), mode: 0o640)
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func testAddKeyPrintsTheKeyAndOnlyAppendsTheSection() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let before = try lines(file)
        let result = try CLI.run(["parent", "add-key", "--file", file, "--allow-from", "10.* localhost"])
        #expect(result.status == 0, "\(result.stderr)")
        let key = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.range(of: "^[0-9a-f-]{36}$", options: .regularExpression) != nil)
        #expect(result.stderr.contains("child set --destination PARENT_ADDRESS:19999 --api-key -"))
        #expect(!result.stderr.contains(key), "the key is printed once, on standard output: \(result.stderr)")
        let after = try lines(file)
        // Every stock line is kept; the new section is appended after one blank line.
        #expect(Array(after.prefix(before.count - 1)) == Array(before.prefix(before.count - 1)))
        #expect(Array(after.suffix(6)) == ["", "[\(key)]", "    type = api", "    enabled = yes", "    allow from = 10.* localhost", ""])
        #expect(try CLI.run(["lint", "--format", "gcc", file]).status == 0)
    }

    @Test func testRunningACommandTwiceChangesNothingTheSecondTime() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let args = ["child", "set", "--file", file, "--destination", "10.0.0.1:19999", "--api-key", key]
        #expect(try CLI.run(args).status == 0)
        let once = try Data(contentsOf: URL(fileURLWithPath: file))
        let second = try CLI.run(args)
        #expect(second.status == 0)
        #expect(second.stderr.contains("unchanged"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == once)
    }

    @Test func testSetUncommentsTheStockLineInPlace() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let before = try lines(file)
        #expect(try CLI.run(["set", "--file", file, "stream", "enable compression", "no"]).status == 0)
        let after = try lines(file)
        let index = try #require(before.firstIndex(of: "    #enable compression = yes"))
        #expect(after[index] == "    enable compression = no")
        var expected = before
        expected[index] = "    enable compression = no"
        #expect(after == expected)
    }

    @Test func testGetReportsProvenance() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.1\n    api key = \(key)\n    timeout seconds = 60\n")
        let fromFile = try CLI.run(["get", "--file", file, "--target", "2", "stream", "timeout"])
        #expect(fromFile.stdout == "60\n")
        #expect(fromFile.stderr.contains("\(file):5 ([stream] timeout seconds)"))
        let builtIn = try CLI.run(["get", "--file", file, "--target", "2", "stream", "reconnect delay"])
        #expect(builtIn.stdout == "15s\n")
        #expect(builtIn.stderr.contains("built-in default for Netdata 2.x"))
        let masked = try CLI.run(["get", "--file", file, "stream", "api key"])
        #expect(masked.stdout == "51f0c3a2…\n")
        #expect(try CLI.run(["get", "--file", file, "--show-secrets", "stream", "api key"]).stdout == "\(key)\n")
    }

    @Test func testUnknownOptionIsRefusedWithDidYouMean() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let result = try CLI.run(["set", "--file", file, "stream", "enable compresion", "no"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("did you mean `enable compression`?"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
    }

    @Test func testChangeThatBreaksTheFileIsRefusedAndNothingIsWritten() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let result = try CLI.run(["set", "--file", file, "stream", "enabled", "1"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[SC401]"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        #expect(CLI.listingWithoutLockFiles(dir.url.path) == ["stream.conf"])
    }

    @Test func testBadKeysAreRefused() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        #expect(try CLI.run(["parent", "add-key", "--file", file, "--key", "not-a-uuid"]).status == 64)
        #expect(try CLI.run(["parent", "add-key", "--file", file, "--key", key.uppercased().replacingOccurrences(of: "1", with: "A")]).status == 64)
        #expect(try CLI.run(["parent", "add-key", "--file", file, "--key", key]).status == 0)
        // The same key again: unchanged, exit 0, the key printed again (scripts can repeat it).
        let again = try CLI.run(["parent", "add-key", "--file", file, "--key", key])
        #expect(again.status == 0 && again.stderr.contains("unchanged"), "\(again.stderr)")
        #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == key && !again.stderr.contains(key))
        // Other settings: a conflict that says what differs, key masked.
        let conflict = try CLI.run(["parent", "add-key", "--file", file, "--key", key, "--allow-from", "10.*"])
        #expect(conflict.status == 1 && conflict.stderr.contains("already exists with other settings"), "\(conflict.stderr)")
        #expect(conflict.stderr.contains("`allow from` is not set there, `10.*` asked") && !conflict.stderr.contains(key))
        // Removing twice: the second is unchanged.
        #expect(try CLI.run(["parent", "remove-key", "--file", file, key]).status == 0)
        let removedAgain = try CLI.run(["parent", "remove-key", "--file", file, key])
        #expect(removedAgain.status == 0 && removedAgain.stderr.contains("unchanged"), "\(removedAgain.stderr)")
        #expect(try CLI.run(["parent", "add-machine", "--file", file, key]).status == 0)
        #expect(try CLI.run(["parent", "add-machine", "--file", file, key]).stderr.contains("unchanged"))
        #expect(try CLI.run(["parent", "disable-key", "--file", file, "aaaaaaaa-2222-3333-4444-555555555555"]).status == 1)
    }

    @Test func testDisableListAndRemoveKeys() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(try CLI.run(["parent", "add-key", "--file", file, "--key", key]).status == 0)
        #expect(try CLI.run(["parent", "disable-key", "--file", file, key]).status == 0)
        let list = try CLI.run(["parent", "list-keys", "--file", file])
        #expect(list.stdout.contains("51f0c3a2…") && list.stdout.contains("disabled"))
        #expect(!list.stdout.contains(key))
        #expect(try CLI.run(["parent", "list-keys", "--file", file, "--show-secrets"]).stdout.contains(key))
        let json = try CLI.run(["parent", "list-keys", "--file", file, "--format", "json"])
        let items = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let mine = try #require(items?.first { $0["name"] as? String == "51f0c3a2…" }, "\(json.stdout)")
        #expect(mine["role"] as? String == "api" && mine["enabled"] as? Bool == false && mine["allow_from"] as? String == "*")
        #expect(items?.contains { $0["name"] as? String == "API_KEY" } == true)
        #expect(!json.stdout.contains(key))
        #expect(try CLI.run(["parent", "remove-key", "--file", file, key]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original)
    }

    @Test func testAddMachine() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir, Self.stockV1)
        let guid = "aaaaaaaa-2222-3333-4444-555555555555"
        #expect(try CLI.run(["parent", "add-machine", "--file", file, guid, "--allow-from", "10.1.2.3", "--set", "memory mode = ram"]).status == 0)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasSuffix("\n[\(guid)]\n    type = machine\n    enabled = yes\n    allow from = 10.1.2.3\n    memory mode = ram\n"))
    }

    @Test func testDryRunPrintsADiffAndWritesNothing() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let result = try CLI.run(["child", "set", "--file", file, "--destination", "10.0.0.1", "--api-key", key, "--dry-run"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("--- a/stream.conf\n+++ b/stream.conf\n@@ "))
        #expect(result.stdout.contains("-    enabled = no\n+    enabled = yes\n"))
        #expect(result.stdout.contains("+    api key = 51f0c3a2…\n"))
        #expect(result.stderr.contains("keys in this diff are shortened: it is not a patch to apply"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)
        // With --show-secrets the diff is a patch, and says nothing more.
        let full = try CLI.run(["child", "set", "--file", file, "--destination", "10.0.0.1", "--api-key", key, "--dry-run", "--show-secrets"])
        #expect(full.stdout.contains("+    api key = \(key)\n") && !full.stderr.contains("shortened"), "\(full)")
    }

    @Test func testWritesKeepModeAndNewFilesAre0640() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n", mode: 0o600)
        #expect(try CLI.run(["set", "--file", file, "stream", "enabled", "no", "--force"]).status == 0)
        #expect(try CLI.run(["set", "--file", file, "stream", "default port", "19998"]).status == 0)
        #expect(try mode(file) == 0o600)
        let fresh = dir.path("new/stream.conf")
        try FileManager.default.createDirectory(atPath: dir.path("new"), withIntermediateDirectories: true)
        let missing = try CLI.run(["parent", "add-key", "--file", fresh])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("--create"))
        #expect(try CLI.run(["parent", "add-key", "--file", fresh, "--create"]).status == 0)
        #expect(try mode(fresh) == 0o640)
    }

    @Test func testDefaultFileStartsFromTheStockFile() throws {
        let dir = try TempDir()
        _ = try dir.file("stock/stream.conf", try String(contentsOf: Self.stockV2, encoding: .utf8), mode: 0o644)
        try FileManager.default.createDirectory(atPath: dir.path("user"), withIntermediateDirectories: true)
        let env = ["NETDATA_USER_CONFIG_DIR": dir.path("user"), "NETDATA_STOCK_CONFIG_DIR": dir.path("stock")]
        let result = try CLI.run(["child", "set", "--destination", "10.0.0.1", "--api-key", key], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("starting from the stock file"))
        let user = dir.path("user/stream.conf")
        #expect(try mode(user) == 0o640)
        let text = try String(contentsOfFile: user, encoding: .utf8)
        #expect(text.hasPrefix("# netdata configuration for aggregating data from remote hosts"))
        #expect(text.contains("    api key = \(key)\n"))
    }

    @Test func testReadOnlyFileIsRefused() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.url.path)
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n", mode: 0o444)
        let result = try CLI.run(["set", "--file", file, "stream", "enabled", "yes", "--force"], asUser: "65534")
        #expect(result.status == 73)
        #expect(result.stderr.contains("read-only"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "[stream]\n    enabled = no\n")
    }

    /// Kill a writer at random moments over hundreds of rewrites of a large file: the file is
    /// always one complete version, never truncated or mixed. It sleeps and waits for processes,
    /// so it runs off the cooperative pool (on a loaded machine its rounds take minutes, and
    /// blocking a pool thread that long stalled the other suites), and it stops after a minute of
    /// rounds (at least 30).
    @Test func testSIGKILLDuringRewritesNeverLeavesATruncatedFile() async throws {
        try await offThePool { try sigkillDuringRewrites() }
    }

    private func sigkillDuringRewrites() throws {
        let dir = try TempDir()
        var base = try String(contentsOf: Self.stockV2, encoding: .utf8)
        for i in 0..<2000 { base += "\n[\(String(format: "%08x", i))-2222-4333-8444-555555555555]\n    type = api\n    enabled = yes\n    allow from = 10.\(i % 250).*\n" }
        let file = try dir.file("stream.conf", base)
        let expectedPrefix = base.components(separatedBy: "\n")
        var generator = SystemRandomNumberGenerator()
        // Calibrate: kill anywhere from process start to a bit after a full run would finish,
        // so kills land before, during and after the write and the rename.
        let started = Date()
        #expect(try CLI.run(["set", "--file", file, "stream", "default port", "19999"]).status == 0)
        let window = UInt32(max(0.005, Date().timeIntervalSince(started)) * 1.3 * 1_000_000)
        var completed = 0
        var rounds = 0
        let roundsStarted = Date()
        for round in 0..<200 where round < 30 || Date().timeIntervalSince(roundsStarted) < 60 {
            rounds += 1
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["set", "--file", file, "stream", "default port", String(20000 + round)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...window, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .exit { completed += 1 }
            let now = try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\n")
            #expect(now.count == expectedPrefix.count, "round \(round): line count \(now.count)")
            let differing = zip(now, expectedPrefix).enumerated().filter { $0.element.0 != $0.element.1 }
            #expect(differing.count <= 1, "round \(round): \(differing.count) lines differ")
            for (_, pair) in differing { #expect(pair.0.hasPrefix("    default port = "), "round \(round): \(pair.0)") }
            if differing.count > 1 { break }
        }
        // The next successful write cleans up temporary files of killed writers.
        #expect(try CLI.run(["set", "--file", file, "stream", "default port", "19999"]).status == 0)
        #expect(CLI.listingWithoutLockFiles(dir.url.path) == ["stream.conf"])
        print("SIGKILL test: \(completed) of \(rounds) writers finished before the kill (window \(window) µs)")
        #expect(completed > 0 && completed < rounds, "kills must land both before and after writers finish")
    }

    /// Two writers at once: both updates land (the directory lock serialises them).
    @Test func testConcurrentWritersDoNotLoseUpdates() throws {
        let dir = try TempDir()
        let file = try stockCopy(dir)
        let keys = (0..<12).map { String(format: "%08x-2222-4333-8444-555555555555", $0) }
        DispatchQueue.concurrentPerform(iterations: keys.count) { index in
            _ = try? CLI.run(["parent", "add-key", "--file", file, "--key", keys[index]])
        }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        for key in keys { #expect(text.contains("[\(key)]"), "lost \(key)") }
    }
}
