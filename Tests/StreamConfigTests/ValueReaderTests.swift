import Testing
@testable import StreamConfig

@Suite struct ValueReaderTests {
    @Test(arguments: ["yes", "YES", "True", "on", "auto", "on demand", "On Demand"])
    func testBooleanTrueWords(_ word: String) { #expect(NetdataBool.read(word)) }

    @Test(arguments: ["1", "y", "enable", "enabled", "yes # note", "no", "", "0", "ja"])
    func testEverythingElseIsFalse(_ word: String) { #expect(!NetdataBool.read(word)) }

    @Test func testYesNoAutoIsCaseSensitiveAndVersionDependent() {
        #expect(YesNoAuto.read("YES", target: .v2) == nil)
        #expect(YesNoAuto.read("true", target: .v1_37) == nil)
        #expect(YesNoAuto.read("true", target: .v2) == .yes)
        #expect(YesNoAuto.read("on demand", target: .v1_37) == .auto)
    }

    @Test func testStrtollBaseZeroQuirks() {
        #expect(StrToLL("019999").value == 1)
        #expect(StrToLL("010").value == 8)
        #expect(StrToLL("0x1F").value == 31)
        #expect(StrToLL("60s").value == 60)
        #expect(StrToLL("60s").consumed == 2)
        #expect(StrToLL("abc").hasDigits == false)
        #expect(StrToLL("abc").value == 0)
        #expect(StrToLL("-5").value == -5)
        #expect(StrToLL("0x").value == 0)
        #expect(StrToLL("99999999999999999999").value == Int64.max)
    }

    @Test func testDurationsFollowNetdataIncludingMIsMinutes() {
        #expect(NetdataDuration.parseSeconds("5m") == 300)
        #expect(NetdataDuration.parseSeconds("5M") == 300)
        #expect(NetdataDuration.parseSeconds("1mo") == 2_592_000)
        #expect(NetdataDuration.parseSeconds("1h30m") == 5400)
        #expect(NetdataDuration.parseSeconds("1h -15m") == 2700)
        #expect(NetdataDuration.parseSeconds("1.5h") == 5400)
        #expect(NetdataDuration.parseSeconds("60") == 60)
        #expect(NetdataDuration.parseSeconds("off") == 0)
        #expect(NetdataDuration.parseSeconds("never") == 0)
        #expect(NetdataDuration.parseSeconds("5 minutes") == 300)
        #expect(NetdataDuration.parseSeconds("10 xyz") == nil)
        #expect(NetdataDuration.parseSeconds("0x10") == nil)
        #expect(NetdataDuration.parseSeconds("") == nil)
        #expect(NetdataDuration.format(seconds: 86400) == "1d")
        #expect(NetdataDuration.format(seconds: 600) == "10m")
    }

    @Test func testSizesAreCaseSensitive() {
        #expect(NetdataSize.parseBytes("10MiB") == 10 * 1024 * 1024)
        #expect(NetdataSize.parseBytes("10 MiB") == 10 * 1024 * 1024)
        #expect(NetdataSize.parseBytes("10MiBs") == 10 * 1024 * 1024)
        #expect(NetdataSize.parseBytes("10MB") == 10_000_000)
        #expect(NetdataSize.parseBytes("1024") == 1024)
        #expect(NetdataSize.parseBytes("10mb") == nil)
        #expect(NetdataSize.parseBytes("off") == 0)
        #expect(NetdataSize.parseBytes("-1") == nil)
        #expect(NetdataSize.caseMistake("10mb") == "MB")
        #expect(NetdataSize.format(bytes: 10_485_760) == "10MiB")
    }

    @Test func testSimplePatternFirstMatchWins() {
        let ordered = SimplePattern("!10.1.2.3 10.*")
        #expect(!ordered.matches("10.1.2.3"))
        #expect(ordered.matches("10.9.9.9"))
        let wrongOrder = SimplePattern("10.* !10.1.2.3")
        #expect(wrongOrder.matches("10.1.2.3"))
        #expect(!SimplePattern("!a !b").matches("c"))
        #expect(SimplePattern("a*b*c").matches("aXbYc"))
        #expect(!SimplePattern("a*b").matches("aXbY"))
        #expect(SimplePattern("a\\ b").words.map(\.text) == ["a b"])
        #expect(!SimplePattern("10.0.0.1,10.0.0.2").matches("10.0.0.1"))
        #expect(SimplePattern("").words.isEmpty)
    }

    @Test func testPeerNamesForAllowFrom() {
        #expect(PeerName.forAllowFrom("127.0.0.1") == "localhost")
        #expect(PeerName.forAllowFrom("::1") == "localhost")
        #expect(PeerName.forAllowFrom("::ffff:10.1.2.3") == "10.1.2.3")
        #expect(PeerName.forAllowFrom("127.0.0.2") == "127.0.0.2")
    }

    @Test func testDestinationGrammarOnNetdata2() {
        let list = DestinationList.parse("tcp:10.0.0.1:19999, [fe80::1]%eth0:20000:SSL host:SSL:20000 unix:/run/nd.sock /tmp/x", target: .v2)
        #expect(list.count == 5)
        #expect(list[0].host == "10.0.0.1" && list[0].port == "19999" && !list[0].tls)
        #expect(list[1].host == "fe80::1" && list[1].interface == "eth0" && list[1].port == "20000" && list[1].tls)
        #expect(list[2].host == "host" && list[2].port == nil && list[2].tls && list[2].droppedAfterTLS == ":20000")
        #expect(list[3].transport == .unix && list[3].host == "/run/nd.sock")
        #expect(list[4].transport == .unix)
        let url = DestinationList.parse("tcp://host:19999", target: .v2)[0]
        #expect(url.host == "//host")
        let bare6 = DestinationList.parse("fe80::1", target: .v2)[0]
        #expect(bare6.host == "fe80" && bare6.port == ":1")
    }

    @Test func testDestinationGlobalSSLOnNetdata137() {
        let list = DestinationList.parse("a:19999 b:19999:SSL c:19999", target: .v1_37)
        #expect(list.map(\.host) == ["a", "b"])
        #expect(list.allSatisfy { $0.tls })
    }

    @Test func testUUIDSyntax() {
        #expect(UUIDSyntax.classify("11111111-2222-3333-4444-555555555555") == .canonical)
        #expect(UUIDSyntax.classify("ABCDEF01-2222-3333-4444-555555555555") == .notLowercase)
        #expect(UUIDSyntax.classify("11111111222233334444555555555555") == .invalid)
        #expect(UUIDSyntax.classify("stream") == .invalid)
    }

    @Test func testKeyGeneratorMakesCanonicalRandomVersion4UUIDs() {
        let keys = (0..<100).map { _ in KeyGenerator.randomKey() }
        #expect(Set(keys).count == 100)
        for key in keys {
            #expect(UUIDSyntax.classify(key) == .canonical)
            #expect(Array(key)[14] == "4")
        }
    }
}
