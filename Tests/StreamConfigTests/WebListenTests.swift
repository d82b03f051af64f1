import Testing
@testable import StreamConfig

/// `WebListen`, the one reader of where Netdata listens, and its three users: lint (NC108-NC110),
/// `fleet check` (FL201, FL202) and `doctor --parent` (bound-to-loopback), which print the same
/// fix (`Advice.listenOnEveryAddressFix`); applying it clears the finding in each.
@Suite struct WebListenTests {
    static func listen(_ text: String) -> WebListen { WebListen(Ini(Document(text))) }

    // MARK: Precedence

    @Test func testEachBindNameAloneIsRead() {
        let web = Self.listen("[web]\n    bind to = 10.0.0.5\n")
        #expect(web.bindName == "[web] bind to" && web.bindOption?.value == "10.0.0.5" && web.ignoredBinds.isEmpty)
        let debian = Self.listen("[global]\n    bind socket to IP = 127.0.0.1\n")
        #expect(debian.bindName == "[global] bind socket to IP" && debian.bindOption?.value == "127.0.0.1" && debian.bind.loopbackOnly)
        let oldest = Self.listen("[global]\n    bind to = [::1]\n")
        #expect(oldest.bindName == "[global] bind to" && oldest.bindOption?.line == 1 && oldest.bind.loopbackOnly)
        let none = Self.listen("[global]\n    hostname = p\n")
        #expect(none.bindOption == nil && none.bindName == "[web] bind to" && none.bind.entries.map(\.text) == ["*"])
        #expect(WebListen(nil).bindOption == nil && WebListen(nil).defaultPort == 19999)
    }

    @Test func testTheFirstSetNameWinsAndTheOthersAreIgnored() {
        let webAndSocket = Self.listen("[global]\n    bind socket to IP = 127.0.0.1\n[web]\n    bind to = *\n")
        #expect(webAndSocket.bindName == "[web] bind to" && webAndSocket.bindOption?.value == "*")
        #expect(webAndSocket.ignoredBinds.map(\.place.name) == ["[global] bind socket to IP"])
        let socketAndOld = Self.listen("[global]\n    bind to = 10.0.0.5\n    bind socket to IP = 127.0.0.1\n")
        #expect(socketAndOld.bindName == "[global] bind socket to IP" && socketAndOld.bindOption?.value == "127.0.0.1")
        #expect(socketAndOld.ignoredBinds.map(\.place.name) == ["[global] bind to"])
        let webAndOld = Self.listen("[global]\n    bind to = 127.0.0.1\n[web]\n    bind to = 10.0.0.5\n")
        #expect(webAndOld.bindName == "[web] bind to" && webAndOld.ignoredBinds.map(\.option.value) == ["127.0.0.1"])
        let all = Self.listen("[global]\n    bind to = a\n    bind socket to IP = b\n[web]\n    bind to = c\n")
        #expect(all.bindOption?.value == "c" && all.ignoredBinds.map(\.option.value) == ["b", "a"])
    }

    @Test func testThePortComesFromTheFirstSetName() {
        #expect(Self.listen("[web]\n    default port = 2000\n").defaultPort == 2000)
        #expect(Self.listen("[global]\n    port = 1000\n").defaultPort == 1000)
        #expect(Self.listen("[global]\n    port = 1000\n").portPlace.name == "[global] port")
        #expect(Self.listen("[global]\n    default port = 3000\n").defaultPort == 3000)
        #expect(Self.listen("[global]\n    port = 1000\n    default port = 3000\n").defaultPort == 1000)
        #expect(Self.listen("[global]\n    port = 1000\n[web]\n    default port = 2000\n").defaultPort == 2000)
        // Not a port: the built-in 19999 (NC110 says so).
        #expect(Self.listen("[global]\n    port = 70000\n").defaultPort == 19999)
        let none = Self.listen("[web]\n    bind to = *\n")
        #expect(none.defaultPort == 19999 && none.portOption == nil)
    }

    @Test func testDoctorReadsThroughTheSameType() {
        #expect(ParentChecks.WebListen.self == WebListen.self)
    }

    // MARK: Lint

    static func lint(_ text: String) -> [Diagnostic] {
        Linter.lint(bytes: Array(text.utf8), file: "netdata.conf", options: LintOptions(target: .v1_37, kind: .netdata)).diagnostics
    }

    /// Replaces line `number` (1-based) with `line`, keeping its indentation.
    static func replacing(_ text: String, line number: Int, with line: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[number - 1] = String(lines[number - 1].prefix { $0 == " " }) + line
        return lines.joined(separator: "\n")
    }

