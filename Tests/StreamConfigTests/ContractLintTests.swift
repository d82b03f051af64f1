import Testing
@testable import StreamConfig

/// Issue 17 items 4-8 (part) in the core: example keys (SC305, SC310, SC311) from one list,
/// `[steam]`'s did-you-mean, CA file facts (SC420), commenting out in place, and the severity word.
@Suite struct ContractLintTests {
    let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key
    let documentation = ExampleKeys.documentation[0]

    func found(_ text: String, _ target: NetdataTarget = .v2, facts: [FileFact] = []) -> [String] {
        findings(Linter.lint(bytes: Array(text.utf8), file: "f", options: LintOptions(target: target, fileFacts: facts)))
    }

    // MARK: item 4

    @Test func testPlaceholderWords() {
        for word in ["API_KEY", "MACHINE_GUID", "YOUR-API-KEY", "YOUR_API_KEY", "your-api-key", "Your_API_Key", "PARENT_API_KEY", "<API_KEY>",
                     "{UUID}", "NEW-KEY", "KEY", "CHILD_GUID", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"] {
            #expect(ExampleKeys.isPlaceholder(word), "\(word)")
        }
        for word in [key, documentation, "api-key-79a5f", "stream", "webfarm-prod", "MYKEY", "my-key", "<x>", "", "KEY_", "API KEY",
                     "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxx", "PROD-KEY-7F3A9C2E51", "KEY1", "API_KEY_2"] {
            #expect(!ExampleKeys.isPlaceholder(word), "\(word)")
        }
        // Only the exact words examples print are shown unmasked.
        for word in ["API_KEY", "YOUR-API-KEY", "<API_KEY>", "NEW-KEY", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"] {
            #expect(ExampleKeys.isWellKnownPlaceholder(word) && SecretMasker.isNonSecretSectionName(word), "\(word)")
        }
        for word in ["PROD-KEY", "CHILD_GUID", "PROD-KEY-7F3A9C2E51", "WEB-UUID"] {
            #expect(!ExampleKeys.isWellKnownPlaceholder(word) && !SecretMasker.isNonSecretSectionName(word), "\(word)")
        }
        #expect(ExampleKeys.isDocumentationKey(documentation.uppercased()) && !ExampleKeys.isDocumentationKey(key))
        #expect(FleetChecker.documentationKey == documentation, "fleet check uses the same list")
    }

    @Test func testTheDocumentationKeyAsASection() {
        let section = "[\(documentation)]\n    type = api\n    enabled = yes\n"
        #expect(found(section) == ["SC311 1:1"])
        #expect(found(section + "    allow from = *\n") == ["SC311 1:1"])
        #expect(found(section + "    allow from =\n") == ["SC311 1:1", "SC608 4:5"])
        #expect(found(section + "    allow from = !10.1.2.3 *\n") == ["SC311 1:1"])
        #expect(found(section + "    allow from = 10.1.*\n") == ["SC310 1:1"])
        #expect(found("[\(documentation)]\n    type = api\n    enabled = no\n") == ["SC307 3:15"], "disabled: refused anyway")
        #expect(found("[\(documentation)]\n    type = machine\n    enabled = yes\n").isEmpty, "a machine GUID is no key")
        let report = Linter.lint(bytes: Array(section.utf8), file: "f", options: LintOptions(target: .v2))
        #expect(report.hasErrors && report.diagnostics[0].severity == .error)
        #expect(report.diagnostics[0].hint?.contains("`\(StreamAdvice.apiKey("NEW-KEY"))`") == true)
    }

    @Test func testTheDocumentationKeyAsAValue() {
        let child = "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(documentation)\n"
        #expect(found(child) == ["SC310 4:15"])
        let proxy = "[\(key)]\n    type = api\n    enabled = yes\n    allow from = 10.*\n    proxy enabled = yes\n    proxy destination = 10.0.0.9:19999\n    proxy api key = \(documentation)\n"
        #expect(found(proxy).contains("SC310 7:21"), "\(found(proxy))")
    }

