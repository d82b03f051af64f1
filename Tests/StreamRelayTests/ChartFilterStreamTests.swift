import Foundation
import NIOCore
import NIOEmbedded
import StreamConfig
import Testing
@testable import StreamRelay

/// The filtered path of a child: `ChartStreamFilter` on 1.37 and 2.x streams (protocol.md 2.5,
/// 2.7, 7.3), `ChartFilterHandler` in a pipeline, and the request the parent is asked with.
@Suite struct ChartFilterStreamTests {
    func run(_ pattern: String, target: NetdataTarget = .v1_37, _ input: String, maxLineBytes: Int = 1024) throws -> (String, [String]) {
        var filter = ChartStreamFilter(filter: ChartFilter(pattern: pattern, target: target), maxLineBytes: maxLineBytes)
        var output = ByteBuffer()
        try filter.feed(ByteBuffer(string: input), into: &output)
        return (String(buffer: output), filter.takeReplayRequests())
    }

    /// A 1.37 session after the prompt (protocol.md 2.7), with three charts.
    static let stream137 = """
        VARIABLE HOST my_custom_var = 42.0000000
        CLAIMED_ID 0f6c3a2e-8d41-11ee-9b0a-525400123456 NULL
        LABEL "_os_name" = 1 "Debian GNU/Linux"
        OVERWRITE labels
        CHART "system.cpu" "" "Total CPU utilization" "percentage" "cpu" "system.cpu" "stacked" 100 1 "   " "proc.plugin" "/proc/stat"
        CLABEL "_collect_plugin" "proc.plugin" 1
        CLABEL_COMMIT
        DIMENSION "user" "user" "incremental" 1 1 "  "
        FUNCTION "cpu-top" 10 "top cpu"
        VARIABLE CHART cpu_var = 1.0000000
        CHART_DEFINITION_END 1700000000 1700003599 1700003600
        CHART "system.load" "" "System Load Average" "load" "load" "system.load" "line" 100 1 "   " "proc.plugin" "/proc/loadavg"
        DIMENSION "load1" "load1" "absolute" 1 1000 "  "
        CHART_DEFINITION_END 1700000000 1700003599 1700003600
        RBEGIN "system.cpu"
        RBEGIN '' 1700003000 1700003001 1700003600
        RSET "user" 1.2500000 ""
        RDSTATE "user" 1700003599000000 123456 1.2500000 1.2500000
        RSSTATE 1700003599000000 1700003599000000
        REND 1 1700000000 1700003599 true 1700003000 1700003599 1700003600
        RBEGIN "system.load"
        RSET "load1" 0.2500000 ""
        REND 1 1700000000 1700003599 true 1700003000 1700003599 1700003600
        BEGIN "system.cpu" 1000123
        SET "user" = 123460
        VARIABLE cpu_var = 2
        END
        BEGIN "system.load" 1000123
        SET "load1" = 250
        END
        FUNCTION GLOBAL "processes" 10 "top"
        LABEL "_x" = 2 "y"
        OVERWRITE labels

        """

    static let passed137 = """
        VARIABLE HOST my_custom_var = 42.0000000
        CLAIMED_ID 0f6c3a2e-8d41-11ee-9b0a-525400123456 NULL
        LABEL "_os_name" = 1 "Debian GNU/Linux"
        OVERWRITE labels
        CHART "system.load" "" "System Load Average" "load" "load" "system.load" "line" 100 1 "   " "proc.plugin" "/proc/loadavg"
        DIMENSION "load1" "load1" "absolute" 1 1000 "  "
        CHART_DEFINITION_END 1700000000 1700003599 1700003600
        RBEGIN "system.load"
        RSET "load1" 0.2500000 ""
        REND 1 1700000000 1700003599 true 1700003000 1700003599 1700003600
        BEGIN "system.load" 1000123
        SET "load1" = 250
        END
        FUNCTION GLOBAL "processes" 10 "top"
        LABEL "_x" = 2 "y"
        OVERWRITE labels

        """

    @Test func testA137StreamKeepsHostLinesAndOnlyTheMatchingCharts() throws {
        let (output, replays) = try run("!system.cpu system.* *.load", Self.stream137)
        #expect(output == Self.passed137)
        #expect(replays == ["system.cpu"], "the dropped definition is answered by the relay")
        // Everything passes with `*`; nothing of a chart passes with a pattern that matches none.
        #expect(try run("*", Self.stream137).0 == Self.stream137)
        let none = try run("apps.*", Self.stream137)
        #expect(!none.0.contains("CHART") && !none.0.contains("SET") && none.0.contains("FUNCTION GLOBAL"), "\(none.0)")
        #expect(none.1 == ["system.cpu", "system.load"])
    }

