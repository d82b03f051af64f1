import Foundation
import TestSupport
import Testing
@testable import StreamConfig

/// Stock files and line helpers for the editor tests.
enum EditFixtures {
    static func stock(_ version: String) throws -> Document {
        Document(bytes: Array(try Data(contentsOf: StockFiles.url(version: version))))
    }

    static let v1 = "1.37.1"
    static let v2 = "2.11.0"

    static func line(_ text: String, newline: Bool = true) -> Line {
        Line(text: Array(text.utf8), hasNewline: newline)
    }

    /// Index of the first line with exactly this text at or after `start`.
    static func index(of text: String, in document: Document, from start: Int = 0) throws -> Int {
        let bytes = Array(text.utf8)
        return try #require(document.lines.indices.first { $0 >= start && document.lines[$0].text == bytes })
    }

    static let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key (SC310)
}

@Suite struct EditTests {
    typealias F = EditFixtures

    private func edited(_ text: String, _ edit: (inout ConfigEditor) throws -> Void) throws -> String {
        var editor = ConfigEditor(Document(text))
        try edit(&editor)
        return editor.document.renderedString
    }

    // MARK: set on the stock files

    @Test(arguments: StockFiles.versions)
    func setUncommentsInPlaceOnStockFile(version: String) throws {
        let stock = try F.stock(version)
        let target = try F.index(of: "    #enable compression = yes", in: stock)
        var editor = ConfigEditor(stock)
        #expect(try editor.set(section: "stream", key: "enable compression", value: "no"))
        var expected = stock.lines
        expected[target] = F.line("    enable compression = no")
        #expect(editor.document.lines == expected)
        #expect(editor.value(section: "stream", key: "enable compression") == "no")
    }

    @Test(arguments: StockFiles.versions)
    func setReplacesOnlyTheValueBytes(version: String) throws {
        let stock = try F.stock(version)
        let enabled = try F.index(of: "    enabled = no", in: stock)
        let destination = try F.index(of: "    destination =", in: stock)
        var editor = ConfigEditor(stock)
        try editor.set(section: "stream", key: "enabled", value: "yes")
        try editor.set(section: "stream", key: "destination", value: "10.0.0.1:19999")
        var expected = stock.lines
        expected[enabled] = F.line("    enabled = yes")
        expected[destination] = F.line("    destination = 10.0.0.1:19999")
        #expect(editor.document.lines == expected)
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func setInsertsAfterTheLastOptionOfTheSection() throws {
        let stock = try F.stock(F.v2)
        let apiKey = try F.index(of: "    api key =", in: stock)
        var editor = ConfigEditor(stock)
        try editor.set(section: "stream", key: "proxy enabled", value: "no")
        var expected = stock.lines
        expected.insert(F.line("    proxy enabled = no"), at: apiKey + 1)
        #expect(editor.document.lines == expected)
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func setUncommentsInsideTheRightSection() throws {
        let stock = try F.stock(F.v2)
        let header = try F.index(of: "[API_KEY]", in: stock)
        let target = try F.index(of: "    #allow from = *", in: stock, from: header)
        var editor = ConfigEditor(stock)
        try editor.set(section: "API_KEY", key: "allow from", value: "10.*")
        var expected = stock.lines
        expected[target] = F.line("    allow from = 10.*")
        #expect(editor.document.lines == expected)
        #expect(editor.value(section: "MACHINE_GUID", key: "allow from") == nil)
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func setOnAMissingSectionAppendsItAfterOneBlankLine() throws {
        let stock = try F.stock(F.v2)
        var editor = ConfigEditor(stock)
        try editor.set(section: "web", key: "mode", value: "none")
        #expect(editor.document.render() == stock.render() + Array("\n[web]\n    mode = none\n".utf8))
        // No second blank line when the file already ends with one.
        #expect(try edited("[a]\n    x = 1\n\n") { try $0.set(section: "b", key: "y", value: "2") }
                == "[a]\n    x = 1\n\n[b]\n    y = 2\n")
        #expect(try edited("") { try $0.set(section: "b", key: "y", value: "2") } == "[b]\n    y = 2\n")
    }

    // MARK: set details

    @Test func setKeepsSpacingAroundEquals() throws {
        #expect(try edited("[s]\n\tk=1\n") { try $0.set(section: "s", key: "k", value: "22") } == "[s]\n\tk=22\n")
        #expect(try edited("[s]\n  k   =   1 \n") { try $0.set(section: "s", key: "k", value: "2") } == "[s]\n  k   =   2 \n")
        #expect(try edited("[s]\nk=\n") { try $0.set(section: "s", key: "k", value: "v") } == "[s]\nk=v\n")
        #expect(try edited("[s]\n    k =\n") { try $0.set(section: "s", key: "k", value: "v") } == "[s]\n    k = v\n")
        #expect(try edited("[s]\n    k = a b\n") { try $0.set(section: "s", key: "k", value: "") } == "[s]\n    k =\n")
    }

    @Test func setChangesTheLastDuplicateOnly() throws {
        #expect(try edited("[s]\n    k = 1\n    k = 2\n") { try $0.set(section: "s", key: "k", value: "3") }
                == "[s]\n    k = 1\n    k = 3\n")
        // A reopened section: the new option goes after the section's last option.
        #expect(try edited("[a]\n    k = 1\n[b]\n    j = 1\n[a]\n    m = 2\n") { try $0.set(section: "a", key: "n", value: "3") }
                == "[a]\n    k = 1\n[b]\n    j = 1\n[a]\n    m = 2\n    n = 3\n")
    }

