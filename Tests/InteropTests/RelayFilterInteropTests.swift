// The relay's chart filtering (`proxy send charts matching`) between real Netdata 1.37.1 children
// and a real 1.37.1 parent: exactly the charts Netdata's pattern rules select reach the parent,
// with fresh values, whether the child offers compression or not, and an unfiltered child next
// to it is spliced as before (compression end to end).

import Foundation
import Testing
import TestSupport

private let filteredKey = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
private let plainKey = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"
private let parentKey = "11111111-2222-4333-8444-555555555555"

private func keySection(_ key: String, destination: String, extra: String = "") -> String {
    relayKeySection(key, destination: destination, upstreamKey: parentKey, extra: extra)
}

extension NetdataInstance {
    /// Seconds of `chart` of `host` between `after` and `before` (epoch seconds) with no value
    /// here; nil when not answered.
    func emptySeconds(_ host: String, chart: String, after: Int, before: Int) async -> [Int]? {
        guard let r = try? await HTTP.get("\(baseURL)/host/\(host)/api/v1/data?chart=\(chart)&after=\(after)&before=\(before)&format=json&options=jsonwrap"),
              r.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let result = json["result"] as? [String: Any], let rows = result["data"] as? [[Any]] else { return nil }
        var seen = Set<Int>()
        var empty: [Int] = []
        for row in rows {
            guard let t = row.first as? Int else { continue }
            seen.insert(t)
            if row.dropFirst().allSatisfy({ $0 is NSNull }) { empty.append(t) }
        }
        return empty + (after...before).filter { !seen.contains($0) }
    }

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
            #expect(await poll(timeout: .seconds(20)) { await parent.hasFreshData(filteredHost, chart: "system.load", maxAge: 5) },
                    "filtered data went stale\n\(lab.logTails())")
            #expect(await parent.hasFreshData(filteredHost, chart: "system.ram", maxAge: 5))
            let links = filtered.log().split(separator: "\n").filter { $0.contains("established link with negotiated capabilities") }
            #expect(links.count == 1, "the filtered child connected \(links.count) times\n\(filtered.log().suffix(3000))")
            // A filtered child's leg is plain text whatever it offers; the unfiltered one keeps LZ4 end to end.
            #expect(links.last.map { !$0.contains("COMPRESSION") } == true, "\(links)")
            // The parent's leg of the filtered child is LZ4 when compression is on: the relay
            // compresses what passes (and the parent decoded it: the fresh values above).
            #expect(relay.log().contains("the relay compresses toward it with LZ4") == test.compression, "\(relay.log())")
            let parentLink = parent.log().split(separator: "\n").last { $0.contains("STREAM \(filteredHost) [receive") && $0.contains("negotiated capabilities") }
            #expect(parentLink?.contains("COMPRESSION") == test.compression, "\(parentLink ?? "no link at the parent")")
            // A 1.37 parent takes bytes without a block header as plain text and says so: every block was framed.
            #expect(!parent.log().contains("multiplexed uncompressed data"), "\(parent.logTail())")
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

    /// The parent (dbengine) stops for 10 s and comes back: both children reconnect through the
    /// relay, the parent asks them for the gap, and the filtered child answers it for the charts
    /// that pass exactly as well as a child the relay only splices (the control): in this lab a
    /// 1.37.1 parent leaves some seconds of such a gap empty on the spliced path too, so the
    /// claim is "no worse than without the filter", with the replication requests as evidence.
    @Test func testReplicationAfterAGapFillsTheFilteredChartsAsWellAsWithoutTheFilter() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "fp-gap", streamConf: "[\(parentKey)]\n    enabled = yes\n", dbMode: "dbengine")
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: "[stream]\n    enabled = no\n\n"
                + keySection(filteredKey, destination: parent.address, extra: "    default proxy send charts matching = !system.cpu system.* *.load")
                + keySection(plainKey, destination: parent.address))
            // Replication needs children that keep their data in dbengine.
            func child(_ host: String, key: String) throws -> NetdataInstance {
                try lab.instance(hostname: host, streamConf: "[stream]\n    enabled = yes\n    destination = \(relay.address)\n    api key = \(key)\n",
                                 dbMode: "dbengine")
            }
            let filtered = try child("filtered-gap", key: filteredKey)
            let control = try child("spliced-gap", key: plainKey)
            try await filtered.start()
            try await control.start()
            #expect(await parent.waitUntilStreaming("filtered-gap", chart: "system.load"), "\(lab.logTails())\n\(relay.log())")
            #expect(await parent.waitUntilStreaming("spliced-gap", chart: "system.load"), "\(lab.logTails())")

            func links(_ child: NetdataInstance) -> [Substring] {
                child.log().split(separator: "\n").filter { $0.contains("established link with negotiated capabilities") }
            }
            let requestsBefore = filtered.log("access.log").split(separator: "\n").count
            await parent.stop()
            let stopped = Int(Date().timeIntervalSince1970)
            // The gap itself: the parent stays down this long (not a wait for anything).
            try await Task.sleep(for: .seconds(10))
            try await parent.start()
            let restarted = Int(Date().timeIntervalSince1970)
            #expect(await poll(timeout: .seconds(90)) { links(filtered).count >= 2 && links(control).count >= 2 },
                    "the children did not come back\n\(lab.logTails())\n\(relay.log())")
            #expect(await parent.waitUntilStreaming("filtered-gap", chart: "system.load", timeout: .seconds(30)), "\(lab.logTails())")
            #expect(await parent.waitUntilStreaming("spliced-gap", chart: "system.load", timeout: .seconds(30)), "\(lab.logTails())")

            // The parent asked the filtered child for the gap of a chart that passes; the relay
            // answered for a dropped one.
            let requests = filtered.log("access.log").split(separator: "\n").dropFirst(requestsBefore)
            #expect(requests.contains { $0.contains("REPLAY_CHART \"system.load\" \"true\"") && !$0.hasSuffix(" 0 0") },
                    "\(requests.filter { $0.contains("system.") }.suffix(10))")
            #expect(requests.contains { $0.contains("REPLAY_CHART \"system.cpu\" \"true\" 0 0") }, "\(requests.suffix(10))")

            // Once replication has settled, the filtered chart's gap is no emptier than the control's.
            var counts: (filtered: Int, control: Int) = (-1, -1)
            let settled = await poll(timeout: .seconds(30), interval: .seconds(1)) {
                guard let f = await parent.emptySeconds("filtered-gap", chart: "system.load", after: stopped + 1, before: restarted - 1),
                      let c = await parent.emptySeconds("spliced-gap", chart: "system.load", after: stopped + 1, before: restarted - 1) else { return false }
                counts = (f.count, c.count)
                return f.count <= c.count
            }
            print("RelayFilterInteropTests: of the \(restarted - stopped - 1) s the parent was down, empty at the parent: filtered \(counts.filtered) s, spliced \(counts.control) s")
            #expect(settled, "empty seconds in the gap: filtered \(counts.filtered), spliced \(counts.control)")
            var ids: Set<String> = []
            #expect(await poll(timeout: .seconds(10)) {
                ids = Set(await parent.charts(of: "filtered-gap")?.map(\.id) ?? [])
                return ids.contains("system.load")
            }, "\(ids.sorted())")
            #expect(!ids.contains("system.cpu"), "\(ids.sorted())")
            #expect(links(filtered).allSatisfy { $0.contains("REPLICATION") && !$0.contains("COMPRESSION") }, "\(links(filtered))")
        }
    }

    /// A simulated 2.x child offering all four 2.x codecs (LZ4, ZSTD, GZIP, BROTLI) through a
    /// filtering relay: the parent is offered none of them, so the child is told to send plain
    /// text, and only its matching chart reaches the parent.
    @Test func testA2xChildOfferingEveryCodecIsFilteredInPlainText() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "fp-2x", streamConf: "[\(parentKey)]\n    enabled = yes\n")
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: "[stream]\n    enabled = no\n\n"
                + keySection(filteredKey, destination: parent.address, extra: "    default proxy send charts matching = fake.load"))
            let codecs = 1 << 10 | 1 << 19 | 1 << 20 | 1 << 21
            let fake = Simulated2xChild(hostname: "fake-2x-filtered", machineGUID: "5a1e0000-e852-41f1-8a46-02fc0000f11e",
                                        apiKey: filteredKey, offered: Simulated2xChild.capabilities | codecs)
            let socket = try RawSocket(port: relay.port)
            let answer = try await onOwnThread { try fake.handshake(socket) }
            let version = Int(answer.split(separator: "=").last ?? "") ?? -1
            #expect(answer.hasPrefix("Hit me baby, push them over with the version=") && version & codecs == 0, "\(answer)")
            let stop = PacedStream()
            let thread = Thread {
                defer { socket.close(); stop.finish() }
                guard socket.send("""
                    CHART "fake.load" "" "Simulated load" "load" "fake" "fake.load" "line" 1000 1 "" "fake.plugin" "fake"
                    DIMENSION "one" "one" "absolute" 1 1 ""
                    CHART "fake.hidden" "" "Filtered out" "load" "fake" "fake.hidden" "line" 1001 1 "" "fake.plugin" "fake"
                    DIMENSION "one" "one" "absolute" 1 1 ""

                    """) else { return }
                var i = 0
                while i < 60 {
                    let block = "BEGIN \"fake.load\" \(i == 0 ? 0 : 1_000_000)\nSET \"one\" = \(40 + i % 10)\nEND\n"
                        + "BEGIN \"fake.hidden\" \(i == 0 ? 0 : 1_000_000)\nSET \"one\" = 7\nEND\n"
                    guard socket.send(block) else { return }
                    i += 1
                    if stop.waitForStop(upTo: 1) { return }
                }
            }
            thread.start()
            let streamed = await parent.waitUntilStreaming("fake-2x-filtered", chart: "fake.load", timeout: .seconds(30))
            let ids = Set(await parent.charts(of: "fake-2x-filtered")?.map(\.id) ?? [])
            await stop.stop()
            #expect(streamed, "\(lab.logTails())\n\(relay.log())")
            #expect(ids.contains("fake.load") && !ids.contains("fake.hidden"), "\(ids.sorted())")
            #expect(!parent.log().contains("parser_action"), "\(parent.logTail())")
        }
    }
}
