// The relay between real Netdata 1.37.1 children and parents (NetdataLab), driving the real
// `stream-config relay` binary. Each test is one claim of the relay issue; every wait polls with
// a deadline, and the lab stops every process by PID.

import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The key children present to the relay, and the key the relay presents to the parent.
private let childKey = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
private let parentKey = "11111111-2222-4333-8444-555555555555"

/// A parent accepting `parentKey`.
private let parentConf = "[\(parentKey)]\n    enabled = yes\n"

/// A 1.37-style relay configuration: children with `childKey` are forwarded to `destination`.
private func relayConf(destination: String, keyLines: String = "", stream: String = "") -> String {
    """
    [stream]
        enabled = no
    \(stream)

    """ + relayKeySection(childKey, destination: destination, upstreamKey: parentKey, extra: keyLines)
}

private func elapsed(since start: ContinuousClock.Instant) -> String {
    let d = ContinuousClock.now - start
    return String(format: "%.1fs", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

@Suite("stream-config relay vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(3)))
struct RelayInteropTests {

    @Test(arguments: [true, false])
    func testChildStreamsThroughRelay(compression: Bool) async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "p-\(compression ? "lz4" : "plain")", streamConf: parentConf)
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: parent.address))
            let host = "relayed-\(compression ? "lz4" : "plain")"
            let child = try lab.child(host, destination: relay.address, apiKey: childKey,
                                      extraStream: compression ? "" : "    enable compression = no")
            let start = ContinuousClock.now
            try await child.start()
            #expect(await parent.waitUntilStreaming(host), "\(host) not streaming at the parent\n\(lab.logTails())")
            print("RelayInteropTests: \(host) visible with fresh data \(elapsed(since: start)) after the child started")

            // The relay is not a Netdata node: hops untouched; the parent saw the relay's key.
            #expect(try await parent.mirroredHost(host)?.hops == 1)
            #expect(parent.accessLines(for: host).contains { $0.contains("'CONNECTED'") && $0.contains(parentKey) },
                    "parent access.log:\n\(parent.logTail("access.log"))")
            // Compression negotiated end to end (the relay passes the LZ4 blocks through untouched).
            let capabilities = child.log().split(separator: "\n").last { $0.contains("established link with negotiated capabilities") }
            #expect(capabilities?.contains("COMPRESSION") == compression, "child: \(capabilities ?? "no established link")")
            // Still fresh a few seconds later (steady state through the splice).
            try await Task.sleep(for: .seconds(3))
            #expect(await poll(timeout: .seconds(10)) { await parent.hasFreshData(host, maxAge: 3) }, "data went stale\n\(lab.logTails())")
            // ... over the same link: the child never had to reconnect.
            let links = child.log().split(separator: "\n").filter { $0.contains("established link with negotiated capabilities") }
            #expect(links.count == 1, "the child connected \(links.count) times\n\(child.log().suffix(3000))")

            let log = relay.log()
            #expect(log.contains("MESSAGE_ID=ed4cdb8f1beb4ad3b57cb3cae2d162fa"))
            #expect(log.contains("connected and ready to receive data"))
            #expect(log.contains("MESSAGE_ID=6e2e3839067648968b646045dbf28d66"))
            #expect(!log.contains(childKey) && !log.contains(parentKey), "a full API key was logged")
        }
    }

    /// The packaged unit runs the relay as `netdata` with no capabilities. Until this test, every
    /// connection's set-up asked for SO_DEBUG (a TCP_NODELAY written at the socket level), which
    /// needs CAP_NET_ADMIN: an unprivileged relay closed each child at once, unanswered, while
    /// every test ran it as root.
    @Test func testAnUnprivilegedRelayServesChildren() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "p-unprivileged", streamConf: parentConf)
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: parent.address), unprivileged: true)
            let uids = relay.status("Uid"), capabilities = relay.status("CapEff")
            #expect(!uids.isEmpty && !uids.contains("0"), "the relay runs as root: Uid \(uids)")
            #expect(capabilities == ["0000000000000000"], "the relay holds capabilities: CapEff \(capabilities)")
            let child = try lab.child("unprivileged-child", destination: relay.address, apiKey: childKey)
            try await child.start()
            #expect(await parent.waitUntilStreaming("unprivileged-child"), "not streaming through an unprivileged relay\n\(relay.log())\n\(lab.logTails())")
            #expect(relay.log().contains("connected and ready to receive data"), "\(relay.log())")
        }
    }

    @Test func testRefusedChildrenAreDeniedAndNeverReachTheParent() async throws {
        let unknownKey = "99999999-8888-4777-8666-555555555555"
        let disabledKey = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"
        let remoteOnlyKey = "cccccccc-dddd-4eee-8fff-000000000000"
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "refusing-parent", streamConf: parentConf)
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: parent.address) + """
                [\(disabledKey)]
                    type = api
                    enabled = no
                    default proxy destination = \(parent.address)
                    default proxy api key = \(parentKey)

                [\(remoteOnlyKey)]
                    type = api
                    enabled = yes
                    allow from = 10.*
                    default proxy enabled = yes
                    default proxy destination = \(parent.address)
                    default proxy api key = \(parentKey)

                """)
            let cases: [(host: String, key: String, reason: String)] = [
                ("unknown-key", unknownKey, "ACCESS DENIED - KEY NOT ENABLED"),
                ("disabled-key", disabledKey, "ACCESS DENIED - KEY NOT ENABLED"),
                ("not-allowed", remoteOnlyKey, "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP"),
            ]
            var children: [NetdataInstance] = []
            for c in cases {
                let child = try lab.child(c.host, destination: relay.address, apiKey: c.key)
                try await child.start()
                children.append(child)
            }
            for (c, child) in zip(cases, children) {
                #expect(await child.waitForLog("remote server denied access"),
                        "\(c.host) did not log the denial\n\(lab.logTails())")
                #expect(await relay.waitForLogLine("ND_NIDL_NODE=\(c.host)", "ND_REASON=\"\(c.reason)\"", "ND_RESPONSE_CODE=401"),
                        "relay did not log \(c.reason) for \(c.host)\n\(relay.log())")
            }
            // Never forwarded: the parent has no trace of them.
            for c in cases {
                #expect(parent.accessLines(for: c.host).isEmpty, "parent saw \(c.host): \(parent.accessLines(for: c.host))")
                #expect(try await parent.mirroredHost(c.host) == nil)
            }
        }
    }

    @Test func testFailoverToSecondDestination() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "second-parent", streamConf: parentConf)
            try await parent.start()
            let deadPort = try FreePort.pick()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: "127.0.0.1:\(deadPort) \(parent.address)"))
            let child = try lab.child("failover-child", destination: relay.address, apiKey: childKey)
            let start = ContinuousClock.now
            try await child.start()
            #expect(await parent.waitUntilStreaming("failover-child"), "not streaming via the second destination\n\(lab.logTails())")
            print("RelayInteropTests: failover child visible \(elapsed(since: start)) after start")
            let log = relay.log()
            #expect(log.contains("[to 127.0.0.1:\(deadPort)]: can't connect to a parent, last error: connection refused"), "\(log)")
            #expect(log.contains("[to \(parent.address)]: connected to parent"), "\(log)")
        }
    }

    @Test func testChildComesBackAfterParentRestart() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "restarting-parent", streamConf: parentConf)
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: parent.address))
            let child = try lab.child("comeback-child", destination: relay.address, apiKey: childKey)
            try await child.start()
            #expect(await parent.waitUntilStreaming("comeback-child"), "\(lab.logTails())")

            let restart = ContinuousClock.now
            try await parent.restart()
            #expect(await parent.waitUntilStreaming("comeback-child", timeout: .seconds(60)),
                    "child did not come back after the parent restarted\n\(lab.logTails())")
            print("RelayInteropTests: child back with fresh data \(elapsed(since: restart)) after the parent restart began")
            #expect(relay.process.isRunning)
            // The first splice's end, written by its child half: once, the parent's doing, with
            // what the real child had streamed through it.
            let ends = relay.log().split(separator: "\n").filter { $0.contains("receiver disconnected") && $0.contains("comeback-child") }
            #expect(ends.count == 1 && ends[0].contains("reason=\\\"parent "), "\(relay.log())")
            let bytesIn = ends.first?.split(separator: " ").first { $0.hasPrefix("bytes_in=") }.flatMap { Int($0.dropFirst("bytes_in=".count)) }
            #expect((bytesIn ?? 0) > 0, "\(ends)")
        }
    }

    @Test func testSimulated2xChildGetsStreamInfoAndStreams() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "parent-for-2x", streamConf: parentConf)
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: parent.address))
            let fake = Simulated2xChild(hostname: "fake-2x", machineGUID: "5a1e0000-e852-41f1-8a46-02fc0000abcd", apiKey: childKey)

            // 1. stream_info pre-flight (spec 1.9): an HTTP answer with Content-Length and a body.
            // The 1.37 parent has no v3 API: its 404 "Unsupported API version: v3" is relayed.
            let relayPort = relay.port, relayAddress = relay.address
            let info = try await onOwnThread { try fake.fetchStreamInfo(port: relayPort, hostHeader: relayAddress) }
            #expect(info.status == 404 && info.contentLength > 0 && info.body == "Unsupported API version: v3", "\(info)")

            // 2. STREAM with a 2.x request (spec 1.2 order and encoding, 2.x capability bits
            // without compression/replication): the 1.37 parent answers the intersection.
            let socket = try RawSocket(port: relay.port)
            let answer = try await onOwnThread { try fake.handshake(socket) }
            #expect(answer == "Hit me baby, push them over with the version=11200", "answer: \(answer)")
            try await fake.whileStreaming(socket) {
                #expect(await parent.waitUntilStreaming("fake-2x", chart: "fake.load", timeout: .seconds(30)),
                        "fake-2x not streaming at the parent\n\(lab.logTails())\n\(relay.log())")
                let hops = try await parent.mirroredHost("fake-2x")?.hops
                #expect(hops == 1)
            }

            // 3. With no parent reachable, the relay synthesizes the 404 JSON rather than closing.
            let deadPort = try FreePort.pick()
            let lonely = try await lab.startRelay(name: "lonely-relay", streamConf: relayConf(destination: "127.0.0.1:\(deadPort)",
                                                                                             stream: "    destination = 127.0.0.1:\(deadPort)"))
            let lonelyPort = lonely.port, lonelyAddress = lonely.address
            let synthesized = try await onOwnThread { try fake.fetchStreamInfo(port: lonelyPort, hostHeader: lonelyAddress) }
            #expect(synthesized.status == 404 && synthesized.contentLength == synthesized.body.utf8.count, "\(synthesized)")
            let json = try JSONSerialization.jsonObject(with: Data(synthesized.body.utf8)) as? [String: Any]
            #expect(json?["status"] as? Int == 404 && json?["version"] as? Int == 1 && json?["host_id"] is String,
                    "\(synthesized.body)")
            #expect(json?["ingest_type"] == nil)
        }
    }

    @Test func testTLSOnBothLegs() async throws {
        try await NetdataLab.run { lab in
            let certs = try await TestCertificates.make(in: lab.root.appendingPathComponent("certs"), names: ["relay", "parent"])
            let parent = try lab.instance(hostname: "tls-parent", streamConf: parentConf)
            // TLS on the parent's port; `^SSL=optional` keeps plaintext API calls (the lab's
            // checks) from being redirected to https. Later keys win in netdata.conf.
            let handle = try FileHandle(forWritingTo: parent.netdataConfURL)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("""

                [web]
                    bind to = \(parent.address)=dashboard|registry|badges|management|streaming|netdata.conf^SSL=optional
                    ssl key = \(certs.key("parent").path)
                    ssl certificate = \(certs.cert("parent").path)

                """.utf8))
            try handle.close()
            try await parent.start()
            let tlsArgs = ["--tls-certificate", certs.cert("relay").path, "--tls-key", certs.key("relay").path,
                           "--upstream-timeout", "4"]
            // Verification is on by default: without the test CA the parent's certificate fails.
            let withoutCA = relayConf(destination: "\(parent.address):SSL")
            let relay = try await lab.startRelay(streamConf: withoutCA, arguments: tlsArgs)
            let childTLS = "    ssl skip certificate verification = yes"
            let first = try lab.child("tls-child-1", destination: "\(relay.address):SSL", apiKey: childKey, extraStream: childTLS)
            try await first.start()
            #expect(await relay.waitForLog("invalid SSL certification"), "no certificate failure logged\n\(relay.log())")
            #expect(relay.log().contains("ND_SRC_TRANSPORT=https"), "the child leg was not TLS\n\(relay.log())")
            #expect(try await parent.mirroredHost("tls-child-1") == nil)
            await first.stop()

            // CAfile in [stream], applied with SIGHUP; a fresh child (the first one backs off 30 s).
            try relay.writeConf(relayConf(destination: "\(parent.address):SSL", stream: "    CAfile = \(certs.caCert.path)"))
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("SIGHUP: reloaded"), "\(relay.log())")
            let second = try lab.child("tls-child-2", destination: "\(relay.address):SSL", apiKey: childKey, extraStream: childTLS)
            let start = ContinuousClock.now
            try await second.start()
            #expect(await parent.waitUntilStreaming("tls-child-2"), "not streaming over TLS\n\(lab.logTails())")
            print("RelayInteropTests: TLS child visible with fresh data \(elapsed(since: start)) after start")
            let log = relay.log()
            #expect(log.contains("[to \(parent.address):SSL]: connected to parent") && log.contains("ND_DST_TRANSPORT=https"), "\(log)")

            // `ssl skip certificate verification = yes` (no CAfile) is honoured too.
            let skipping = try await lab.startRelay(name: "relay-skip", streamConf: relayConf(
                destination: "\(parent.address):SSL", stream: "    ssl skip certificate verification = yes"), arguments: tlsArgs)
            let third = try lab.child("tls-child-3", destination: "\(skipping.address):SSL", apiKey: childKey, extraStream: childTLS)
            try await third.start()
            #expect(await parent.waitUntilStreaming("tls-child-3"), "not streaming with verification skipped\n\(skipping.log())")
        }
    }

    @Test func testHostileInputLeavesRelayAndGoodChildrenAlone() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "hostile-parent", streamConf: parentConf)
            try await parent.start()
            let metricsPort = try FreePort.pick()
            let relay = try await lab.startRelay(streamConf: relayConf(destination: parent.address),
                                                 arguments: ["--request-timeout", "2", "--metrics-listen", "127.0.0.1:\(metricsPort)"])
            let good = try lab.child("good-child", destination: relay.address, apiKey: childKey)
            try await good.start()
            #expect(await parent.waitUntilStreaming("good-child"), "\(lab.logTails())")
            let rssBefore = relay.rssKiB() ?? 0
            let port = relay.port

            // Random bytes: an HTTP 400 (or a close), never a hang or a crash.
            let randomReplies = try await onOwnThread {
                var generator = SystemRandomNumberGenerator()
                return try (0..<20).map { _ in
                    let socket = try RawSocket(port: port)
                    socket.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    return String(decoding: socket.receiveAll(), as: UTF8.self)
                }
            }
            for reply in randomReplies {
                #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 400"), "\(reply.prefix(80))")
            }
            // A request over the 16 KiB cap: 431, then closed.
            let bigReply = try await onOwnThread {
                let big = try RawSocket(port: port)
                big.send("STREAM key=" + String(repeating: "a", count: 20_000))
                return String(decoding: big.receiveAll(), as: UTF8.self)
            }
            #expect(bigReply.hasPrefix("HTTP/1.1 431"), "\(bigReply.prefix(80))")
            // A slow client that never finishes its request: closed after --request-timeout.
            let (slowReply, slowWait) = try await onOwnThread {
                let slow = try RawSocket(port: port, timeout: .seconds(10))
                slow.send("STREAM key=\(childKey)&hostname=slow")
                let slowStart = ContinuousClock.now
                let reply = slow.receiveOnce()
                return (reply, ContinuousClock.now - slowStart)
            }
            #expect(slowReply == [], "the slow client was not closed (got \(slowReply.map { "\($0.count) bytes" } ?? "a timeout"))")
            #expect(slowWait < .seconds(5), "closed only after \(slowWait)")

            // 1,000 connections opened and dropped (some with a partial request), 50 at a time.
            let storm = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<50 {
                    group.addTask {
                        try await onOwnThread {
                            for i in 0..<20 {
                                let socket = try RawSocket(port: port)
                                if (worker + i) % 2 == 0 { socket.send("STREAM key=\(childKey)&host") }
                                socket.close()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            print("RelayInteropTests: 1000 connections opened and dropped in \(elapsed(since: storm))")

            // Every dropped connection is gone again; only the good child remains.
            let drained = await poll(timeout: .seconds(10)) {
                let metrics = try await HTTP.get("http://127.0.0.1:\(metricsPort)/metrics")
                return metrics.stdout.contains("stream_config_relay_connections_open 1\n")
            }
            let metricsText = (try? await HTTP.get("http://127.0.0.1:\(metricsPort)/metrics").stdout) ?? ""
            #expect(drained, "connections still open: \(metricsText)")
            #expect(relay.process.isRunning, "the relay died\n\(relay.log())")
            let rssAfter = relay.rssKiB() ?? 0
            print("RelayInteropTests: relay RSS \(rssBefore) KiB before, \(rssAfter) KiB after the hostile input")
            #expect(rssAfter < rssBefore + 30 * 1024 && rssAfter < 200 * 1024, "RSS grew from \(rssBefore) to \(rssAfter) KiB")
            // The good child never noticed; a new child is served as usual.
            #expect(await poll(timeout: .seconds(10)) { await parent.hasFreshData("good-child", maxAge: 3) },
                    "good child went stale\n\(lab.logTails())")
            #expect(!good.log().contains("connection closed by far end"))
            let late = try lab.child("late-child", destination: relay.address, apiKey: childKey)
            try await late.start()
            #expect(await parent.waitUntilStreaming("late-child"), "\(lab.logTails())")
        }
    }
}

