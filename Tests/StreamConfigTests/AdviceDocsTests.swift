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

    /// The lines of the documentation's literal blocks: Markdown fenced code blocks and mdoc
    /// `.Bd -literal` ... `.Ed`, as a reader copies them (mdoc's `\e` is a backslash).
    static func literalLines(in text: String) -> [String] {
        var lines: [String] = []
        var inside = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.hasPrefix("```") || line.hasPrefix(".Bd ") || line == ".Ed" {
                inside = line.hasPrefix(".Bd ") ? line.contains("-literal") : line.hasPrefix("```") ? !inside : false
                continue
            }
            if inside { lines.append(line.replacingOccurrences(of: "\\e", with: "\\")) }
        }
        return lines
    }

    /// The rule for stream.conf advice in the docs: a literal-block line that reads `NAME = ...`
    /// (after its indentation) where NAME is a stream.conf option of 1.37 or 2.x. The whole rest
    /// of the line is the value, as Netdata reads it: a `# comment` after it is part of the line.
    static func streamConfAdviceLines(in text: String) -> [String] {
        let names = Set(Schema.v1.allNames + Schema.v2.allNames)
        return literalLines(in: text).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.range(of: " = "), names.contains(String(trimmed[..<equals.lowerBound])) else { return nil }
            return trimmed
        }
    }

    @Test(arguments: documents)
    func testEveryStreamConfLineInTheDocsIsAdviceFromCode(_ document: String) throws {
        let text = try String(contentsOf: Paths.packageRoot.appendingPathComponent(document), encoding: .utf8)
        let stray = Self.streamConfAdviceLines(in: text).filter { !StreamAdvice.documented.contains($0) }
        #expect(stray.isEmpty, "\(document) shows stream.conf lines that are not in StreamAdvice.documented: \(stray)")
    }

    /// Each stanza of `StreamAdvice.documentedStanzas` is shown, line after line, in some document:
    /// the catalogue holds no example the docs dropped.
    @Test func testEveryDocumentedStanzaIsInTheDocs() throws {
        let blocks = try Self.documents.map { document in
            Self.literalLines(in: try String(contentsOf: Paths.packageRoot.appendingPathComponent(document), encoding: .utf8))
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") }
        }
        for stanza in StreamAdvice.documentedStanzas {
            let shown = blocks.contains { lines in
                lines.indices.contains { start in Array(lines[start...].prefix(stanza.lines.count)) == stanza.lines }
            }
            #expect(shown, "\(stanza.name): \(stanza.lines) is not shown in README.md or the man pages")
        }
    }

    /// The rule catches what it is for: a pasted comment after a value, a misspelt value.
    @Test func testTheStreamConfRuleFlagsStrayLines() {
        let markdown = "```ini\n[stream]\n    enabled = yes    # on\n    destination = 10.0.0.1:19999\n    CAfile = /x.pem\n```\n`type = api` in prose\n"
        #expect(Self.streamConfAdviceLines(in: markdown) == ["enabled = yes    # on", "destination = 10.0.0.1:19999", "CAfile = /x.pem"])
        let mdoc = ".Bd -literal -offset indent\n    type = api\n    bind to = *:19999\n.Ed\n.Ql enabled = no\n"
        #expect(Self.streamConfAdviceLines(in: mdoc) == ["type = api"])
        #expect(!StreamAdvice.documented.contains("enabled = yes    # on"))
    }

    /// The documented stanzas, in the section they belong to, pass lint for their Netdata line
    /// (the relay's: no error, which is what the relay requires; its `:SSL` proxy destinations
    /// are SC509 for a 1.37.1 Netdata, and only the relay understands them).
    @Test func testTheDocumentedStanzasLintClean() {
        for stanza in StreamAdvice.documentedStanzas {
            let target: NetdataTarget = stanza.name.contains("2.x") || stanza.name.contains("machine") ? .v2 : .v1_37
            let header = stanza.name.contains("[stream]") || stanza.name.contains("child") ? "stream"
                : stanza.name.contains("machine") ? "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5" : StreamAdvice.Example.key
            let text = "[\(header)]\n" + stanza.lines.map { "    \($0)\n" }.joined()
            let relay = stanza.name.hasPrefix("relay")
            let found = Linter.lint(bytes: Array(text.utf8), file: "stanza", options: LintOptions(target: target)).diagnostics
                .filter { $0.severity == .error || (!relay && $0.severity == .warning) }
            #expect(found.isEmpty, "\(stanza.name): \(found.map { "\($0.code) \($0.message)" })")
        }
    }

    /// Lint's hints print the StreamAdvice lines that AdviceStreamConfInteropTests applies to a
    /// real 1.37.1: each case is a file, the target, the code and the line its hint must name.
    @Test func testLintHintsPrintStreamAdvice() {
        let key = StreamAdvice.Example.key
        let cases: [(String, NetdataTarget, String, String)] = [
            ("[\(key)]\n    type = api\n", .v1_37, "SC306", StreamAdvice.enableKey),
            ("[\(key)]\n    enabled = yes\n", .v1_37, "SC309", StreamAdvice.typeAPI),
            ("[\(key)]\n    type = API\n    enabled = yes\n", .v1_37, "SC304", StreamAdvice.typeAPI),
            ("[\(key)]\n    type = api\n    enabled = yes\n    allow from = !10.1.2.3\n", .v1_37, "SC601", StreamAdvice.allowEveryoneElse("allow from", "!10.1.2.3")),
            ("[\(key)]\n    type = api\n    enabled = yes\n    allow from = 127.*\n", .v1_37, "SC609", StreamAdvice.allowLocalhostToo("allow from", "127.*")),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n    send charts matching = !apps.*\n", .v1_37, "SC607", StreamAdvice.allowEveryoneElse("send charts matching", "!apps.*")),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n    timeout seconds = 0\n", .v1_37, "SC411", StreamAdvice.builtInTimeout(.v1_37)),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n    timeout = 0\n", .v2, "SC411", StreamAdvice.builtInTimeout(.v2)),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n", .v1_37, "SC706", StreamAdvice.stockTimeout137),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n    timeout seconds = 60\n[\(key)]\n    type = api\n    enabled = yes\n", .v1_37, "SC704", StreamAdvice.noProxy(.v1_37, machine: false)),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n[\(key)]\n    type = api\n    enabled = yes\n", .v2, "SC704", StreamAdvice.noProxy(.v2, machine: false)),
            // Netdata's documentation key: a key of one's own, in the lines `parent add-key` and `child set` write.
            ("[\(ExampleKeys.documentation[0])]\n    type = api\n    enabled = yes\n", .v1_37, "SC311", StreamAdvice.typeAPI),
            ("[\(ExampleKeys.documentation[0])]\n    type = api\n    enabled = yes\n", .v1_37, "SC311", StreamAdvice.enableKey),
            ("[\(ExampleKeys.documentation[0])]\n    type = api\n    enabled = yes\n    allow from = 10.*\n", .v2, "SC310", StreamAdvice.apiKey("NEW-KEY")),
            ("[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(ExampleKeys.documentation[0])\n", .v2, "SC310", StreamAdvice.apiKey("NEW-KEY")),
        ]
        for (text, target, code, line) in cases {
            let found = Linter.lint(bytes: Array(text.utf8), file: "f", options: LintOptions(target: target)).diagnostics.filter { $0.code == code }
            #expect(found.contains { $0.hint?.contains("`\(line)`") == true }, "\(code) on \(target): \(found.map { $0.hint ?? "-" }) should name `\(line)`")
        }
        // SC420 (a CA file that is no certificate here): the documented CAfile line.
        let caFile = "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999:SSL\n    api key = \(key)\n    CAfile = /x.pem\n"
        let facts = [FileFact(option: "CAfile", path: "/x.pem", problem: "does not exist")]
        let sc420 = Linter.lint(bytes: Array(caFile.utf8), file: "f", options: LintOptions(target: .v2, fileFacts: facts)).diagnostics.filter { $0.code == "SC420" }
        #expect(sc420.first?.hint?.contains("`\(StreamAdvice.caFile(StreamAdvice.Example.parentCertificate))`") == true, "\(sc420)")
        // doctor's fixes.
        let refused = AnswerDiagnosis.diagnose(.answered(Array(StreamAnswer.notPermitted.utf8)), destination: "10.0.0.5:19999", usedTLS: false, peerAddress: "10.1.2.3")
        for line in StreamAdvice.keySection(allowFrom: "10.1.2.3") { #expect(refused.fix?.contains("`\(line)`") == true, "\(refused)") }
        // An address doctor could not learn is no pattern: no `allow from` line is advised.
        let unknown = AnswerDiagnosis.diagnose(.answered(Array(StreamAnswer.notPermitted.utf8)), destination: "10.0.0.5:19999", usedTLS: false, peerAddress: "this node's address")
        #expect(unknown.fix?.contains("allow from =") == false && unknown.fix?.contains("`\(StreamAdvice.enableKey)`") == true, "\(unknown)")
        let plain = AnswerDiagnosis.diagnose(.answered(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)), destination: "10.0.0.5:19999", usedTLS: false, peerAddress: "10.1.2.3")
        #expect(plain.code == "tls-expected" && plain.fix?.contains("`10.0.0.5:19999:SSL`") == true && plain.fix?.contains("`\(StreamAdvice.caFile(StreamAdvice.Example.parentCertificate))`") == true, "\(plain)")
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
