import Foundation
import TestSupport
import Testing
@testable import StreamConfig

/// Every `fixtures/rules/NAME.conf` (stream.conf), `fixtures/netdata-rules/NAME.conf`
/// (netdata.conf) and `fixtures/relay-rules/NAME.conf` (the relay's stream.conf, `lint --relay`)
/// has `NAME.expected` next to it: a `target:` line, then one `CODE LINE:COLUMN`
/// line per finding the linter must report, no more, no less. A `fact: OPTION PATH | PROBLEM`
/// line is what a frontend found about a file the option names (`FileFact`, SC420): the core
/// reads no file system, so the fixture says what `lint` would have found.
@Suite struct FixtureTests {
    struct Fixture: CustomTestStringConvertible, Sendable {
        var name: String
        var conf: URL
        var expected: URL
        var kind: ConfigKind
        var relay = false
        var testDescription: String { "\(kind == .netdata ? "netdata-rules/" : relay ? "relay-rules/" : "")\(name)" }
    }

    static let fixtures: [Fixture] = [("rules", ConfigKind.stream, false), ("netdata-rules", .netdata, false), ("relay-rules", .stream, true)].flatMap { folder, kind, relay in
        let directory = Paths.fixtures.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".conf") }.sorted().map { name in
            let base = String(name.dropLast(5))
            return Fixture(name: base, conf: directory.appendingPathComponent(name), expected: directory.appendingPathComponent(base + ".expected"), kind: kind, relay: relay)
        }
    }

    @Test func testThereIsAFixtureForEveryRule() {
        let covered = Set(Self.fixtures.map { String($0.name.prefix(5)) })
        // SC801 (file mode) and NC202 (unreadable TLS file) come from the file system: CLI tests.
        let missing = Rules.single.map(\.code).filter { !covered.contains($0) && $0 != "SC801" && $0 != "NC202" }
        #expect(missing.isEmpty, "rules without a fixture: \(missing)")
    }

    @Test(arguments: fixtures)
    func testFixtureProducesExactlyItsExpectedFindings(_ fixture: Fixture) throws {
        let expectedText = try String(contentsOf: fixture.expected, encoding: .utf8)
        var lines = expectedText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        let targetLine = try #require(lines.first, "missing target line")
        lines.removeFirst()
        let facts = lines.filter { $0.hasPrefix("fact:") }.compactMap { line -> FileFact? in
            let parts = line.dropFirst(5).components(separatedBy: " | ")
            let named = parts[0].trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, named.count == 2 else { return nil }
            return FileFact(option: named[0], path: named[1], problem: parts[1])
        }
        lines.removeAll { $0.hasPrefix("fact:") }
        let targetName = targetLine.replacingOccurrences(of: "target:", with: "").trimmingCharacters(in: .whitespaces)
        let target: NetdataTarget? = targetName == "auto" ? nil : NetdataTarget(rawValue: targetName)
        // netdata.conf fixtures are named NCxxx-....conf: the kind comes from the folder, as --kind does.
        let report = Linter.lint(bytes: try Paths.bytes(fixture.conf), file: fixture.name, options: LintOptions(target: target, kind: fixture.kind, fileFacts: facts, relay: fixture.relay))
        let actual = findings(report)
        #expect(actual == lines.sorted(), "\(fixture.name): \(report.diagnostics.map { "\($0.code) \($0.line):\($0.column) \($0.message)" }.joined(separator: "\n"))")
        let owner = String(fixture.name.prefix(5))
        if owner.hasPrefix("SC") || owner.hasPrefix("NC") {
            #expect(actual.contains { $0.hasPrefix(owner) }, "\(fixture.name) must trigger \(owner)")
        }
    }

    @Test func testEveryRuleHasATitleAndAnExplanation() {
        #expect(Set(Rules.all.map(\.code)).count == Rules.all.count)
        for rule in Rules.all {
            #expect(!rule.title.isEmpty && rule.explanation.count > 40, "\(rule.code)")
        }
    }
}

/// Netdata's stock files: 1.37.1's always (Debian's package), 2.11.0's when it is here.
@Suite struct StockFileTests {
    @Test(arguments: StockFiles.versions)
    func testStockFilesLintCleanForTheirOwnTarget(version: String) throws {
        let report = Linter.lint(bytes: try Paths.bytes(StockFiles.url(version: version)), file: "stock-\(version)")
        #expect(report.target == (version.hasPrefix("1.") ? .v1_37 : .v2))
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    }

    @Test(arguments: StockFiles.versions)
    func testStockFilesRoundTripByteForByte(version: String) throws {
        let bytes = try Paths.bytes(StockFiles.url(version: version))
        #expect(Document(bytes: bytes).render() == bytes)
    }

    @Test func testTheOld137StockFileOnNetdata2OnlyGetsRenameNotes() throws {
        let report = Linter.lint(bytes: try Paths.bytes(Paths.stockV1), file: "stock", options: LintOptions(target: .v2))
        #expect(!report.hasErrors)
        #expect(codes(report) == ["SC206"])
    }
}
