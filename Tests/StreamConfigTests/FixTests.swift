import Foundation
import Testing
@testable import StreamConfig

/// `lint --fix` in the core: every fixture under fixtures/fixes is fixed into exactly its
/// `.fixed` twin, fixes never overlap or touch other lines, and fixing twice changes nothing.
@Suite struct FixTests {
    static let directory = Paths.fixtures.appendingPathComponent("fixes")
    static let names: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".conf") }.map { String($0.dropLast(5)) }.sorted()

    static func lint(_ target: NetdataTarget) -> (Document) -> [Diagnostic] {
        { Linter.lint(bytes: $0.render(), file: "f", options: LintOptions(target: target)).diagnostics }
    }

    @Test func testEveryRuleWithAFixHasAFixturePairAndNoOtherRuleClaimsOne() {
        let covered = Set(Self.names.map { String($0.prefix(5)) })
        #expect(Set(Rules.fixes.keys).subtracting(covered).isEmpty, "fixable rules without a fixture: \(Set(Rules.fixes.keys).subtracting(covered))")
        #expect(Set(Rules.fixes.keys).isSubset(of: Set(Rules.all.map(\.code))))
    }

    @Test(arguments: names)
    func testFixtureIsFixedIntoItsTwinAndFixingAgainChangesNothing(_ name: String) throws {
        let before = Document(bytes: try Paths.bytes(Self.directory.appendingPathComponent(name + ".conf")))
        let expected = try Paths.bytes(Self.directory.appendingPathComponent(name + ".fixed"))
        let outcome = Fixer.run(before, lint: Self.lint(.v2))
        #expect(outcome.document.render() == expected,
                "\(name):\n\(String(decoding: outcome.document.render(), as: UTF8.self))")
        let owner = String(name.prefix(5))
        if Rules.fixes[owner] != nil {
            #expect(outcome.fixed.contains { $0.code == owner }, "\(name) must be fixed by \(owner)")
            #expect(!Self.lint(.v2)(outcome.document).contains { $0.code == owner }, "\(owner) still reported after the fix")
        }
        let again = Fixer.run(outcome.document, lint: Self.lint(.v2))
        #expect(!again.changed && again.document == outcome.document)
        #expect(Self.lint(.v2)(outcome.document).allSatisfy { $0.fix == nil })
    }

    @Test func testThreeFixesOnOneLineTakeThreePassesNeverOverlapping() throws {
        let before = Document(bytes: try Paths.bytes(Self.directory.appendingPathComponent("many-fixes-on-one-line.conf")))
        let outcome = Fixer.run(before, lint: Self.lint(.v2))
        #expect(outcome.fixed.map(\.code).sorted() == ["SC108", "SC501", "SC503"])
        #expect(outcome.passes == 4)  // three that fixed, one that found nothing more
    }

    @Test(arguments: [
        ("    enabled = # only a comment", "SC108"),             // what value was meant?
        ("    destination = fd00::5:1999", "SC502"),             // a port, or the last group?
        ("    destination = https://db-01:19999/", "SC501"),     // TLS meant? a decision
        ("    enabled = 1", "SC401"),                              // 1 is not a boolean: a decision
    ])
    func testFindingsThatNeedADecisionHaveNoFix(_ line: String, _ code: String) {
        let document = Document("[stream]\n\(line)\n    api key = f191f19e-4ad4-4069-b94b-b1e4ab797ffc\n")
        let findings = Self.lint(.v2)(document)
        #expect(findings.contains { $0.code == code }, "\(findings.map(\.code))")
        #expect(findings.filter { $0.code == code }.allSatisfy { $0.fix == nil })
        #expect(!Fixer.run(document, lint: Self.lint(.v2)).changed)
    }

    @Test func testAFixNeverAppearsInEncodedFindings() throws {
        let document = Document("[stream]\n    api key = f191f19e-4ad4-4069-b94b-b1e4ab797ffc # mine\n")
        let findings = Self.lint(.v2)(document)
        #expect(findings.contains { $0.fix != nil })
        // (The message names the value: printers mask keys there; the fix's bytes are never encoded.)
        let json = String(decoding: try JSONEncoder().encode(findings), as: UTF8.self)
        #expect(!json.contains("\"fix\"") && !json.contains("edits") && !json.contains("# mine\\n"), "\(json)")
    }

    /// Random documents of the rewrite property tests, with fixable slips mixed in: fixing is
    /// lossless (each pass changes only the lines its fixes name), removes what it fixed, and is
    /// idempotent.
    @Test func testRandomDocumentsFixLosslesslyAndIdempotently() {
        let slips = ["    enabled = yes # note", "type = API", "    destination = tcp://p1:19999/ p2:19999:ssl",
                     "    destination = fe80::1 # x", "    api  key = k", "\tdestination = 10.0.0.1:19999/", "[k2] # c"]
        for seed in UInt64(1)...300 {
            var generator = EditPropertyTests.Generator(random: .init(state: seed))
            var lines = generator.document().lines
            for _ in 0..<generator.random.below(5) {
                let at = lines.isEmpty ? 0 : generator.random.below(lines.count + 1)
                lines.insert(Line(text: Array(generator.random.pick(slips).utf8), hasNewline: true), at: min(at, lines.count))
            }
            // Read back from bytes, as a file is: only the last line may lack its newline.
            let original = Document(bytes: Document(lines: lines).render())
            for target in [NetdataTarget.v1_37, .v2] {
                var current = original
                for _ in 0..<8 {
                    let findings = Self.lint(target)(current)
                    let (next, applied) = Fixer.apply(findings, to: current)
                    if applied.isEmpty { break }
                    let edited = Set(applied.flatMap { $0.fix!.edits.map(\.line) })
                    // Every line no fix named is still there, byte for byte and in order.
                    let kept = current.lines.enumerated().filter { !edited.contains($0.offset) }.map(\.element)
                    #expect(isSubsequence(kept, of: next.lines), "seed \(seed) \(target): a line no fix named changed")
                    #expect(next.lines.count >= current.lines.count)
                    // Each fix, applied alone, removes its finding. (Fixes of one pass can surface
                    // others together: a header fixed ends the section a fixed `type` was in.)
                    let before = Self.lint(target)(current)
                    for finding in applied {
                        let (alone, _) = Fixer.apply([finding], to: current)
                        let after = Self.lint(target)(Document(bytes: alone.render()))
                        #expect(after.filter { $0.code == finding.code }.count < before.filter { $0.code == finding.code }.count,
                                "seed \(seed) \(target): fixing \(finding.code) line \(finding.line) did not remove it\n\(alone.renderedString)")
                    }
                    current = next
                }
                let again = Fixer.run(current, lint: Self.lint(target))
                #expect(!again.changed, "seed \(seed) \(target): not idempotent\n\(current.renderedString)")
            }
        }
    }

    private func isSubsequence(_ small: [Line], of big: [Line]) -> Bool {
        var index = big.startIndex
        for line in small {
            guard let found = big[index...].firstIndex(of: line) else { return false }
            index = found + 1
        }
        return true
    }
}
