import Testing
@testable import StreamConfig

@Suite struct NetdataConfLintTests {
    func lintNetdata(_ text: String, target: NetdataTarget = .v1_37, unreadable: [String: String] = [:]) -> LintReport {
        Linter.lint(bytes: Array(text.utf8), file: "netdata.conf", options: LintOptions(target: target, kind: .netdata, unreadableFiles: unreadable))
    }

    @Test func testKindFromNameThenSections() {
        let web = Ini(Document("[web]\n    bind to = *\n"))
        #expect(ConfigKind.detect(fileName: "/etc/netdata/netdata.conf", ini: Ini(Document(""))).0 == .netdata)
        #expect(ConfigKind.detect(fileName: "parent.ini", ini: web).0 == .netdata)
        #expect(ConfigKind.detect(fileName: "/etc/netdata/stream.conf", ini: web).0 == .stream)
        #expect(ConfigKind.detect(fileName: "x.conf", ini: Ini(Document("[stream]\n    enabled = no\n[web]\n"))).0 == .stream)
        #expect(ConfigKind.detect(fileName: "x.conf", ini: Ini(Document("[11111111-2222-4333-8444-555555555555]\n    enabled = yes\n"))).0 == .stream)
        // stream.conf stays the default for every caller that does not ask (relay, edit, rewrite).
        #expect(LintOptions().kind == .stream)
    }

    @Test func testBindToGrammarEdgeCases() {
        let entries = BindTo("tcp:[::1]:19999=streaming^SSL=optional, unix:/run/nd.sock udp:10.0.0.1%eth0:8125 10.0.0.2=dashboard").entries
        #expect(entries.count == 4)
        #expect(entries[0].host == "::1" && entries[0].port == "19999" && entries[0].access == [.streaming] && entries[0].tls == .optional)
        #expect(entries[1].isUnix && entries[1].host == "/run/nd.sock")
        #expect(entries[2].isUDP && entries[2].host == "10.0.0.1" && entries[2].port == "8125")
        #expect(entries[3].port == nil && entries[3].access == [.dashboard])
        // `^SSL` inside the list applies too; the word before it still counts.
        let middle = BindTo("*:19999=streaming^SSL=force|dashboard").entries[0]
        #expect(middle.tls == .force && middle.access == [.streaming, .dashboard])
    }

    @Test func testTLSMessagesSayWhatHappensToChildren() throws {
        let forced = lintNetdata("[web]\n    \(Advice.bindTo(.tlsForced))\n")
        let nc201 = try #require(forced.diagnostics.first { $0.code == "NC201" })
        #expect(nc201.message.contains("refuses every child") && nc201.message.contains("HTTP 400"))
        let unreadable = lintNetdata("[web]\n    \(Advice.bindTo(.tlsForced))\n    ssl key = /k\n    ssl certificate = /c\n", unreadable: ["/k": "cannot be read (No such file or directory)"])
        #expect(unreadable.diagnostics.map(\.code) == ["NC202"])
        // 1.37.1 with a certificate: TLS children only; not said for 2.x or a forced port.
        let optional = "[web]\n    \(Advice.bindTo(.tlsOptional))\n    ssl key = /k\n    ssl certificate = /c\n"
        #expect(lintNetdata(optional).diagnostics.map(\.code) == ["NC203"])
        #expect(lintNetdata(optional, target: .v2).diagnostics.isEmpty)
        #expect(lintNetdata("[web]\n    \(Advice.bindTo(.tlsForced))\n    ssl key = /k\n    ssl certificate = /c\n").diagnostics.isEmpty)
    }

    @Test func testQuotedPluginDirectoriesAreNotFlagged() {
        let report = lintNetdata("[directories]\n    plugins = \"/a\" \"/b\"\n[web]\n    ssl key = \"/etc/netdata/ssl/key.pem\"\n")
        #expect(report.diagnostics.map { "\($0.code) \($0.line)" } == ["SC111 4"])
    }
}
