import Foundation
import Testing
@testable import StreamConfig

/// README.md, the man pages and the rule explanations show only netdata.conf lines that come
/// from `Advice` (which AdviceInteropTests applies to a real Netdata): no copy can drift.
@Suite struct AdviceDocsTests {
    static let documents = ["README.md", "man/stream-config.1", "man/stream.conf.5"]

    /// `NAME = VALUE` for the netdata.conf options stream-config advises on, as written in `text`
    /// (a Markdown code span, a table cell or an mdoc `.Ql`/literal line).
    static func adviceLines(in text: String) -> [String] {
        var found: [String] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.replacingOccurrences(of: "\\|", with: "|")
            for match in line.matches(of: /(?:^|[^#\w])(bind to|ssl key|ssl certificate|allow streaming from) = ([^`"\n]*)/) {
                var value = String(match.2).trimmingCharacters(in: .whitespaces)
                // mdoc closing punctuation (`.Ql bind to = X ,`) and Markdown table cells.
                while let last = value.split(separator: " ").last, [",", ".", ";", ")", "|"].contains(last) {
                    value = String(value.dropLast(last.count)).trimmingCharacters(in: .whitespaces)
                }
                if let cell = value.range(of: " | ") { value = String(value[..<cell.lowerBound]) }
                guard value != "..." else { continue }
                found.append("\(match.1) = \(value)")
            }
        }
        return found
    }

    @Test(arguments: documents)
    func testEveryNetdataConfLineInTheDocsIsAdviceFromCode(_ document: String) throws {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent(document), encoding: .utf8)
        let lines = Self.adviceLines(in: text)
        let stray = lines.filter { !Advice.documented.contains($0) }
        #expect(stray.isEmpty, "\(document) shows netdata.conf lines that are not in Advice.documented: \(stray)")
    }

    @Test func testTheDocsShowTheTLSForcedLine() throws {
        for document in Self.documents {
            let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent(document), encoding: .utf8)
            #expect(Self.adviceLines(in: text).contains(Advice.bindTo(.tlsForced)), "\(document)")
        }
    }

    @Test func testRuleExplanationsOnlyShowAdvice() {
        for rule in Rules.all {
            let stray = Self.adviceLines(in: rule.explanation).filter { !Advice.documented.contains($0) }
            #expect(stray.isEmpty, "\(rule.code): \(stray)")
        }
    }

    /// The advice itself reads, with Netdata's grammar, as what it promises.
    @Test func testEveryAdvisedBindToReadsAsPromised() {
        func entries(_ line: String) -> [BindTo.Entry] { BindTo(String(line.dropFirst("bind to = ".count))).entries }
        for listen in Advice.Listen.allCases {
            let parsed = entries(Advice.bindTo(listen))
            #expect(!parsed.isEmpty && parsed.allSatisfy { $0.numericPort != nil && !$0.caretInPort && $0.unknownOptions.isEmpty && $0.unknownAccessWords.isEmpty }, "\(listen)")
            #expect(parsed.contains { $0.access.contains(.streaming) }, "\(listen)")
        }
        #expect(entries(Advice.bindTo(.tlsForced)).map(\.tls) == [.force])
        #expect(entries(Advice.bindTo(.tlsForced)).first?.access == Set(BindTo.Access.allCases))
        #expect(entries(Advice.bindTo(.tlsOptional)).map(\.tls) == [.optional])
        let split = entries(Advice.bindTo(.streamingPortTLSForced, address: Advice.documentedLocalAddress))
        #expect(split.map(\.tls) == [.default, .force] && split[1].access == [.streaming] && split[0].host == "localhost")
    }

    @Test func testTheBrokenFormIsReadAsNetdataReadsIt() throws {
        let entry = try #require(BindTo("*:19999^SSL=force").entries.first)
        #expect(entry.port == "19999^SSL" && entry.caretInPort && entry.numericPort == nil)
        // What follows the `=` is read as the access list: `force` is no access word.
        #expect(entry.accessWords == ["force"] && entry.access.isEmpty && entry.tls == .default)
    }
}