    @Test func setUsesTheSectionIndentationOrFourSpaces() throws {
        #expect(try edited("[s]\n\tk = 1\n# x\n") { try $0.set(section: "s", key: "j", value: "2") } == "[s]\n\tk = 1\n\tj = 2\n# x\n")
        #expect(try edited("[s]\n# x\n") { try $0.set(section: "s", key: "j", value: "2") } == "[s]\n    j = 2\n# x\n")
        #expect(try edited("[s]\nk = 1\n") { try $0.set(section: "t", key: "j", value: "2") } == "[s]\nk = 1\n\n[t]\nj = 2\n")
    }

    @Test func commentedOutMatchIsExact() throws {
        // `#timeouts = 1` and prose mentioning the key are not the commented-out option.
        let text = "[s]\n    # e.g. timeout = 5\n    #timeouts = 1\n    # timeout=9\n    k = 1\n"
        #expect(try edited(text) { try $0.set(section: "s", key: "timeout", value: "2") }
                == "[s]\n    # e.g. timeout = 5\n    #timeouts = 1\n    timeout = 2\n    k = 1\n")
    }

    @Test func setIsIdempotent() throws {
        for version in StockFiles.versions {
            var editor = ConfigEditor(try F.stock(version))
            for (section, key, value) in [("stream", "enable compression", "no"), ("stream", "enabled", "yes"),
                                          ("stream", "new key", "x"), ("fresh", "k", "v"), ("stream", "destination", "")] {
                try editor.set(section: section, key: key, value: value)
                let once = editor.document
                #expect(try editor.set(section: section, key: key, value: value) == false)
                #expect(editor.document == once)
            }
        }
    }

    // MARK: unset

    @Test func unsetRemovesEveryActiveOccurrence() throws {
        var editor = ConfigEditor(Document("[s]\n    k = 1\n    # k = 0\n    j = 1\n    k = 2\n[t]\n    k = 3\n"))
        #expect(try editor.unset(section: "s", key: "k"))
        #expect(editor.document.renderedString == "[s]\n    # k = 0\n    j = 1\n[t]\n    k = 3\n")
        let after = editor.document
        #expect(try editor.unset(section: "s", key: "k") == false)
        #expect(try editor.unset(section: "missing", key: "k") == false)
        #expect(editor.document == after)
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func unsetOnStockFileRemovesOnlyThatLine() throws {
        let stock = try F.stock(F.v2)
        let apiKey = try F.index(of: "    api key =", in: stock)
        var editor = ConfigEditor(stock)
        try editor.unset(section: "stream", key: "api key")
        var expected = stock.lines
        expected.remove(at: apiKey)
        #expect(editor.document.lines == expected)
    }

    // MARK: line ends

    @Test func crlfFileGetsCRLFLines() throws {
        let text = "[stream]\r\n    enabled = no\r\n\r\n[a]\r\n    x = 1\r\n"
        let result = try edited(text) {
            try $0.set(section: "stream", key: "enabled", value: "yes")
            try $0.set(section: "stream", key: "destination", value: "p")
            try $0.set(section: "new", key: "k", value: "v")
        }
        #expect(result == "[stream]\r\n    enabled = yes\r\n    destination = p\r\n\r\n[a]\r\n    x = 1\r\n\r\n[new]\r\n    k = v\r\n")
        #expect(try edited("[s]\r\n    #k = 0\r\n") { try $0.set(section: "s", key: "k", value: "1") } == "[s]\r\n    k = 1\r\n")
        #expect(try edited("[s]\r\n    a = 1") { try $0.set(section: "s", key: "b", value: "2") } == "[s]\r\n    a = 1\r\n    b = 2\r\n")
    }

    @Test func fileWithoutFinalNewline() throws {
        #expect(try edited("[stream]\n    enabled = no") { try $0.set(section: "b", key: "k", value: "v") }
                == "[stream]\n    enabled = no\n\n[b]\n    k = v\n")
        #expect(try edited("[stream]\n    enabled = no") { try $0.set(section: "stream", key: "x", value: "1") }
                == "[stream]\n    enabled = no\n    x = 1\n")
        #expect(try edited("[stream]\n    enabled = no") { try $0.set(section: "stream", key: "enabled", value: "yes") }
                == "[stream]\n    enabled = yes")
    }

    // MARK: broken headers

    @Test func brokenHeaderIsNotASection() throws {
        let text = "[stream]\n    enabled = yes\n[x] # c\n    allow from = 10.*\n"
        var editor = ConfigEditor(Document(text))
        #expect(editor.value(section: "stream", key: "allow from") == "10.*")
        // The key under the broken header is [stream]'s for Netdata, so that is the line edited.
        try editor.set(section: "stream", key: "allow from", value: "*")
        #expect(editor.document.renderedString == "[stream]\n    enabled = yes\n[x] # c\n    allow from = *\n")
        // [x] does not exist: a real header is appended.
        try editor.set(section: "x", key: "enabled", value: "yes")
        #expect(editor.document.renderedString == "[stream]\n    enabled = yes\n[x] # c\n    allow from = *\n\n[x]\n    enabled = yes\n")
        #expect(editor.listKeys().map(\.name) == ["x"])
        #expect(editor.value(section: "stream", key: "allow from") == "*")
    }

    // MARK: sections

    @Test func addAndRemoveSection() throws {
        var editor = ConfigEditor(Document("[a]\n    x = 1\n"))
        try editor.addSection(name: "b", options: [("k", "v"), ("e", "")])
        #expect(editor.document.renderedString == "[a]\n    x = 1\n\n[b]\n    k = v\n    e =\n")
        #expect(throws: EditError.sectionExists("b")) { try editor.addSection(name: "b") }
        try editor.removeSection(name: "b")
        #expect(editor.document.renderedString == "[a]\n    x = 1\n")
        #expect(throws: EditError.sectionMissing("b")) { try editor.removeSection(name: "b") }
    }

    @Test func removeSectionCollapsesBlankLinesAndKeepsTheNextPartsIntro() throws {
        let text = """
            # top

            [a]
                x = 1


            # about b
            [b]
                y = 2
                #z = 3
            # b's own trailing comment

            # intro of c
            [c]
                z = 1

            """
        #expect(try edited(text) { try $0.removeSection(name: "b") } == """
            # top

            [a]
                x = 1

            # intro of c
            [c]
                z = 1

            """)
        #expect(try edited(text) { try $0.removeSection(name: "a") } == """
            # top

            # about b
            [b]
                y = 2
                #z = 3
            # b's own trailing comment

            # intro of c
            [c]
                z = 1

            """)
        #expect(try edited(text) { try $0.removeSection(name: "c") } == """
            # top

            [a]
                x = 1


            # about b
            [b]
                y = 2
                #z = 3
            # b's own trailing comment

            """)
        #expect(try edited("[a]\n    k = 1\n[b]\n    j = 1\n[a]\n    m = 2\n") { try $0.removeSection(name: "a") } == "[b]\n    j = 1\n")
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func removeSectionOnStockFile() throws {
        let stock = try F.stock(F.v2)
        let describing = try F.index(of: "# [API_KEY] is [YOUR-API-KEY], i.e [11111111-2222-3333-4444-555555555555]", in: stock)
        let lastLine = try F.index(of: "    #is ephemeral node = no", in: stock, from: describing)
        var editor = ConfigEditor(stock)
        try editor.removeSection(name: "API_KEY")
        // Gone: the comment naming the section, the section, and one of the two blank lines
        // that met at the cut. The "# 3. PER SENDING HOST SETTINGS" introduction stays.
        let expected = Array(stock.lines[..<describing]) + Array(stock.lines[(lastLine + 2)...])
        #expect(editor.document.lines == expected)
        #expect(stock.lines[describing - 1].text.isEmpty && stock.lines[lastLine + 1].text.isEmpty)
        #expect(editor.document.lines[describing].string.hasPrefix("# -------"))
        #expect(editor.ini.section("MACHINE_GUID")?.value("type") == "machine")
    }

    // MARK: recipes

    @Test(arguments: StockFiles.versions)
    func addAPIKeyAppendsAHandWrittenSectionAndRemoveKeyUndoesIt(version: String) throws {
        let stock = try F.stock(version)
        var editor = ConfigEditor(stock)
        try editor.addAPIKey(key: F.key, allowFrom: "10.0.0.*")
        #expect(editor.document.render() == stock.render()
                + Array("\n[\(F.key)]\n    type = api\n    enabled = yes\n    allow from = 10.0.0.*\n".utf8))
        // The same again changes nothing; other settings are a conflict that says what differs.
        let added = editor.document
        try editor.addAPIKey(key: F.key, allowFrom: "10.0.0.*")
        #expect(editor.document == added)
        let conflict = try #require(throws: EditError.self) { try editor.addAPIKey(key: F.key, allowFrom: "192.168.*") }
        #expect(conflict.code == .sectionExists && conflict.message.contains("`allow from` is `10.0.0.*` there, `192.168.*` asked"), "\(conflict)")
        try editor.removeKey(F.key)
        #expect(editor.document == stock)
        try editor.removeKey(F.key)  // already gone: unchanged
        #expect(editor.document == stock)
    }

    @Test func addAPIKeyRejectsNonCanonicalKeys() throws {
        var editor = ConfigEditor(Document("[stream]\n    enabled = no\n"))
        let before = editor.document
        for bad in ["11111111-2222-3333-4444-55555555555A", "my-api-key", "", "stream"] {
            let error = try #require(throws: EditError.self) { try editor.addAPIKey(key: bad, allowFrom: nil) }
            #expect(error.code == .invalidKey)
            #expect(!error.message.isEmpty)
        }
        #expect(editor.document == before)
    }

    @Test func addMachineWithDefaultsAndOverrides() throws {
        #expect(try edited("[stream]\n    enabled = no\n") { try $0.addMachine(guid: F.key) }
                == "[stream]\n    enabled = no\n\n[\(F.key)]\n    type = machine\n    enabled = yes\n")
        #expect(try edited("") { try $0.addMachine(guid: F.key, options: [("enabled", "no"), ("db", "ram")]) }
                == "[\(F.key)]\n    type = machine\n    enabled = no\n    db = ram\n")
    }

    @Test func disableKeyNeedsTheSectionAndRemovingAMissingOneChangesNothing() throws {
        var editor = ConfigEditor(try F.stock(F.v1))
        #expect(throws: EditError.sectionMissing(F.key)) { try editor.disableKey(F.key) }
        let before = editor.document
        try editor.removeKey(F.key)  // nothing to remove: unchanged, not an error
        #expect(editor.document == before)
        #expect(try #require(throws: EditError.self) { try editor.removeKey("stream") }.code == .invalidKey)
        #expect(try #require(throws: EditError.self) { try editor.disableKey("stream") }.code == .invalidKey)
        try editor.addAPIKey(key: F.key, allowFrom: nil)
        try editor.disableKey(F.key)
        #expect(editor.document.renderedString.hasSuffix("[\(F.key)]\n    type = api\n    enabled = no\n"))
        #expect(editor.listKeys().last == KeyEntry(name: F.key, role: .api, enabled: false, allowFrom: nil,
                                                   line: editor.document.lines.count - 2))
    }

    @Test(arguments: StockFiles.versions)
    func setChildOnStockFileEditsInPlace(version: String) throws {
        let stock = try F.stock(version)
        let stream = try F.index(of: "[stream]", in: stock)
        let enabled = try F.index(of: "    enabled = no", in: stock, from: stream)
        let destination = try F.index(of: "    destination =", in: stock)
        let apiKey = try F.index(of: "    api key =", in: stock)
        let skip = try F.index(of: "    #ssl skip certificate verification = yes", in: stock)
        let caPath = try F.index(of: "    #CApath =", in: stock)
        let caFile = try F.index(of: "    #CAfile =", in: stock)
        var editor = ConfigEditor(stock)
        try editor.setChild(destinations: ["parent1:19999", "parent2:SSL"], apiKey: F.key, ssl: true,
                            caFile: "/etc/ssl/ca.pem", caPath: "/etc/ssl/certs")
        var expected = stock.lines
        expected[enabled] = F.line("    enabled = yes")
        expected[destination] = F.line("    destination = parent1:19999:SSL parent2:SSL")
        expected[apiKey] = F.line("    api key = \(F.key)")
        expected[caPath] = F.line("    CApath = /etc/ssl/certs")
        expected[caFile] = F.line("    CAfile = /etc/ssl/ca.pem")
        #expect(editor.document.lines == expected)
        #expect(editor.document.lines[skip] == stock.lines[skip], "the stock comment stays")

        // Running it again changes nothing; without TLS options CAfile and CApath stay.
        let once = editor.document
        try editor.setChild(destinations: ["parent1:19999", "parent2:SSL"], apiKey: F.key, ssl: true,
                            caFile: "/etc/ssl/ca.pem", caPath: "/etc/ssl/certs")
        #expect(editor.document == once)
        try editor.setChild(destinations: ["parent1"], apiKey: F.key)
        expected[destination] = F.line("    destination = parent1")
        #expect(editor.document.lines == expected)
    }

    /// Issue 17 item 7: switching a child between skipping verification and verifying with a CA
    /// file reactivates and comments out the stock lines where they are, on both stock files; a
    /// CAfile/CApath is commented out when verification is switched off; the file round-trips.
    @Test(arguments: StockFiles.versions)
    func switchingTLSModesCommentsOutAndReactivatesInPlace(version: String) throws {
        let stock = try F.stock(version)
        let skip = try F.index(of: "    #ssl skip certificate verification = yes", in: stock)
        let caPath = try F.index(of: "    #CApath =", in: stock)
        let caFile = try F.index(of: "    #CAfile =", in: stock)
        let destinations = ["parent.example:19999"]
        var editor = ConfigEditor(stock)
        try editor.setChild(destinations: destinations, apiKey: F.key, ssl: true, caPath: "/etc/ssl/certs")
        try editor.setChild(destinations: destinations, apiKey: F.key, ssl: true, skipCertificateVerification: true)
        let skipping = editor.document
        #expect(skipping.lines.count == stock.lines.count, "no line added or removed")
        #expect(skipping.lines[skip] == F.line("    ssl skip certificate verification = yes"))
        #expect(skipping.lines[caPath] == F.line("    #CApath = /etc/ssl/certs"), "CApath commented out in place")
        #expect(skipping.lines[caFile] == stock.lines[caFile])

        try editor.setChild(destinations: destinations, apiKey: F.key, ssl: true, caFile: "/etc/netdata/ssl/parent.crt")
        let verifying = editor.document
        #expect(verifying.lines.count == stock.lines.count)
        #expect(verifying.lines[skip] == stock.lines[skip], "back to the stock comment, byte for byte")
        #expect(verifying.lines[caFile] == F.line("    CAfile = /etc/netdata/ssl/parent.crt"))
        #expect(verifying.lines[caPath] == F.line("    #CApath = /etc/ssl/certs"))
        // Straight from the stock file (plus the CApath the child once had) gives the same bytes.
        var direct = ConfigEditor(stock)
        try direct.setChild(destinations: destinations, apiKey: F.key, ssl: true, caFile: "/etc/netdata/ssl/parent.crt")
        #expect(direct.document.lines.enumerated().filter { $0.offset != caPath }.map(\.element)
                == verifying.lines.enumerated().filter { $0.offset != caPath }.map(\.element))

        // And back: the CAfile is commented out where it is, the skip line reactivated.
        try editor.setChild(destinations: destinations, apiKey: F.key, ssl: true, skipCertificateVerification: true)
        #expect(editor.document.lines[caFile] == F.line("    #CAfile = /etc/netdata/ssl/parent.crt"))
        #expect(editor.document == Document(bytes: editor.document.render()))
        #expect(Document(bytes: editor.document.render()).render() == editor.document.render(), "lossless")
        let ini = Ini(editor.document)
        #expect(ini.section("stream")?.value("CAfile") == nil && ini.section("stream")?.value("CApath") == nil)
        #expect(ini.section("stream")?.value("ssl skip certificate verification") == "yes")
    }

    @Test func skippingVerificationWithACAFileIsRefused() throws {
        var editor = ConfigEditor(try F.stock(F.v1))
        let before = editor.document
        let error = try #require(throws: EditError.self) {
            try editor.setChild(destinations: ["p:SSL"], apiKey: F.key, skipCertificateVerification: true, caFile: "/ca.pem")
        }
        #expect(error.code == .invalidValue && error.message.contains("not both"))
        #expect(editor.document == before)
    }

    @Test func commentOutKeepsEveryOtherByte() throws {
        var editor = ConfigEditor(Document("[stream]\r\n\tCAfile = /a\r\n    x = 1\r\n    CAfile = /b"))
        #expect(try editor.commentOut(section: "stream", key: "CAfile"))
        #expect(editor.document.renderedString == "[stream]\r\n\t#CAfile = /a\r\n    x = 1\r\n    #CAfile = /b")
        #expect(try !editor.commentOut(section: "stream", key: "CAfile"), "nothing left to comment out")
        try editor.set(section: "stream", key: "CAfile", value: "/c")
        #expect(editor.document.renderedString == "[stream]\r\n\tCAfile = /c\r\n    x = 1\r\n    #CAfile = /b", "set reactivates the first one")
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func setChildIsAllOrNothing() throws {
        var editor = ConfigEditor(try F.stock(F.v2))
        let before = editor.document
        #expect(try #require(throws: EditError.self) { try editor.setChild(destinations: [], apiKey: F.key) }.code == .invalidValue)
        #expect(try #require(throws: EditError.self) { try editor.setChild(destinations: ["a b"], apiKey: F.key) }.code == .invalidValue)
        #expect(try #require(throws: EditError.self) { try editor.setChild(destinations: ["a"], apiKey: "KEY") }.code == .invalidKey)
        #expect(try #require(throws: EditError.self) {
            try editor.setChild(destinations: ["a"], apiKey: F.key, caFile: "x\ny")
        }.code == .invalidValue)
        #expect(editor.document == before)
    }

    @Test(.enabled(if: StockFiles.hasV2, Comment(rawValue: StockFiles.v2Missing))) func listKeysOnStockFiles() throws {
        let v2 = try F.stock(F.v2)
        #expect(ConfigEditor(v2).listKeys() == [
            KeyEntry(name: "API_KEY", role: .api, enabled: false, allowFrom: nil, line: try F.index(of: "[API_KEY]", in: v2) + 1),
            KeyEntry(name: "MACHINE_GUID", role: .machine, enabled: false, allowFrom: nil, line: try F.index(of: "[MACHINE_GUID]", in: v2) + 1),
        ])
        let v1 = try F.stock(F.v1)
        #expect(ConfigEditor(v1).listKeys().map(\.allowFrom) == ["*", "*"])
    }

    @Test func listKeysReadsRolesAndBooleansLikeNetdata() {
        let text = "[stream]\n    enabled = yes\n[a]\n    enabled = On Demand\n[b]\n    type = API\n    enabled = 1\n[c]\n    type = machine\n    type = api\n"
        #expect(ConfigEditor(Document(text)).listKeys() == [
            KeyEntry(name: "a", role: .unspecified, enabled: true, allowFrom: nil, line: 3),
            KeyEntry(name: "b", role: .invalid("API"), enabled: false, allowFrom: nil, line: 5),
            KeyEntry(name: "c", role: .api, enabled: false, allowFrom: nil, line: 8),
        ])
    }

    // MARK: refusals

    @Test func refusesWhatNetdataWouldReadDifferently() throws {
        var editor = ConfigEditor(Document("[s]\n    k = 1\n"))
        let before = editor.document
        let cases: [(String, String, String, EditError.Code)] = [
            ("s", "k", "a\nb", .invalidValue),
            ("s", "k", " padded", .invalidValue),
            ("s", "a=b", "1", .invalidName),
            ("s", "", "1", .invalidName),
            ("s", "#k", "1", .invalidName),
            ("s", "[a", "b]", .invalidValue),
            ("s", "k", String(repeating: "x", count: 9_000), .lineTooLong),
            ("a\nb", "k", "1", .invalidName),
        ]
        for (section, key, value, code) in cases {
            let error = try #require(throws: EditError.self) { try editor.set(section: section, key: key, value: value) }
            #expect(error.code == code, "\(section) \(key) \(value.prefix(20))")
        }
        #expect(editor.document == before)
    }

    @Test func refusesToEditAnOverLongLine() throws {
        let text = "[s]\n    k = " + String(repeating: "x", count: 9_000) + "\n"
        var editor = ConfigEditor(Document(text))
        let error = try #require(throws: EditError.self) { try editor.set(section: "s", key: "k", value: "1") }
        #expect(error.code == .lineTooLong)
        #expect(editor.document.renderedString == text)
    }
}