/// A 2.x child built from the spec (1.2 request, 1.4 capabilities, 1.9 stream_info), speaking
/// the 1.37 dialect it negotiates with a 1.37 parent: plain-text CHART/DIMENSION/BEGIN/SET/END.
struct Simulated2xChild: Sendable {
    let hostname: String
    let machineGUID: String
    let apiKey: String
    /// The `ver` this simulator sends (`Self.capabilities` unless a test offers more).
    var offered: Int = Self.capabilities

    /// 2.x bits a real 2.11 child offers, minus compression (10, 19-21), replication (12) and
    /// MLMODELS, so that a simulator can speak plain text: VCAPS HLABELS CLAIM CLABELS FUNCTIONS
    /// BINARY INTERPOLATED IEEE754 SLOTS PROGRESS DYNCFG NODEID PATHS.
    static let capabilities = 64 | 128 | 256 | 512 | 2048 | 8192 | 16384 | 32768 | 262144 | 4194304 | 8388608 | 16777216 | 33554432

    struct StreamInfo: CustomStringConvertible {
        var status: Int
        var contentLength: Int
        var body: String
        var raw: String
        var description: String { raw }
    }

    func fetchStreamInfo(port: Int, hostHeader: String) throws -> StreamInfo {
        let socket = try RawSocket(port: port)
        socket.send("GET /api/v3/stream_info?machine_guid=\(machineGUID) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
            + "User-Agent: netdata/v2.11.0\r\nAccept: */*\r\nAccept-Encoding: identity\r\nTE: identity\r\n"
            + "Pragma: no-cache\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
        let raw = String(decoding: socket.receiveAll(), as: UTF8.self)
        let parts = raw.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        // The child looks for exactly "Content-Length: " (case-sensitive).
        let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("Content-Length: ") }
            .flatMap { Int($0.dropFirst("Content-Length: ".count)) } ?? 0
        return StreamInfo(status: status, contentLength: length, body: parts.dropFirst().joined(separator: "\r\n\r\n"), raw: raw)
    }

