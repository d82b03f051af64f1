import Testing
@testable import StreamConfig

/// `proxy send charts matching` as a Netdata proxy applies it (protocol.md 5.5, stream-conf.md
/// 4.1), and where the relay finds it (`ProxyCascade`).
@Suite struct ChartFilterTests {
    func v1(_ pattern: String) -> ChartFilter { ChartFilter(pattern: pattern, target: .v1_37) }
    func v2(_ pattern: String) -> ChartFilter { ChartFilter(pattern: pattern, target: .v2) }

    @Test func testFirstMatchingWordDecidesOnEachSubject() {
        let filter = v1("system.* !system.cpu *.load")
        // `system.*` matches system.cpu first: Netdata sends it (the `!system.cpu` after it never applies).
        #expect(filter.sends(id: "system.cpu", name: "system.cpu", context: "system.cpu"))
        #expect(filter.sends(id: "system.ram", name: "system.ram", context: "system.ram"))
        #expect(filter.sends(id: "fake.load", name: "fake.load", context: "fake.load"))
        #expect(!filter.sends(id: "disk.sda", name: "disk.sda", context: "disk.io"))
        let negativeFirst = v1("!system.cpu system.* *.load")
        #expect(!negativeFirst.sends(id: "system.cpu", name: "system.cpu", context: "system.cpu"))
        #expect(negativeFirst.sends(id: "system.load", name: "system.load", context: "system.load"))
    }

    @Test func test137SendsOnAPositiveIdOrName() {
        let filter = v1("!disk_util.sda disk.*")
        // Excluded by id, but the name matches positively: 1.37 sends it.
        #expect(filter.sends(id: "disk_util.sda", name: "disk.sda_util", context: "disk.util"))
        #expect(!filter.sends(id: "disk_util.sdb", name: "disk_util.sdb", context: "disk.util"))
        // 1.37 never reads the context.
        #expect(!v1("disk.util").sends(id: "disk_util.sda", name: "disk_util.sda", context: "disk.util"))
    }

    @Test func test2xAnyNegativeExcludesAndContextCounts() {
        let filter = v2("!disk_util.sda disk.*")
        // The negative on the id excludes, whatever the name says.
        #expect(!filter.sends(id: "disk_util.sda", name: "disk.sda_util", context: "disk.util"))
        #expect(filter.sends(id: "disk_util.sdb", name: "disk_util.sdb", context: "disk.util"))
        #expect(v2("disk.util").sends(id: "disk_util.sda", name: "disk_util.sda", context: "disk.util"))
        #expect(!v2("apps.* !disk.*").sends(id: "x.y", name: "x.y", context: "disk.io"), "no positive match")
    }

    @Test func testEmptyOrOnlyNegativeSendsNothingAndStarSendsEverything() {
        #expect(!v1("").sends(id: "system.cpu", name: "system.cpu", context: "system.cpu"))
        #expect(!v2("!apps.*").sends(id: "system.cpu", name: "system.cpu", context: "system.cpu"))
        #expect(v1("*").sendsEverything && v2("* !system.cpu").sendsEverything)
        #expect(!v1("").sendsEverything && !v1("!x *").sendsEverything && !v1("system.*").sendsEverything)
        // Escapes and wildcards are the simple pattern's: `\ ` is a space inside a word.
        #expect(v1("a\\ b.*").sends(id: "a b.c", name: "a b.c", context: ""))
        #expect(v1("*cpu*").sends(id: "system.cpu_pressure", name: "system.cpu_pressure", context: ""))
    }

    @Test func testFullNameFromTheChartLine() {
        #expect(ChartFilter.fullName(id: "system.cpu", nameField: "") == "system.cpu")
        #expect(ChartFilter.fullName(id: "disk_util.sda", nameField: "sda_util") == "disk_util.sda_util")
        #expect(ChartFilter.fullName(id: "disk_util.sda", nameField: "disk_util.sda_util") == "disk_util.sda_util")
        #expect(ChartFilter.fullName(id: "nodot", nameField: "x") == "nodot")
    }

    @Test func testThePatternInForceFollowsTheCascade() {
        let guid = "0f6c3a2e-8d41-41ee-9b0a-525400123456"
        let key = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
        func plan(_ text: String, _ target: NetdataTarget) -> UpstreamPlan {
            ProxyCascade.resolve(ini: Ini(Document(bytes: Array(text.utf8))), target: target, apiKey: key, machineGUID: guid)
        }
        let stream = "[stream]\n    send charts matching = apps.*\n    enable compression = yes\n"
        #expect(plan(stream, .v1_37).sendChartsMatching?.value == "apps.*")
        #expect(plan("[stream]\n", .v1_37).sendChartsMatching == nil)
        #expect(plan("[stream]\n", .v1_37).chartFilter(target: .v1_37).sendsEverything)
        let keyLevel = stream + "[\(key)]\n    default proxy send charts matching = system.*\n    enable compression = no\n"
        let fromKey = plan(keyLevel, .v1_37)
        #expect(fromKey.sendChartsMatching?.value == "system.*")
        #expect(fromKey.sendChartsMatching?.source == .file(line: 5, section: key, key: "default proxy send charts matching"))
        #expect(!fromKey.compression)
        // 1.37 key sections read only the `default proxy ...` name; 2.x reads both.
        let plainName = "[\(key)]\n    proxy send charts matching = system.*\n"
        #expect(plan(plainName, .v1_37).sendChartsMatching == nil)
        #expect(plan(plainName, .v2).sendChartsMatching?.value == "system.*")
        let machine = keyLevel + "[\(guid)]\n    proxy send charts matching = *.load\n    enable compression = yes\n"
        #expect(plan(machine, .v1_37).sendChartsMatching?.value == "*.load")
        #expect(plan(machine, .v1_37).compression)
        // 1.37 ANDs the parent's own [stream] value in; 2.x takes the most specific.
        let streamOff = "[stream]\n    enable compression = no\n[\(guid)]\n    enable compression = yes\n"
        #expect(!plan(streamOff, .v1_37).compression)
        #expect(plan(streamOff, .v2).compression)
    }

    @Test func testLintRelayNamesEveryOptionTheRelayDoesNotHonour() {
        let text = """
            [stream]
                enabled = no
                buffer size bytes = 1048576
                send charts matching = *

            [aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee]
                type = api
                enabled = yes
                default proxy enabled = yes
                default proxy destination = 10.0.0.1:19999
                default proxy api key = 11111111-2222-4333-8444-555555555555
                default proxy send charts matching = system.*
                seconds to replicate = 3600
                no such option = 1

            """
        let relay = Linter.lint(bytes: Array(text.utf8), file: "relay.conf", options: LintOptions(target: .v1_37, relay: true))
        let sc901 = relay.diagnostics.filter { $0.code == "SC901" }
        #expect(sc901.map(\.line) == [3, 13], "\(relay.diagnostics)")
        #expect(sc901.first?.message.contains("`buffer size bytes` in [stream]") == true)
        #expect(sc901.allSatisfy { $0.severity == .warning })
        // An unknown option has its own finding, not SC901.
        #expect(relay.diagnostics.contains { $0.code == "SC201" && $0.line == 14 })
        // Plain lint (a Netdata parent's file) never says it.
        let plain = Linter.lint(bytes: Array(text.utf8), file: "stream.conf", options: LintOptions(target: .v1_37))
        #expect(!plain.diagnostics.contains { $0.code == "SC901" })
        #expect(Rules.rule("SC901")?.severity == .warning)
    }
}
