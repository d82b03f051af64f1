// The relay's chart filtering (`proxy send charts matching`) between real Netdata 1.37.1 children
// and a real 1.37.1 parent: exactly the charts Netdata's pattern rules select reach the parent,
// with fresh values, whether the child offers compression or not, and an unfiltered child next
// to it is spliced as before (compression end to end).

import Foundation
import Testing

private let filteredKey = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
private let plainKey = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"
private let parentKey = "11111111-2222-4333-8444-555555555555"

private func keySection(_ key: String, destination: String, extra: String = "") -> String {
    """
    [\(key)]
        type = api
        enabled = yes
        allow from = localhost
        default proxy enabled = yes
        default proxy destination = \(destination)
        default proxy api key = \(parentKey)
    \(extra)

    """
}

extension NetdataInstance {
    /// Chart ids and names `host` has here (`/api/v1/charts`), nil when not answered.
    func charts(of host: String?) async -> [(id: String, name: String)]? {
        let prefix = host.map { "\(baseURL)/host/\($0)" } ?? baseURL
        guard let r = try? await HTTP.get("\(prefix)/api/v1/charts"), r.status == 0,
              let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let charts = json["charts"] as? [String: Any] else { return nil }
        return charts.compactMap { id, value in
            guard let chart = value as? [String: Any] else { return nil }
            return (id, chart["name"] as? String ?? id)
        }
    }
}

@Suite("relay chart filtering vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(3)))
struct RelayFilterInteropTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var compression: Bool
        var pattern: String
        /// What Netdata 1.37's rule (a positive first match on the id or the name) selects.
        var selects: @Sendable (String) -> Bool
        /// system.cpu: sent under `system.* !system.cpu ...` (its first match is `system.*`),
        /// not under `!system.cpu system.* ...`.
        var sendsSystemCPU: Bool
        var testDescription: String { "\(compression ? "lz4 offered" : "no compression"), '\(pattern)'" }
    }

    static let cases: [Case] = [
        Case(compression: true, pattern: "system.* !system.cpu *.load",
             selects: { $0.hasPrefix("system.") || $0.hasSuffix(".load") }, sendsSystemCPU: true),
        Case(compression: false, pattern: "!system.cpu system.* *.load",
             selects: { $0 != "system.cpu" && ($0.hasPrefix("system.") || $0.hasSuffix(".load")) }, sendsSystemCPU: false),
    ]

    @Test(arguments: cases)
    func testOnlyTheMatchingChartsReachTheParentWithFreshValues(_ test: Case) async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "fp-\(test.compression ? "lz4" : "plain")", streamConf: "[\(parentKey)]\n    enabled = yes\n")
            try await parent.start()
            let conf = "[stream]\n    enabled = no\n\n"
                + keySection(filteredKey, destination: parent.address, extra: "    default proxy send charts matching = \(test.pattern)")
                + keySection(plainKey, destination: parent.address)
            let relay = try await lab.startRelay(streamConf: conf)
            let extra = test.compression ? "" : "    enable compression = no"
            let filteredHost = "filtered-\(test.compression ? "lz4" : "plain")"
            let plainHost = "unfiltered-\(test.compression ? "lz4" : "plain")"
            let filtered = try lab.child(filteredHost, destination: relay.address, apiKey: filteredKey, extraStream: extra)
            let plain = try lab.child(plainHost, destination: relay.address, apiKey: plainKey, extraStream: extra)
            try await filtered.start()
            try await plain.start()

            #expect(await parent.waitUntilStreaming(filteredHost, chart: "system.load"), "\(filteredHost) not streaming\n\(lab.logTails())\n\(relay.log())")
            #expect(await parent.waitUntilStreaming(plainHost), "\(plainHost) not streaming\n\(lab.logTails())")

            // Every chart the child has that the pattern selects reaches the parent, and no other.
            var missing: [String] = []
            var leaked: [String] = []
            let complete = await poll(timeout: .seconds(30), interval: .milliseconds(500)) {
                guard let own = await filtered.charts(of: nil), let upstream = await parent.charts(of: filteredHost) else { return false }
                let wanted = Set(own.filter { test.selects($0.id) || test.selects($0.name) }.map(\.id))
                let got = Set(upstream.map(\.id))
                missing = wanted.subtracting(got).sorted()
                leaked = upstream.filter { !test.selects($0.id) && !test.selects($0.name) }.map(\.id).sorted()
                return missing.isEmpty && !wanted.isEmpty
            }
            #expect(complete, "missing at the parent: \(missing)")
            #expect(leaked.isEmpty, "charts the pattern does not select reached the parent: \(leaked)")
            let ids = Set(await parent.charts(of: filteredHost)?.map(\.id) ?? [])
            #expect(ids.contains("system.cpu") == test.sendsSystemCPU, "\(ids.sorted())")
            #expect(!ids.contains { $0.hasPrefix("cpu.") || $0.hasPrefix("net.") || $0.hasPrefix("netdata.") }, "\(ids.sorted())")

            // Fresh values, still a few seconds later, over the one link the child opened.
            try await Task.sleep(for: .seconds(3))
            #expect(await poll(timeout: .seconds(10)) { await parent.hasFreshData(filteredHost, chart: "system.load", maxAge: 3) },
                    "filtered data went stale\n\(lab.logTails())")
            #expect(await parent.hasFreshData(filteredHost, chart: "system.ram", maxAge: 5))
            let links = filtered.log().split(separator: "\n").filter { $0.contains("established link with negotiated capabilities") }
            #expect(links.count == 1, "the filtered child connected \(links.count) times\n\(filtered.log().suffix(3000))")
            // A filtered leg is plain text whatever the child offers; the unfiltered one keeps LZ4 end to end.
            #expect(links.last.map { !$0.contains("COMPRESSION") } == true, "\(links)")
            let plainLink = plain.log().split(separator: "\n").last { $0.contains("established link with negotiated capabilities") }
            #expect(plainLink?.contains("COMPRESSION") == test.compression, "\(plainLink ?? "no link")")
            // The unfiltered child has its other charts at the parent.
            let plainIDs = Set(await parent.charts(of: plainHost)?.map(\.id) ?? [])
            #expect(plainIDs.contains { $0.hasPrefix("cpu.") || $0.hasPrefix("net.") || $0.hasPrefix("netdata.") }, "\(plainIDs.sorted())")
            // The parent never choked on the filtered stream.
            #expect(!parent.log().contains("parser_action"), "\(parent.logTail())")
            // The relay answered the dropped definitions itself (the child logs each parent command).
            let answered = filtered.log("access.log").split(separator: "\n").filter { $0.contains("REPLAY_CHART \"cpu.") || $0.contains("REPLAY_CHART \"netdata.") }
            #expect(!answered.isEmpty, "no REPLAY_CHART for a filtered chart reached the child\n\(filtered.logTail("access.log"))")
            #expect(relay.log().contains("sending only the charts matching '\(test.pattern)'"), "\(relay.log())")
        }
    }
}