    /// Sends the STREAM request and returns what one `recv` got (as the child does).
    func handshake(_ socket: RawSocket) throws -> String {
        func encoded(_ value: String) -> String {
            var out = ""
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                    out.append(Character(UnicodeScalar(byte)))
                case UInt8(ascii: " "): out.append("+")
                default: out += String(format: "%%%02x", byte)
                }
            }
            return out
        }
        let parameters: [(String, String)] = [
            ("key", apiKey), ("hostname", hostname), ("registry_hostname", hostname), ("machine_guid", machineGUID),
            ("update_every", "1"), ("os", "linux"), ("timezone", "Etc/UTC"), ("abbrev_timezone", "UTC"), ("utc_offset", "0"),
            ("hops", "1"), ("ver", String(offered)), ("ml_capable", "0"), ("ml_enabled", "0"), ("mc_version", "0"),
            ("NETDATA_INSTANCE_CLOUD_TYPE", "unknown"), ("NETDATA_SYSTEM_OS_NAME", "Debian GNU/Linux"),
            ("NETDATA_SYSTEM_OS_VERSION", "12 (bookworm)"), ("NETDATA_SYSTEM_KERNEL_NAME", "Linux"),
            ("NETDATA_HOST_IS_K8S_NODE", "false"), ("NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT", "2"),
            ("NETDATA_PROTOCOL_VERSION", "1.1"),
        ]
        let query = parameters.map { "\($0.0)=\(encoded($0.1))" }.joined(separator: "&")
        guard socket.send("STREAM \(query) HTTP/1.1\r\nUser-Agent: netdata/v2.11.0\r\nAccept: */*\r\n\r\n") else {
            throw LabError("could not send the STREAM request")
        }
        guard let answer = socket.receiveOnce(max: 4095) else { throw LabError("no answer within the timeout") }
        return String(decoding: answer, as: UTF8.self)
    }

    /// Streams while `body` runs (see `startStreaming`), and stops on every way out of it.
    func whileStreaming(_ socket: RawSocket, _ body: () async throws -> Void) async throws {
        let streaming = startStreaming(socket)
        do {
            try await body()
        } catch {
            await streaming.stop()
            throw error
        }
        await streaming.stop()
    }

    /// One chart, one dimension, a value per second on a thread of its own, until stopped (or
    /// for at most `limit`); then closes. The test stops it once the parent has shown the data,
    /// so a slow poll on a loaded machine cannot outlast the stream.
    func startStreaming(_ socket: RawSocket, limit: Duration = .seconds(60)) -> PacedStream {
        let paced = PacedStream()
        let thread = Thread {
            defer { socket.close(); paced.finish() }
            guard socket.send("""
                CHART "fake.load" "" "Simulated load" "load" "fake" "fake.load" "line" 1000 1 "" "fake.plugin" "fake"
                DIMENSION "one" "one" "absolute" 1 1 ""

                """) else { return }
            let end = ContinuousClock.now + limit
            var i = 0
            while ContinuousClock.now < end {
                guard socket.send("BEGIN \"fake.load\" \(i == 0 ? 0 : 1_000_000)\nSET \"one\" = \(40 + i % 10)\nEND\n") else { return }
                i += 1
                if paced.waitForStop(upTo: 1) { return }
            }
        }
        thread.start()
        return paced
    }
}

/// The stop switch of a simulated child's stream.
final class PacedStream: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false

    /// Sleeps up to `seconds`; true as soon as `stop()` was called.
    func waitForStop(upTo seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let until = Date(timeIntervalSinceNow: seconds)
        while !stopping, condition.wait(until: until) {}
        return stopping
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the stream and waits (up to 10 s) until its socket is closed.
    func stop() async {
        requestStop()
        let stopped = await poll(timeout: .seconds(10), interval: .milliseconds(20)) { self.isFinished }
        if !stopped { Issue.record("the simulated child's stream did not stop within 10 s") }
    }

    private func requestStop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }
}