    /// `change line N to `LINE``, as the unified fix says it.
    static func fixLine(_ text: String?) throws -> (line: Int, text: String) {
        let match = try #require(text?.firstMatch(of: /change line (\d+) to `([^`]+)`/), "\(text ?? "no fix")")
        return (try #require(Int(match.1)), String(match.2))
    }

    static let loopbackFiles = [
        "[global]\n    run as user = netdata\n    bind to = 127.0.0.1\n",
        "[global]\n    bind socket to IP = 127.0.0.1\n",
        "[web]\n    bind to = localhost:19999=dashboard|streaming [::1]:19998\n",
    ]

    @Test(arguments: loopbackFiles)
    func testLintFindsLoopbackUnderEveryNameAndItsHintClearsIt(_ text: String) throws {
        let found = try #require(Self.lint(text).first { $0.code == "NC109" }, "\(Self.lint(text).map(\.code))")
        let option = try #require(WebListen(Ini(Document(text))).bindOption)
        #expect(found.line == option.line + 1)
        #expect(found.hint?.contains(Advice.listenOnEveryAddressFix(file: "netdata.conf", option: option)) == true, "\(found.hint ?? "")")
        let fix = try Self.fixLine(found.hint)
        let fixed = Self.replacing(text, line: fix.line, with: fix.text)
        #expect(!Self.lint(fixed).contains { $0.code == "NC109" }, "\(fixed)")
        #expect(!WebListen(Ini(Document(fixed))).bind.loopbackOnly)
    }

    @Test func testLintSaysWhichOldBindLineIsIgnored() {
        let found = Self.lint("[global]\n    bind socket to IP = *\n    bind to = 127.0.0.1\n")
        #expect(found.map { "\($0.code) \($0.line)" } == ["NC108 3"], "\(found.map(\.message))")
        #expect(found.first?.message.contains("`[global] bind to` is ignored") == true)
    }

    @Test func testLintChecksThePortUnderEveryName() {
        let found = Self.lint("[global]\n    port = 070000\n")
        #expect(found.map { "\($0.code) \($0.line)" } == ["NC110 2"], "\(found.map(\.message))")
        #expect(found.first?.message.hasPrefix("`port = 070000`") == true)
        // An ignored name is not checked: `[web] default port` decides.
        #expect(Self.lint("[global]\n    port = 0\n[web]\n    default port = 19999\n").isEmpty)
    }

    // MARK: Doctor

    static let stream = Ini(Document("[4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b01]\n    type = api\n    enabled = yes\n"))

    @Test(arguments: loopbackFiles)
    func testDoctorPrintsTheSameFixAndItClearsTheFinding(_ text: String) throws {
        let results = ParentChecks.check(streamConf: Self.stream, netdataConf: Ini(Document(text)), netdataFile: "netdata.conf", target: .v1_37)
        let loopback = try #require(results.first { $0.code == "bound-to-loopback" }, "\(results.map(\.code))")
        let option = try #require(WebListen(Ini(Document(text))).bindOption)
        #expect(loopback.fix == "\(Advice.listenOnEveryAddressFix(file: "netdata.conf", option: option)), then restart Netdata")
        let lintHint = try #require(Self.lint(text).first { $0.code == "NC109" }?.hint)
        #expect(try Self.fixLine(lintHint) == Self.fixLine(loopback.fix), "lint and doctor advise different lines")
        let fix = try Self.fixLine(loopback.fix)
        let fixed = Ini(Document(Self.replacing(text, line: fix.line, with: fix.text)))
        #expect(!ParentChecks.check(streamConf: Self.stream, netdataConf: fixed, target: .v1_37).contains { $0.code == "bound-to-loopback" })
    }

    @Test func testDoctorNamesThePortFromGlobalPort() {
        let results = ParentChecks.check(streamConf: Self.stream, netdataConf: Ini(Document("[global]\n    bind to = 127.0.0.1\n    port = 20000\n")), target: .v1_37)
        let summary = results.first { $0.code == "bound-to-loopback" }?.summary ?? ""
        #expect(summary.contains("loopback only (port 20000)") && summary.contains("[global] bind to"), "\(summary)")
    }

    // MARK: Fleet

    typealias F = FleetCheckerTests
    static let child = F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:19999"))

    @Test func testFleetReadsGlobalBindToAndItsFixClearsIt() throws {
        let parent = F.host("p", "10.1.0.5", stream: F.parent(), netdata: "[global]\n    bind to = 127.0.0.1\n")
        #expect(F.fl([parent, Self.child]) == ["p/netdata.conf FL202 2:15"])
        let hint = FleetChecker.check(Fleet(hosts: [parent, Self.child])).files.flatMap { $0.report.diagnostics }.first { $0.code == "FL202" }?.hint
        let listen = WebListen(parent.netdataConf?.ini)
        let option = try #require(listen.bindOption)
        #expect(hint?.contains(Advice.listenOnEveryAddressFix(file: "p/netdata.conf", option: option)) == true, "\(hint ?? "")")
        #expect(try F.applyingTheHint([parent, Self.child], section: "global").isEmpty)
        let debian = F.host("p", "10.1.0.5", stream: F.parent(), netdata: "[global]\n    bind socket to IP = 127.0.0.1\n")
        #expect(try F.applyingTheHint([debian, Self.child], section: "global").isEmpty)
        // `[global] bind to` under a `[web] bind to` is ignored: the parent listens everywhere.
        let ignored = F.host("p", "10.1.0.5", stream: F.parent(), netdata: "[global]\n    bind to = 127.0.0.1\n[web]\n    bind to = *\n")
        #expect(F.fl([ignored, Self.child]).isEmpty)
    }

    @Test func testFleetUsesThePortFromGlobalPort() {
        let parent = F.host("p", "10.1.0.5", stream: F.parent(), netdata: "[global]\n    port = 20000\n")
        #expect(F.fl([parent, Self.child]) == ["c/stream.conf FL201 3:19"])
        #expect(F.messages([parent, Self.child], code: "FL201").first?.contains("port 20000 from `[global] port`") == true,
                "\(F.messages([parent, Self.child], code: "FL201"))")
        #expect(F.fl([parent, F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:20000"))]).isEmpty)
        let oldest = F.host("p", "10.1.0.5", stream: F.parent(), netdata: "[global]\n    bind to = *\n    default port = 20001\n")
        #expect(F.fl([oldest, F.host("c", "10.1.0.11", stream: F.child("10.1.0.5:20001"))]).isEmpty)
        #expect(F.fl([oldest, Self.child]) == ["c/stream.conf FL201 3:19"])
    }
}