    @Test func testPlaceholdersAsValuesAndSections() {
        let child = "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = PARENT_API_KEY\n"
        #expect(found(child) == ["SC305 4:15"])
        #expect(found("[YOUR_API_KEY]\n    type = api\n    enabled = yes\n") == ["SC305 1:1"])
        #expect(found("[YOUR_API_KEY]\n    type = api\n    enabled = no\n").isEmpty, "a disabled example section is harmless")
        let report = Linter.lint(bytes: Array("[YOUR-API-KEY]\n    enabled = yes\n[stream]\n    api key = <API_KEY>\n".utf8), file: "f")
        #expect(!report.secrets.contains("YOUR-API-KEY") && !report.secrets.contains("<API_KEY>"), "placeholders are shown")
    }

    @Test func testTheEditorsRefuseExampleKeys() throws {
        for example in [documentation, "YOUR_API_KEY", "API_KEY"] {
            var editor = ConfigEditor(Document("[stream]\n    enabled = no\n"))
            let add = try #require(throws: EditError.self) { try editor.addAPIKey(key: example) }
            let child = try #require(throws: EditError.self) { try editor.setChild(destinations: ["p:19999"], apiKey: example) }
            #expect(add.code == .invalidKey && child.code == .invalidKey)
            let why = example == documentation ? "printed in Netdata's documentation" : "placeholder"
            #expect(add.message.contains(why) && child.message.contains(why), "\(add.message) / \(child.message)")
            #expect(editor.document.renderedString == "[stream]\n    enabled = no\n")
        }
    }

    // MARK: item 5

    @Test func testStreamMisspellingsGetADidYouMean() {
        for name in ["steam", "Stream", "straem", "STREAM", "streams"] {
            let report = Linter.lint(bytes: Array("[\(name)]\n    enabled = yes\n".utf8), file: "f", options: LintOptions(target: .v2))
            #expect(findings(report) == ["SC302 1:1"], "\(name): no advice on making it a key (SC306, SC309)")
            #expect(report.diagnostics[0].message.hasPrefix("[\(name)] is not [stream] (did you mean [stream]?)"), "\(report.diagnostics[0].message)")
            #expect(!report.secrets.contains(name), "never masked")
        }
        let other = Linter.lint(bytes: Array("[webfarm-prod]\n    type = api\n    enabled = yes\n".utf8), file: "f", options: LintOptions(target: .v2))
        #expect(!other.diagnostics[0].message.contains("did you mean"), "a name far from stream gets none")
        #expect(other.secrets.contains("webfarm-prod"), "and may be a key: masked")
        #expect(throws: ResolveError.self) { try Resolver.validate(section: "steam", in: Ini(Document("[stream]\n"))) }
        #expect(throws: Never.self) { try Resolver.validate(section: "steam", in: Ini(Document("[steam]\n"))) }
    }

    // MARK: item 6

    @Test func testCAFileFactsBecomeSC420() {
        let text = "[stream]\n    enabled = yes\n    destination = p:19999:SSL\n    api key = \(key)\n    CAfile = /x/parent.crt\n    CApath = /x/certs\n"
        #expect(found(text).isEmpty, "the core reads no file system: without facts nothing")
        let facts = [FileFact(option: "CAfile", path: "/x/parent.crt", problem: "does not exist"),
                     FileFact(option: "CApath", path: "/x/certs", problem: "is not a directory")]
        #expect(found(text, facts: facts) == ["SC420 5:14", "SC420 6:14"])
        #expect(found(text, facts: [FileFact(option: "CAfile", path: "/elsewhere", problem: "does not exist")]).isEmpty, "a fact about another path")
        let hint = Linter.lint(bytes: Array(text.utf8), file: "f", options: LintOptions(target: .v2, fileFacts: facts)).diagnostics[0].hint ?? ""
        #expect(hint.contains("`\(StreamAdvice.caFile(StreamAdvice.Example.parentCertificate))`"), "\(hint)")
        #expect(StreamTLSFiles.named(in: Ini(Document(text))) == [.init(option: "CAfile", path: "/x/parent.crt", isDirectory: false),
                                                                  .init(option: "CApath", path: "/x/certs", isDirectory: true)])
        #expect(StreamTLSFiles.named(in: Ini(Document("[stream]\n    CAfile = rel.pem\n    CApath =\n"))).isEmpty)
        #expect(Rules.rule("SC420")?.severity == .warning)
    }

    // MARK: item 8

    @Test func testSeverityWords() {
        #expect(Severity.allCases.map(\.rawValue) == ["note", "warning", "error"])
        #expect(Rules.all.allSatisfy { ["note", "warning", "error"].contains($0.severity.rawValue) })
    }
}
