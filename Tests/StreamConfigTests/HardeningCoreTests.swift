import Foundation
import Testing
@testable import StreamConfig

/// Issue 13, the pure half: masking what looks like a key, escaping control bytes, capping
/// findings, refusing empty names and patterns.
@Suite struct HardeningCoreTests {
    let key = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    let other = "my-very-secret-key-value"

    // MARK: Masking (item 6)

    @Test(arguments: [
        "[KEY] # note",
        "    api_key = KEY",
        "    api key: KEY",
        "    API Key = KEY",
        "    apikey=KEY",
        "stream-config child set --api-key KEY",
        "hint: write the section as [KEY]",
    ])
    func testKeysAreMaskedInLinesNetdataDoesNotReadAsKeys(_ template: String) {
        let masker = SecretMasker([])
        let line = template.replacingOccurrences(of: "KEY", with: key)
        let masked = masker.mask(line)
        #expect(!masked.contains(key), "\(masked)")
        #expect(masked.contains("0a1b2c3d…"), "\(masked)")
        #expect(SecretMasker.showingAll.mask(line) == line)
    }

    @Test func testTheValueAfterAKeyLikeNameIsMaskedEvenWhenItIsNoUUID() {
        let masker = SecretMasker([])
        for line in ["api_key = \(other)", "api key: \(other)", "API Key = \(other)", "--api-key \(other)", "--key=\(other)"] {
            let masked = masker.mask(line)
            #expect(!masked.contains(other) && masked.contains("my-very-…"), "\(line) -> \(masked)")
        }
        #expect(masker.mask("API KEY = \(key.uppercased())").contains("0A1B2C3D…"))
    }

    @Test func testNonSecretsAreShownAsTheyAre() {
        let masker = SecretMasker(lint("[steam]\n    enabled = yes\n[API_KEY]\n    enabled = no\n[stream]\n    api key = API_KEY\n").secrets)
        for text in ["[stream]", "[steam]", "[API_KEY]", "api key = API_KEY", "[MACHINE_GUID]", "the api key is empty",
                     "--api-key -", "--api-key @/root/key", "--key KEY", "version 1.37.1", "deadbeef-cafe", "api keyring = x"] {
            #expect(masker.mask(text) == text, "\(text)")
        }
    }

    @Test func testSectionNamesThatAreKeysAreSecretsAndStreamMisspellingsAreNot() {
        let report = lint("[steam]\n    enabled = yes\n[straem]\n    enabled = yes\n[\(other)]\n    type = api\n[Stream]\n    enabled = yes\n"
            + "[x]\n    api_key = \(key)\n")
        #expect(report.secrets.contains(other))
        #expect(report.secrets.contains(key), "a value after api_key")
        #expect(!report.secrets.contains("steam") && !report.secrets.contains("straem") && !report.secrets.contains("Stream"))
    }

    // MARK: Control bytes (item 14)

    @Test func testControlBytesBecomeVisibleEscapes() {
        let osc = "title\u{1B}]0;owned\u{07}x"
        #expect(PrintableText.escaped(osc) == "title\\u001b]0;owned\\u0007x")
        #expect(PrintableText.escaped("a\u{9B}31mb\u{7F}") == "a\\u009b31mb\\u007f")
        #expect(PrintableText.escaped("tab\tnl\ncr\r") == "tab\\tnl\\ncr\\r")
        #expect(PrintableText.escaped("-a\u{1B}[2J\n+b\tc\r\n", keepingNewlines: true) == "-a\\u001b[2J\n+b\tc\\r\n")
        let plain = "[stream] é ✓"
        #expect(PrintableText.escaped(plain) == plain)
    }

    // MARK: Finding cap (item 9)

    @Test func testFindingsAreCappedPerFileAndTheRestCounted() {
        let lines = 3_000
        var text = "[stream]\n"
        for index in 0..<lines { text += "    bogus option \(index) = 1\n" }
        let report = Linter.lint(bytes: Array(text.utf8), file: "big.conf", options: LintOptions(target: .v2))
        #expect(report.diagnostics.count == LintOptions.defaultFindingLimit)
        #expect(report.diagnostics.count + report.omitted.total >= lines)
        #expect(report.diagnostics.first?.line == 2, "the first findings by line are kept")
        #expect(report.diagnostics.map(\.line) == report.diagnostics.map(\.line).sorted())
        let shownNotes = report.diagnostics.filter { $0.severity == .note }.count
        let counted: Int = report.errorCount + report.warningCount + report.omitted.notes + shownNotes
        #expect(counted == report.diagnostics.count + report.omitted.total)
        let small = Linter.lint(bytes: Array(text.utf8), file: "big.conf", options: LintOptions(target: .v2, findingLimit: 10))
        #expect(small.diagnostics.count == 10)
        #expect(small.errorCount + small.warningCount == report.errorCount + report.warningCount, "counts do not depend on the cap")
        let all = Linter.lint(bytes: Array(text.utf8), file: "big.conf", options: LintOptions(target: .v2, findingLimit: .max))
        #expect(all.omitted.total == 0 && all.diagnostics.count == report.diagnostics.count + report.omitted.total)
    }

    // MARK: Empty names and patterns (item 11)

    @Test func testEmptySectionNamesAndAllowFromPatternsAreRefused() throws {
        var editor = ConfigEditor(Document(bytes: Array("[stream]\n    enabled = no\n".utf8)))
        let before = editor.document
        for section in ["", "  "] {
            #expect(throws: EditError.self) { try editor.set(section: section, key: "enabled", value: "yes") }
            #expect(throws: EditError.self) { try editor.addSection(name: section) }
        }
        #expect(throws: EditError.self) { try editor.addAPIKey(key: key, allowFrom: "") }
        #expect(throws: EditError.self) { try editor.addMachine(guid: key, options: [("allow from", " ")]) }
        #expect(throws: EditError.self) { try ConfigEditor.requirePattern(key: "allow from", value: "") }
        try ConfigEditor.requirePattern(key: "allow from", value: "*")
        try ConfigEditor.requirePattern(key: "destination", value: "")
        #expect(editor.document == before)
        try editor.addAPIKey(key: key, allowFrom: "*")
        #expect(editor.ini.section(key)?.value("allow from") == "*")
    }
}