    @Test func testThe2xFormsSlotsQuotesAndDeferredBlocks() throws {
        let input = """
            JSON STREAM_PATH
            {"streaming_path":[{"hostname":"c","hops":0}]}
            JSON_PAYLOAD_END
            FUNCTION GLOBAL "config" 120 "Dynamic configuration" "config" 0x13 1000 3
            CHART SLOT:#B 'system.cpu' '' 'Total CPU utilization' 'percentage' 'cpu' 'system.cpu' 'stacked' 100 1 '  ' 'proc.plugin' '/proc/stat'
            DIMENSION SLOT:#B 'user' 'user' 'incremental' 1 1 '   type=int'
            FUNCTION 'cpu-top' 10 "top" "top" 0x0 100 1
            CHART_DEFINITION_END #BlU/EA #BlU/8P #BlU/8Q
            CHART SLOT:#C 'apps.cpu' '' 'Apps CPU' 'percentage' 'apps' 'app.cpu_utilization' 'stacked' 100 1 '' 'apps.plugin' ''
            DIMENSION SLOT:#B 'a' 'a' 'absolute' 1 1 ''
            CHART_DEFINITION_END #BlU/EA #BlU/8P #BlU/8Q
            RBEGIN SLOT:#B 'system.cpu'
            RDSTATE SLOT:#B 'user' #GCiTuoqHA #eJA @D/0AAAAAAAA @D/0AAAAAAAA
            RSSTATE #GCiTuoqHA #GCiTuoqHA
            REND #B #BlU/EA #BlU/8P true  #A #A #BlU/8Q
            BEGIN2 SLOT:#B 'system.cpu' #B #BlU/8R #
            SET2 SLOT:#B 'user' #eJE @D/0AAAAAAAA A
            END2
            SET2 SLOT:#B 'user' #eJE @D/0AAAAAAAA A
            VARIABLE HOST v = 1
            BEGIN2 SLOT:#C 'apps.cpu' #B #BlU/8R #
            SET2 SLOT:#B 'a' 0x1 @D/0AAAAAAAA ''
            END2
            FUNCTION_RESULT_BEGIN 'tx1' 200 'application/json' 1700000000
            BEGIN "system.cpu" 0
            CHART "system.cpu" ""
            FUNCTION_RESULT_END
            FUNCTION_PROGRESS 'tx1' 1 2
            FUNCTION_DEL GLOBAL "config"

            """
        // 2.x reads the context: `app.cpu_utilization` matches though the id does not.
        let (output, replays) = try run("app.*", target: .v2, input)
        #expect(output == """
            JSON STREAM_PATH
            {"streaming_path":[{"hostname":"c","hops":0}]}
            JSON_PAYLOAD_END
            FUNCTION GLOBAL "config" 120 "Dynamic configuration" "config" 0x13 1000 3
            CHART SLOT:#C 'apps.cpu' '' 'Apps CPU' 'percentage' 'apps' 'app.cpu_utilization' 'stacked' 100 1 '' 'apps.plugin' ''
            DIMENSION SLOT:#B 'a' 'a' 'absolute' 1 1 ''
            CHART_DEFINITION_END #BlU/EA #BlU/8P #BlU/8Q
            VARIABLE HOST v = 1
            BEGIN2 SLOT:#C 'apps.cpu' #B #BlU/8R #
            SET2 SLOT:#B 'a' 0x1 @D/0AAAAAAAA ''
            END2
            FUNCTION_RESULT_BEGIN 'tx1' 200 'application/json' 1700000000
            BEGIN "system.cpu" 0
            CHART "system.cpu" ""
            FUNCTION_RESULT_END
            FUNCTION_PROGRESS 'tx1' 1 2
            FUNCTION_DEL GLOBAL "config"

            """)
        #expect(replays == ["system.cpu"])
        // 1.37 semantics on the same stream: the context is not read, so apps.cpu goes too.
        #expect(!(try run("app.*", target: .v1_37, input).0.contains("apps.cpu")))
    }

    @Test func testAnySplitOfTheStreamGivesTheSameOutput() throws {
        let filter = ChartFilter(pattern: "!system.cpu system.* *.load", target: .v1_37)
        let bytes = Array(Self.stream137.utf8)
        for chunk in [1, 2, 3, 7, 64, 1000] {
            var streamFilter = ChartStreamFilter(filter: filter, maxLineBytes: 1024)
            var output = ByteBuffer()
            var start = 0
            while start < bytes.count {
                let end = min(start + chunk, bytes.count)
                try streamFilter.feed(ByteBuffer(bytes: bytes[start..<end]), into: &output)
                start = end
            }
            #expect(String(buffer: output) == Self.passed137, "chunks of \(chunk)")
        }
    }

    @Test func testBoundsAndMalformedInputAreFailures() throws {
        let long = "LABEL \"x\" = 1 \"" + String(repeating: "v", count: 2000) + "\"\n"
        #expect(throws: ChartStreamFilter.Failure.lineTooLong(1024)) { try run("system.*", long) }
        // A line without its end yet is held up to the cap, then refused.
        #expect(throws: ChartStreamFilter.Failure.lineTooLong(1024)) { try run("system.*", String(long.dropLast())) }
        // Inside a function result, a long line passes (its first word does not end the block).
        let result = "FUNCTION_RESULT_BEGIN 'tx' 200 'application/json' 0\n" + String(repeating: "x", count: 5000) + "\nFUNCTION_RESULT_END\nEND\n"
        #expect(try run("system.*", result).0 == result)
        // A compressed block where compression was masked (header of a 300-byte LZ4 block).
        let compressed: [UInt8] = [0xFA, 0xAC, 0x82, 0x0A, 0x1F, 0x00]
        var filter = ChartStreamFilter(filter: ChartFilter(pattern: "system.*", target: .v1_37))
        var output = ByteBuffer()
        #expect(throws: ChartStreamFilter.Failure.compressed) { try filter.feed(ByteBuffer(bytes: compressed), into: &output) }
        // Decisions are bounded.
        var few = ChartStreamFilter(filter: ChartFilter(pattern: "*.a", target: .v1_37), maxCharts: 2)
        #expect(throws: ChartStreamFilter.Failure.tooManyCharts(2)) {
            try few.feed(ByteBuffer(string: "CHART a.a \"\"\nCHART b.a \"\"\nCHART c.a \"\"\n"), into: &output)
        }
    }

    // MARK: In a pipeline

    @Test func testTheHandlerFiltersAndAnswersReplicationAtTheParentsLineBoundaries() throws {
        let handler = ChartFilterHandler(filter: ChartFilter(pattern: "!system.cpu *", target: .v1_37))
        let channel = EmbeddedChannel(handler: handler)
        // The parent is in the middle of a line: the relay's REPLAY_CHART waits for its end.
        try channel.writeOutbound(ByteBuffer(string: "FUNCTION 1f2e 10 \"proc"))
        try channel.writeInbound(ByteBuffer(string: "CHART \"system.cpu\" \"\"\nCHART_DEFINITION_END 1 2 3\nCHART \"system.ram\" \"\"\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "CHART \"system.ram\" \"\"\n")
        #expect(try channel.writes() == ["FUNCTION 1f2e 10 \"proc"])
        try channel.writeOutbound(ByteBuffer(string: "esses\"\nFUNCTION_PAYLOAD 1 2 \"x\" \"0x0\" \"s\" \"text/plain\"\n"))
        // The parent's line ended, but a payload block opened in the same write: still waiting.
        #expect(try channel.writes() == ["esses\"\nFUNCTION_PAYLOAD 1 2 \"x\" \"0x0\" \"s\" \"text/plain\"\n"])
        try channel.writeOutbound(ByteBuffer(string: "payload\nFUNCTION_PAYLOAD_END\n"))
        #expect(try channel.writes() == ["payload\nFUNCTION_PAYLOAD_END\n", "REPLAY_CHART \"system.cpu\" \"true\" 0 0\n"])
        #expect(handler.repliesWritten == 1)
        // At a boundary, the answer goes at once.
        try channel.writeInbound(ByteBuffer(string: "CHART \"system.cpu\" \"\"\nCHART_DEFINITION_END 1 2 3\n"))
        #expect(try channel.writes() == ["REPLAY_CHART \"system.cpu\" \"true\" 0 0\n"])
        // A read that drops everything is not passed on (after the first one).
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish()
    }

    @Test func testAChildWhoseChartsAreAllDroppedStillReachesTheParentWithEmptyLines() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: ChartFilterHandler(filter: ChartFilter(pattern: "apps.*", target: .v1_37), keepalive: .seconds(60)),
                                      loop: loop)
        try channel.writeInbound(ByteBuffer(string: "CHART \"system.cpu\" \"\"\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "", "the first read goes on, empty")
        let dropped = "BEGIN \"system.cpu\" 1000000\nSET \"user\" = 1\nEND\n"
        loop.advanceTime(by: .seconds(59))
        try channel.writeInbound(ByteBuffer(string: dropped))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        loop.advanceTime(by: .seconds(2))
        try channel.writeInbound(ByteBuffer(string: dropped))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "\n", "a no-op line for the parent after 60 s")
        loop.advanceTime(by: .seconds(30))
        try channel.writeInbound(ByteBuffer(string: dropped))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil, "not again before another 60 s")
        _ = try channel.finish()
    }

    @Test func testAFilterFailureIsAnErrorInThePipeline() throws {
        let handler = ChartFilterHandler(filter: ChartFilter(pattern: "*.load", target: .v1_37), maxLineBytes: 100)
        let channel = EmbeddedChannel(handler: handler)
        #expect(throws: ChartStreamFilter.Failure.lineTooLong(100)) {
            try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 200)))
        }
        _ = try? channel.finish()
    }

    // MARK: The request

    @Test func testCompressionIsMaskedFromEveryVer() throws {
        #expect(StreamRequest.withoutCompression(16376) == 15352)
        #expect(StreamRequest.withoutCompression(469_565_432) == 465_894_392)
        #expect(StreamRequest.withoutCompression(5) == 4 && StreamRequest.withoutCompression(3) == 3)
        let request = try StreamRequest(bytes: Array(streamRequest(extra: "&ver=5").utf8))
        let masked = String(decoding: request.replacingKey(with: parentKey, compression: .none), as: UTF8.self)
        #expect(masked.contains("&ver=15352&") && masked.contains("&ver=4 HTTP/1.1"), "\(masked)")
        #expect(masked.replacingOccurrences(of: "ver=15352", with: "ver=16376").replacingOccurrences(of: "ver=4 ", with: "ver=5 ")
            == streamRequest(extra: "&ver=5").replacingOccurrences(of: relayKey, with: parentKey))
        // The real 2.11 child's request (captures-2.11): LZ4, ZSTD, GZIP and BROTLI all go.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/captures-2.11/child-stream-request.bin")
        let real = try StreamRequest(bytes: Array(try Data(contentsOf: url)))
        let forwarded = try StreamRequest(bytes: real.replacingKey(with: parentKey, compression: .none))
        let ver = try #require(UInt64(forwarded.value("ver", target: .v2) ?? ""))
        #expect(ver & StreamRequest.compressionBits == 0 && ver == 465_894_392)
        #expect(forwarded.bytes.count == real.bytes.count, "only the digits of ver changed (same key length)")
        // LZ4 only: the parent can pick LZ4 or nothing.
        let lz4 = try StreamRequest(bytes: real.replacingKey(with: parentKey, compression: .lz4Only))
        let lz4Ver = try #require(UInt64(lz4.value("ver", target: .v2) ?? ""))
        #expect(lz4Ver & StreamRequest.compressionBits == StreamRequest.lz4Bit && lz4Ver == 465_894_392 | StreamRequest.lz4Bit)
        #expect(StreamRequest.lz4Only(16376) == 16376 && StreamRequest.lz4Only(5) == 5 && StreamRequest.lz4Only(15352) == 15352)
    }

    /// What the parent answered, and what the child of a compressing relay is told.
    @Test(arguments: [("16320", true, "15296"), ("15296", false, "15296"), ("5", true, "4"), ("4", false, "4"),
                      // 2.x bitmaps: ZSTD chosen (the relay never offers it; no LZ4 here), and LZ4 chosen.
                      ("533527544", false, "533003256"), ("533004280", true, "533003256")])
    func testTheParentsLZ4ChoiceIsReadAndHiddenFromTheChild(version: String, lz4: Bool, toChild: String) {
        let answer = ParentAnswer(bytes: Array("Hit me baby, push them over with the version=\(version)".utf8), kind: .prompt)
        #expect(answer.choseLZ4 == lz4)
        #expect(answer.withoutCompression().text == "Hit me baby, push them over with the version=\(toChild)")
        #expect(answer.withoutCompression().isPrompt)
    }

    @Test func testAFilteredChildIsAskedForWithoutCompressionAndSplicedThroughTheFilter() throws {
        let configuration = try relayConfiguration(destination: "127.0.0.1:19999", extra: "    default proxy send charts matching = system.* *.load")
        var session = ChildSession(limits: RelayLimits(), hostID: "h", started: .uptimeNanoseconds(0))
        _ = session.receivedRequest(.stream(try StreamRequest(bytes: Array(streamRequest().utf8))), configuration: configuration, peerIP: "127.0.0.1")
        let actions = session.slotReserved(true)
        guard case .log(.child(.info, let text, 200, "ACCEPTED")) = actions.first,
              case .connectUpstream(let bytes, _, _, _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(text.contains("sending only the charts matching 'system.* *.load' (`default proxy send charts matching`, line 11 of [aaaaaaaa"), "\(text)")
        #expect(!text.contains(relayKey))
        // LZ4 is the only codec offered (a 1.37 child offers no other).
        #expect(String(decoding: bytes, as: UTF8.self).contains("&ver=16376 "))
        let snapshot = session
        // The parent does not compress: the answer goes to the child as it came.
        let spliced = session.upstreamAnswered(.answer(ParentAnswer(bytes: Array("Hit me baby, push them over with the version=15296".utf8), kind: .prompt),
                                                       destination: "127.0.0.1:19999"), now: .uptimeNanoseconds(0))
        guard case .startSplice(let answer, _, _, _, let leg?) = spliced.last else { Issue.record("\(spliced)"); return }
        #expect(leg == FilteredLeg(filter: ChartFilter(pattern: "system.* *.load", target: .v1_37), compressUpstream: false))
        #expect(String(decoding: answer, as: UTF8.self) == "Hit me baby, push them over with the version=15296")
        // The parent chose LZ4: the child is told no compression, and the relay compresses.
        var lz4 = snapshot
        let compressing = lz4.upstreamAnswered(.answer(ParentAnswer(bytes: Array("Hit me baby, push them over with the version=16320".utf8), kind: .prompt),
                                                       destination: "127.0.0.1:19999"), now: .uptimeNanoseconds(0))
        guard case .startSplice(let toChild, _, _, _, let compressed?) = compressing.last,
              case .log(.parent(.info, let line, _, _, _, _)) = compressing.first else { Issue.record("\(compressing)"); return }
        #expect(compressed.compressUpstream)
        #expect(String(decoding: toChild, as: UTF8.self) == "Hit me baby, push them over with the version=15296")
        #expect(line.contains("the relay compresses toward it with LZ4"), "\(line)")

        // Unfiltered (`*` first) and compression on: the request goes as the child sent it.
        let plain = try relayConfiguration(destination: "127.0.0.1:19999", extra: "    default proxy send charts matching = * !system.cpu")
        var unfiltered = ChildSession(limits: RelayLimits(), hostID: "h", started: .uptimeNanoseconds(0))
        _ = unfiltered.receivedRequest(.stream(try StreamRequest(bytes: Array(streamRequest().utf8))), configuration: plain, peerIP: "127.0.0.1")
        guard case .connectUpstream(let same, _, _, _) = unfiltered.slotReserved(true).last else { Issue.record("no connect"); return }
        #expect(String(decoding: same, as: UTF8.self) == streamRequest().replacingOccurrences(of: relayKey, with: parentKey))

        // `enable compression = no` alone: uncompressed, still spliced without a filter.
        let off = try relayConfiguration(destination: "127.0.0.1:19999", extra: "    enable compression = no")
        var uncompressed = ChildSession(limits: RelayLimits(), hostID: "h", started: .uptimeNanoseconds(0))
        _ = uncompressed.receivedRequest(.stream(try StreamRequest(bytes: Array(streamRequest().utf8))), configuration: off, peerIP: "127.0.0.1")
        guard case .connectUpstream(let masked, _, _, _) = uncompressed.slotReserved(true).last else { Issue.record("no connect"); return }
        #expect(String(decoding: masked, as: UTF8.self).contains("&ver=15352 "))
    }
}
