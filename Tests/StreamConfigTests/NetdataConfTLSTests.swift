import Testing
@testable import StreamConfig

/// `TLSNetdataConf.edit`: [web] ssl key / ssl certificate set losslessly, or refused with the
/// lines Netdata would misread.
@Suite struct NetdataConfTLSTests {
    func edit(_ text: String) throws(TLSNetdataConf.Refusal) -> TLSNetdataConf.Edit {
        try TLSNetdataConf.edit(Document(text), path: "n.conf", keyPath: "/s/stream.key", certificatePath: "/s/stream.crt")
    }

    @Test func testSetsBothOptionsKeepingEveryOtherByte() throws {
        let result = try edit("# mine\n[global]\n    hostname = p\n\n[web]\n    bind to = *\n")
        #expect(result.changed)
        #expect(result.previousKey == nil && result.previousCertificate == nil)
        let text = String(decoding: result.document.render(), as: UTF8.self)
        #expect(text.hasPrefix("# mine\n[global]\n    hostname = p\n\n[web]\n    bind to = *\n"))
        let web = Ini(result.document).section("web")
        #expect(web?.value("ssl key") == "/s/stream.key")
        #expect(web?.value("ssl certificate") == "/s/stream.crt")
    }

    @Test func testReplacesOldValuesInPlaceAndReportsThem() throws {
        let result = try edit("[web]\r\n  ssl certificate=/old/c.pem\r\n  ssl key = /old/k.pem   \r\n")
        #expect(result.previousKey == "/old/k.pem" && result.previousCertificate == "/old/c.pem")
        #expect(String(decoding: result.document.render(), as: UTF8.self) == "[web]\r\n  ssl certificate=/s/stream.crt\r\n  ssl key = /s/stream.key   \r\n")
    }

    @Test func testAlreadySetIsNoChange() throws {
        let result = try edit("[web]\n    ssl key = /s/stream.key\n    ssl certificate = /s/stream.crt\n")
        #expect(!result.changed)
    }

    @Test func testCreatesTheWebSectionInAnEmptyFile() throws {
        let result = try edit("")
        #expect(Ini(result.document).section("web")?.value("ssl key") == "/s/stream.key")
    }

    @Test(arguments: [
        ("[global]\n    hostname = p\n\n[web\n    bind to = *\n", 4, "'[web' is not a section header for Netdata"),
        ("[global]\n    hostname = p\n[web] # TLS\n    bind to = *\n", 3, "'[web] # TLS' is not a section header for Netdata"),
        ("[web]\n    bind to\n", 2, "'bind to' has no '=': Netdata ignores the line"),
        ("ssl key = x\n[web]\n", 1, "'ssl key = x' comes before the first [section]: Netdata ignores the line"),
    ])
    func testRefusesLinesNetdataMisreads(text: String, line: Int, why: String) {
        #expect {
            _ = try edit(text)
        } throws: { error in
            guard let refusal = error as? TLSNetdataConf.Refusal else { return false }
            return refusal.problems.count == 1 && refusal.problems[0].line == line && refusal.problems[0].why.hasPrefix(why)
                && refusal.message.hasPrefix("n.conf: 1 line that Netdata does not read as written")
        }
    }

    @Test func testRefusesALineLongerThanNetdataReadsInOnePiece() {
        let long = "[web]\n    x = " + String(repeating: "a", count: 9000) + "\n"
        #expect {
            _ = try edit(long)
        } throws: { error in
            let problems = (error as? TLSNetdataConf.Refusal)?.problems ?? []
            return problems.map(\.line) == [2] && problems[0].why.contains("longer than Netdata reads in one piece (8190)")
        }
    }
}
