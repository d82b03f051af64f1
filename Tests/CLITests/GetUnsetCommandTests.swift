import Foundation
import TestSupport
import Testing

/// `get` prints what Netdata uses (a whole section too), and `get`/`unset` on a name this line
/// does not read say so with a did-you-mean, as `set` does.
@Suite struct GetUnsetCommandTests {
    func stock137(_ dir: TempDir) throws -> String {
        try dir.file("stream.conf", try String(contentsOf: StockFiles.v1, encoding: .utf8))
    }

    @Test func testA2xNameOn137IsExplainedWithTheNameItReads() throws {
        let dir = try TempDir()
        let file = try stock137(dir)
        let result = try CLI.run(["get", "--file", file, "--target", "1.37", "stream", "timeout"])
        #expect(result.status == 64 && result.stderr.contains("did you mean `timeout seconds`?"), "\(result.stderr)")
        let right = try CLI.run(["get", "--file", file, "--target", "1.37", "stream", "timeout seconds"])
        #expect(right.status == 0 && right.stdout == "60\n", "\(right.stdout)\(right.stderr)")
    }

    @Test func testUnsetOfANameNotReadHereIsAnErrorButATypoInTheFileCanBeRemoved() throws {
        let dir = try TempDir()
        let file = try stock137(dir)
        let unknown = try CLI.run(["unset", "--file", file, "--target", "1.37", "stream", "buffer size"])
        #expect(unknown.status == 64 && unknown.stderr.contains("did you mean `buffer size bytes`?"), "\(unknown.stderr)")
        #expect(try CLI.run(["set", "--file", file, "--force", "--target", "1.37", "stream", "timout seconds", "5"]).status == 0)
        let typo = try CLI.run(["unset", "--file", file, "--target", "1.37", "stream", "timout seconds"])
        let after = try String(contentsOfFile: file, encoding: .utf8)
        #expect(typo.status == 0 && !after.contains("timout"), "\(typo.stderr)")
        let absent = try CLI.run(["unset", "--file", file, "--target", "1.37", "stream", "enable compression"])
        #expect(absent.status == 0 && absent.stderr.contains("unchanged"), "\(absent.stderr)")
    }

    @Test func testGetSectionPrintsEveryOptionWithItsSource() throws {
        let dir = try TempDir()
        let file = try stock137(dir)
        let result = try CLI.run(["get", "--file", file, "--target", "1.37", "stream"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("enabled = no") && lines.contains("timeout seconds = 60") && lines.contains("default port = 19999"), "\(lines)")
        #expect(result.stderr.contains("timeout seconds: from \(file):"), "\(result.stderr)")
        #expect(result.stderr.contains("built-in default for Netdata 1.37.1"))
    }
}

/// Command-line conventions: misspelt options are named as such, -V prints the version, a
/// negative count is refused with its rule.
@Suite struct CLIConventionTests {
    @Test func testAMisspeltOptionIsReportedAsUnknownWithTheRightName() throws {
        let result = try CLI.run(["child", "set", "--destnation", "10.0.0.1:19999", "--file", "/nonexistent/stream.conf"])
        #expect(result.status == 64 && result.stderr.contains("Unknown option '--destnation'") && result.stderr.contains("'--destination'"),
                "\(result.stderr)")
        let missing = try CLI.run(["child", "set", "--api-key", "x", "--file", "/nonexistent/stream.conf"])
        #expect(missing.status == 64 && missing.stderr.contains("give at least one --destination"), "\(missing.stderr)")
    }

    @Test func testVersionFlags() throws {
        let long = try CLI.run(["--version"]), short = try CLI.run(["-V"])
        #expect(long.status == 0 && short.status == 0 && long.stdout == short.stdout && !short.stdout.isEmpty)
    }

    @Test func testANegativeCountIsRefusedWithTheRule() throws {
        let result = try CLI.run(["keygen", "--count", "-1"])
        #expect(result.status == 64 && result.stderr.contains("--count must be positive"), "\(result.stderr)")
    }
}
