import Foundation
import TestSupport
import Testing

@Suite struct LintCommandTests {
    let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key (SC310)
    static let stockV1 = StockFiles.v1.path

    @Test func testCleanFileExitsZero() throws {
        let result = try CLI.run(["lint", Self.stockV1])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("no findings"))
        #expect(result.stderr.contains("Netdata 1.37.1"))
    }

    @Test func testGccFormatIsExactlyOneFindingPerLine() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[\(key)]\n    type = api\n    enabled = yes # note\n")
        let result = try CLI.run(["lint", "--format", "gcc", "--target", "1.37", file])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("\(file):3:19: error: [SC108] Netdata has no inline comments"))
    }

    @Test func testWarningsPassUnlessStrict() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabeld = no\n")
        #expect(try CLI.run(["lint", file]).status == 0)
        #expect(try CLI.run(["lint", "--strict", file]).status == 1)
    }

    @Test func testJSONOutputParsesAndMasksKeys() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = tcp://10.0.0.1\n    api key = \(key)\n")
        let result = try CLI.run(["lint", "--format", "json", "--target", "2", file])
        #expect(result.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        let diagnostics = try #require(json?.first?["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.contains { $0["code"] as? String == "SC501" && $0["line"] as? Int == 3 && $0["column"] as? Int == 19 })
        #expect(!result.stdout.contains(key))
    }

    @Test func testHumanOutputMasksKeysUnlessAskedAndShowsCaret() throws {
        let key = "abcdef01-2222-3333-4444-555555555555"
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.1\n    api key = \(key.uppercased())\n")
        let masked = try CLI.run(["lint", "--target", "2", file])
        #expect(masked.stdout.contains("SC303"))
        #expect(!masked.stdout.contains(key.uppercased()) && !masked.stdout.contains(key))
        #expect(masked.stdout.contains("ABCDEF01…"))
        #expect(masked.stdout.contains("^~~~"))
        let shown = try CLI.run(["lint", "--target", "2", "--show-secrets", file])
        #expect(shown.stdout.contains(key.uppercased()))
    }

    @Test func testStandardInput() throws {
        let result = try CLI.run(["lint", "--format", "gcc", "--stdin-filename", "piped.conf", "-"], stdin: Data("[stream]\n    enabled = 1\n".utf8))
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("piped.conf:2:15: error: [SC401]"))
    }

    @Test func testMissingFileExits66() throws {
        let result = try CLI.run(["lint", "/nonexistent/stream.conf"])
        #expect(result.status == 66)
        #expect(result.stderr.contains("no such file"))
    }

    @Test func testDirectoryExits66() throws {
        let dir = try TempDir()
        let result = try CLI.run(["lint", dir.url.path])
        #expect(result.status == 66)
        #expect(result.stderr.contains("is a directory"))
    }

    @Test func testUnreadableFileExits66() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.url.path)
        let file = try dir.file("stream.conf", "[stream]\n", mode: 0o600)
        let result = try CLI.run(["lint", file], asUser: "65534")
        #expect(result.status == 66)
        #expect(result.stderr.contains("permission denied"))
    }

    @Test func testEmptyAndBinaryFilesDoNotCrash() throws {
        let dir = try TempDir()
        let empty = try dir.file("empty.conf", "")
        #expect(try CLI.run(["lint", empty]).status == 0)
        var rng = SystemRandomNumberGenerator()
        let garbage = Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let binary = dir.path("garbage.conf")
        try garbage.write(to: URL(fileURLWithPath: binary))
        let result = try CLI.run(["lint", "--format", "gcc", binary])
        #expect(result.status == 1 || result.status == 0)
        #expect(!result.stdout.isEmpty)
    }

    @Test func testFiftyMegabyteFileIsLinted() throws {
        let dir = try TempDir()
        var text = "[stream]\n    enabled = no\n"
        let section = "[aaaaaaaa-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n    allow from = 10.*\n\n"
        text.reserveCapacity(50_000_000)
        while text.utf8.count < 50_000_000 { text += section }
        let file = try dir.file("big.conf", text)
        let result = try CLI.run(["lint", "--format", "gcc", file])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func testUsageErrorsExit64() throws {
        #expect(try CLI.run(["lint", "--target", "3"]).status == 64)
        #expect(try CLI.run(["lint", "--explain", "SC999"]).status == 64)
        #expect(try CLI.run(["no-such-command"]).status == 64)
    }

    @Test func testExplainPrintsTheRule() throws {
        let result = try CLI.run(["lint", "--explain", "sc108"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("SC108 (error): inline comment"))
    }

    @Test func testNoFileLintsTheFileNetdataReads() throws {
        let dir = try TempDir()
        _ = try dir.file("stock/stream.conf", "[stream]\n    enabled = 1\n")
        let env = ["NETDATA_USER_CONFIG_DIR": dir.path("user"), "NETDATA_STOCK_CONFIG_DIR": dir.path("stock")]
        let stock = try CLI.run(["lint", "--format", "gcc"], environment: env)
        #expect(stock.stderr.contains("\(dir.path("stock"))/stream.conf"))
        #expect(stock.stdout.contains("SC401"))
        _ = try dir.file("user/stream.conf", "[stream]\n    enabled = no\n")
        let user = try CLI.run(["lint", "--format", "gcc"], environment: env)
        #expect(user.status == 0)
        #expect(user.stderr.contains("\(dir.path("user"))/stream.conf (the user file"))
    }

    @Test func testWorldReadableFileWithKeysGetsAPermissionNote() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[\(key)]\n    type = api\n    enabled = yes\n", mode: 0o644)
        #expect(try CLI.run(["lint", "--format", "gcc", file]).stdout.contains("[SC801]"))
        let safe = try dir.file("safe.conf", "[\(key)]\n    type = api\n    enabled = yes\n", mode: 0o640)
        #expect(try CLI.run(["lint", "--format", "gcc", safe]).stdout.isEmpty)
    }

    @Test func testLintRelayNamesWhatTheRelayDoesNotHonour() throws {
        let dir = try TempDir()
        let text = "[stream]\n    enabled = no\n    timeout seconds = 60\n\n[\(key)]\n    type = api\n    enabled = yes\n"
            + "    default proxy send charts matching = system.*\n    default postpone alarms on connect seconds = 60\n"
        let file = try dir.file("relay.conf", text, mode: 0o640)
        let relay = try CLI.run(["lint", "--relay", "--target", "1.37", "--format", "gcc", file])
        #expect(relay.status == 0, "warnings only: \(relay.stdout)")
        let lines = relay.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains(": warning: [SC901] the relay does not honour") }, "\(relay.stdout)")
        #expect(lines.first?.hasPrefix("\(file):3:5:") == true && lines.last?.hasPrefix("\(file):9:5:") == true, "\(relay.stdout)")
        #expect(try CLI.run(["lint", "--relay", "--strict", "--target", "1.37", file]).status == 1)
        // A Netdata parent's file: nothing to say.
        #expect(try CLI.run(["lint", "--target", "1.37", "--format", "gcc", file]).stdout.isEmpty)
        #expect(try CLI.run(["lint", "--relay", "--kind", "netdata", file]).status == 64)
        #expect(try CLI.run(["lint", "--explain", "SC901"]).stdout.contains("option the relay does not honour"))
    }

    @Test func testKeygenPrintsDistinctLowercaseUUIDs() throws {
        let result = try CLI.run(["keygen", "--count", "5"])
        let keys = result.stdout.split(separator: "\n").map(String.init)
        #expect(keys.count == 5 && Set(keys).count == 5)
        #expect(keys.allSatisfy { $0.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil })
        #expect(try CLI.run(["keygen", "--count", "0"]).status == 64)
    }
}
