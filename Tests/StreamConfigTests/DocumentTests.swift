import Testing
import TestSupport
@testable import StreamConfig

@Suite struct DocumentTests {
    @Test(arguments: [
        "", "\n", "[stream]\n    enabled = yes\n", "no final newline", "a\r\nb\r\n", "\u{FEFF}[stream]\n",
        "\r\n\r\n", "x = y\n\n\n", "[a]\nk=v", "\t# comment\t\n",
    ])
    func testRenderReturnsTheSameBytes(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(Document(bytes: bytes).render() == bytes)
    }

    @Test func testRoundTripOfRandomBytesIncludingInvalidUTF8() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let length = Int.random(in: 0..<400, using: &rng)
            // Bias toward newlines, brackets and `=` so the parser's paths are exercised.
            let alphabet: [UInt8] = [10, 13, 32, 9, 61, 91, 93, 35, 0xEF, 0xBB, 0xBF, 0xFF, 0x00, 0x80, 97, 98]
            let bytes = (0..<length).map { _ in Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng) }
            let document = Document(bytes: bytes)
            #expect(document.render() == bytes)
            _ = Ini(document)  // must not trap
        }
    }

    @Test func testLinesLongerThanNetdataReadsRoundTripAndSplitLikeFgets() {
        let long = "[stream]\n    destination = " + String(repeating: "a", count: 9000) + " = tail\n"
        let document = Document(long)
        #expect(document.render() == Array(long.utf8))
        let ini = Ini(document)
        // Netdata reads 8191 bytes, then the rest of the line as a new line.
        let chunks = ini.entries.filter { $0.line == 1 }
        #expect(chunks.count == 2)
        #expect(chunks[0].chunk == 0..<8191)
        guard case .option(let rest) = chunks[1].kind else { Issue.record("rest should be read as an option line"); return }
        #expect(rest.value == "tail")
    }

    @Test func testCRLFValuesAreTrimmed() {
        let ini = Ini(Document("[stream]\r\n    enabled = yes\r\n"))
        #expect(ini.section("stream")?.value("enabled") == "yes")
    }

    @Test func testHeaderWithTrailingCommentIsNotAHeaderAndKeysStayInPreviousSection() {
        let ini = Ini(Document("[stream]\n    enabled = no\n[11111111-2222-3333-4444-555555555555] # lab\n    enabled = yes\n"))
        #expect(ini.sections.map(\.name) == ["stream"])
        #expect(ini.section("stream")?.value("enabled") == "yes")
    }

    @Test func testBOMMakesTheFirstHeaderUnreadable() {
        let ini = Ini(Document("\u{FEFF}[stream]\n    enabled = yes\n"))
        #expect(ini.sections.isEmpty)
        if case .outsideSection = ini.entries[0].kind {} else { Issue.record("BOM line must not be a header") }
    }

    @Test func testFirstEqualsSplitsAndValueKeepsInnerSpaces() {
        let option = Ini(Document("[s]\n  a  b = c = d  \n")).section("s")!.option("a  b")!
        #expect(option.value == "c = d")
        #expect(option.keyRange == 2..<6)
    }

    @Test func testDuplicateSectionsMergeAndLastKeyWins() {
        let ini = Ini(Document("[s]\nk = 1\n[t]\n[s]\nk = 2\n"))
        #expect(ini.sections.count == 2)
        #expect(ini.section("s")?.value("k") == "2")
        #expect(ini.section("s")?.options.count == 2)
    }

    @Test func testNamesAreCaseSensitiveAndNotTrimmedInsideBrackets() {
        let ini = Ini(Document("[ stream ]\nenabled = yes\n[Stream]\n"))
        #expect(ini.section("stream") == nil)
        #expect(ini.section(" stream ") != nil)
        #expect(ini.section("Stream") != nil)
    }

    @Test func testSemicolonIsNotAComment() {
        let ini = Ini(Document("[s]\n; k = v\n"))
        #expect(ini.section("s")?.value("; k") == "v")
    }

    @Test func testByteSearchAndLookupsAgreeWithTheSlowForms() {
        for text in ["", "#", "a#", "ab", String(repeating: "x", count: 40) + "#", String(repeating: "y", count: 40), "é#", "é"] {
            #expect(text.containsByte(UInt8(ascii: "#")) == text.utf8.contains(UInt8(ascii: "#")), "\(text)")
        }
        // Absent names (by length or by bytes), repeated names, and names of 63 bytes or more.
        let long = String(repeating: "n", count: 70)
        let section = Ini(Document("[s]\nab = 1\ncd = 2\nab = 3\n\(long) = 4\n")).section("s")
        #expect(section?.value("ab") == "3")
        #expect(section?.value("cd") == "2")
        #expect(section?.value("ef") == nil)
        #expect(section?.value("abc") == nil)
        #expect(section?.value(long) == "4")
        #expect(section?.value(String(repeating: "n", count: 64)) == nil)
        #expect(section?.hasDuplicates == true)
        #expect(section?.laterDuplicates() == [2, nil, nil, nil])
    }
}
