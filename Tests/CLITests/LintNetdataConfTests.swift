import Foundation
import Testing

/// `stream-config lint` on netdata.conf: the kind comes from the name or the content, `--kind`
/// forces it, and the TLS files it names are checked on disk by the executable.
@Suite struct LintNetdataConfTests {
    @Test func testNetdataConfIsCheckedByItsName() throws {
        let dir = try TempDir()
        let file = try dir.file("netdata.conf", "[web]\n    bind to = *:19999^SSL=force\n")
        let result = try CLI.run(["lint", "--format", "gcc", "--target", "1.37", file])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("\(file):2:15: error: [NC101] "), "\(result.stdout)")
        // The hint (human format) is the advised line.
        let human = try CLI.run(["lint", "--target", "1.37", file])
        #expect(human.stdout.contains("bind to = *:19999=streaming|dashboard|registry|badges|management|netdata.conf^SSL=force"), "\(human.stdout)")
    }

    @Test func testKindFromContentAndForcedWithKind() throws {
        let dir = try TempDir()
        let text = "[global]\n    bind socket to IP = 127.0.0.1\n"
        let byContent = try dir.file("parent.ini", text)
        let detected = try CLI.run(["lint", "--format", "gcc", byContent])
        #expect(detected.status == 0 && detected.stdout.contains("note: [NC109]"), "\(detected.stdout)\(detected.stderr)")
        // Read as stream.conf, the same file has nothing of netdata.conf's checks.
        let forced = try CLI.run(["lint", "--format", "gcc", "--kind", "stream", byContent])
        #expect(!forced.stdout.contains("NC109"), "\(forced.stdout)")
        let named = try dir.file("stream.conf", "[web]\n    bind to = *:19999^SSL=force\n")
        #expect(try CLI.run(["lint", "--format", "gcc", "--kind", "netdata", named]).stdout.contains("[NC101]"))
        #expect(try CLI.run(["lint", "--kind", "yaml", named]).status == 64)
    }

    @Test func testUnreadableTLSFileIsAnError() throws {
        let dir = try TempDir()
        let file = try dir.file("netdata.conf", """
            [web]
                bind to = *:19999=streaming|dashboard|registry|badges|management|netdata.conf^SSL=force
                ssl key = \(dir.path("missing.key"))
                ssl certificate = \(try dir.file("stream.crt", "not checked here"))

            """)
        let result = try CLI.run(["lint", "--format", "gcc", file])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(file):3:15: error: [NC202] `ssl key = \(dir.path("missing.key"))`: cannot be read (No such file or directory)"), "\(result.stdout)")
        #expect(!result.stdout.contains(":4:"), "the readable certificate is not reported")
    }

    /// Debian's stock /etc/netdata/netdata.conf (netdata-core 1.37.1): only the true finding.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/etc/netdata/netdata.conf")))
    func testDebianStockNetdataConfHasOnlyTheLoopbackNote() throws {
        let result = try CLI.run(["lint", "--format", "gcc", "--target", "1.37", "/etc/netdata/netdata.conf"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let codes = result.stdout.split(separator: "\n").compactMap { $0.firstMatch(of: /\[([A-Z]+\d+)\]/).map { String($0.1) } }
        #expect(codes == ["NC109"], "\(result.stdout)")
    }

    /// doctor --parent reports netdata.conf's lint errors, and reads `^SSL` after the port as
    /// Netdata does (bind-to-unlistenable, not "forces TLS").
    @Test func testDoctorParentUsesTheNetdataConfChecks() throws {
        let dir = try TempDir()
        let stream = try dir.file("stream.conf", "[11111111-2222-4333-8444-555555555555]\n    type = api\n    enabled = yes\n")
        let netdata = try dir.file("netdata.conf", "[web]\n    bind to = *:19999^SSL=force *:70000\n    default port = 019999\n")
        let result = try CLI.run(["doctor", "--parent", "--config", stream, "--netdata-conf", netdata, "--format", "json"])
        #expect(result.status == 1)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)\(result.stderr)")
        let codes = items.compactMap { $0["code"] as? String }
        #expect(codes.contains("NC102") && codes.contains("NC110") && codes.contains("bind-to-unlistenable"), "\(codes)")
        #expect(!codes.contains("tls-forced") && !codes.contains("NC101"), "\(codes)")
    }

    @Test func testListRulesAndExplainKnowTheNetdataConfCodes() throws {
        let list = try CLI.run(["lint", "--list-rules"])
        for code in ["NC101", "NC110", "NC201", "NC202", "NC401", "NC404", "SC609"] { #expect(list.stdout.contains(code), "\(code)") }
        let explain = try CLI.run(["lint", "--explain", "NC101"])
        #expect(explain.status == 0 && explain.stdout.contains("Cannot listen on any API socket"))
    }
}
