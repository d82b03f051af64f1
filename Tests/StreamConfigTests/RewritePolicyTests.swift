import Testing
@testable import StreamConfig

/// `RewritePolicy`: a rewrite may keep the errors a file had, never add one; findings are the
/// same finding by code and subject, wherever their line moved.
@Suite struct RewritePolicyTests {
    func report(_ document: Document) -> LintReport {
        Linter.lint(document: document, file: "s.conf", options: LintOptions(target: .v1_37, findingLimit: .max))
    }

    func rewrite(_ text: String, _ change: (inout ConfigEditor) throws -> Void) throws -> (before: LintReport, outcome: RewritePolicy.Outcome) {
        let original = Document(text)
        let before = report(original)
        var editor = ConfigEditor(original)
        try change(&editor)
        return (before, RewritePolicy.check(before: before, original: original, after: editor.document, file: "s.conf"))
    }

    /// SC101's message names the lines of the options that fall into the previous section: an
    /// inserted line above shifts them, which made the old error look new when messages were
    /// compared.
    @Test func testAnOldErrorWhoseLinesMovedIsNotNew() throws {
        let text = "[stream]\n    enabled = no\n[0b5f1c7e-1234-4cde-8f00-aabbccddeeff]\n    type = api\n    enabled = yes\n[broken\n    x = 1\n"
        let (before, outcome) = try rewrite(text) { try $0.set(section: "stream", key: "destination", value: "p:19999") }
        let oldSC101 = try #require(before.diagnostics.first { $0.code == "SC101" })
        let newSC101 = try #require(outcome.remaining.first { $0.code == "SC101" })
        #expect(oldSC101.line == 6 && newSC101.line == 7)
        #expect(oldSC101.message != newSC101.message, "the case must shift the lines the message names")
        #expect(outcome.introduced.isEmpty, "\(outcome.introduced)")
        #expect(outcome.remaining.count == before.diagnostics.filter { $0.severity == .error }.count)
    }

    @Test func testANewErrorIsIntroduced() throws {
        let (_, outcome) = try rewrite("[stream]\n    enabled = yes\n") { try $0.set(section: "stream", key: "enabled", value: "maybe") }
        #expect(outcome.introduced.map(\.code) == ["SC401"])
        #expect(outcome.introduced.first?.line == 2)
    }

    /// The option had this error before the change: the change does not make the file worse.
    @Test func testAnErrorTheOptionAlreadyHadIsNotNew() throws {
        let (_, outcome) = try rewrite("[stream]\n    enabled = maybe\n") { try $0.set(section: "stream", key: "enabled", value: "perhaps") }
        #expect(outcome.introduced.isEmpty)
        #expect(outcome.remaining.map(\.code) == ["SC401"])
    }

    @Test func testFindingsOfOneOptionMatchWhereverItIs() {
        let diagnostic = Diagnostic(code: "SC999", severity: .error, file: "f", line: 2, column: 1, message: "m line 2")
        let moved = Diagnostic(code: "SC999", severity: .error, file: "f", line: 3, column: 1, message: "m line 3")
        let a = RewritePolicy.finding(diagnostic, in: Document("[s]\n    k = 1\n"))
        let b = RewritePolicy.finding(moved, in: Document("[s]\n# note\n    k = 2\n"))
        #expect(a == b)
        #expect(a.subject == .option(section: "s", name: "k"))
    }
}
