// `stream-config relay` as a process: refusing to start (lint errors, a busy port), SIGHUP
// reloads (an invalid file keeps the old configuration), SIGTERM drains and exits 0. A parent is
// not needed: admission decisions are visible in the relay's log and answers.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

private let firstKey = "aaaaaaaa-0000-4000-8000-000000000001"
private let secondKey = "aaaaaaaa-0000-4000-8000-000000000002"
private let upstreamKey = "bbbbbbbb-0000-4000-8000-000000000003"

private func conf(key: String, destination: String, extra: String = "") -> String {
    """
    [stream]
        enabled = no

    [\(key)]
        type = api
        enabled = yes\(extra)
        default proxy enabled = yes
        default proxy destination = \(destination)
        default proxy api key = \(upstreamKey)

    """
}

private func streamRequest(key: String, host: String) -> String {
    "STREAM key=\(key)&hostname=\(host)&machine_guid=0f6c3a2e-8d41-41ee-9b0a-525400123456&hops=1&ver=16376 HTTP/1.1\r\n"
        + "User-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n"
}

@Suite("stream-config relay process", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(2)))
struct RelayCLITests {

    @Test func testLintErrorsRefuseToStart() async throws {
        try await NetdataLab.run { lab in
            let file = lab.root.appendingPathComponent("broken.conf")
            try writeFile(file, Data(conf(key: firstKey, destination: "127.0.0.1:1", extra: " # note").utf8), mode: 0o640)
            let port = try FreePort.pick()
            let r = try await StreamConfigCLI.run(["relay", "--config", file.path, "--listen", "127.0.0.1:\(port)"])
            #expect(r.status == 1, "\(r)")
            // gcc format on stderr, at the line of `enabled = yes # note`
            #expect(r.stderr.contains("\(file.path):6:"), "\(r)")
            #expect(r.stderr.contains(": error: [SC108]"), "\(r)")
            #expect(FreePort.isFree(port), "it listened anyway")
        }
    }

    @Test func testPortInUseIsAClearError() async throws {
        try await NetdataLab.run { lab in
            let first = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:1"))
            let r = try await StreamConfigCLI.run(["relay", "--config", first.confURL.path, "--listen", first.address])
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("cannot listen on \(first.address): address already in use"), "\(r)")
            #expect(first.process.isRunning)
        }
    }

    @Test func testSighupSwapsValidFilesAndKeepsOldOnInvalid() async throws {
        try await NetdataLab.run { lab in
            let deadPort = try FreePort.pick()
            let relay = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:\(deadPort)"),
                                                 arguments: ["--upstream-timeout", "1"])

            // An invalid file: the old configuration stays.
            try relay.writeConf(conf(key: secondKey, destination: "127.0.0.1:\(deadPort)", extra: " # note"))
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("keeping the running configuration"), "\(relay.log())")
            #expect(relay.log().contains("SC108"), "the reason is not logged\n\(relay.log())")
            #expect(try await answer(relay, key: firstKey, host: "old-key-after-bad-reload") == "", "refused with the old config")
            #expect(await relay.waitForLogLine("ND_NIDL_NODE=old-key-after-bad-reload", "ND_REASON=ACCEPTED"), "\(relay.log())")
            #expect(try await answer(relay, key: secondKey, host: "new-key-after-bad-reload") == notPermitted)

            // A valid file: swapped.
            try relay.writeConf(conf(key: secondKey, destination: "127.0.0.1:\(deadPort)"))
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("SIGHUP: reloaded"), "\(relay.log())")
            #expect(try await answer(relay, key: firstKey, host: "old-key-after-reload") == notPermitted)
            #expect(try await answer(relay, key: secondKey, host: "new-key-after-reload") == "")
            #expect(await relay.waitForLogLine("ND_NIDL_NODE=new-key-after-reload", "ND_REASON=ACCEPTED"), "\(relay.log())")
        }
    }

    @Test func testOptionsTheRelayDoesNotHonourAreWarnedAtStartAndOnReload() async throws {
        try await NetdataLab.run { lab in
            let relay = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:1",
                                                                  extra: "\n    default memory mode = ram"))
            let path = relay.confURL.path
            #expect(await relay.waitForLogLine("level=warning", "\(path):7: the relay does not honour `default memory mode`", "[SC901]"),
                    "\(relay.log())")
            // The same file without it, plus another one: the warning follows the file.
            try relay.writeConf(conf(key: firstKey, destination: "127.0.0.1:1") + "    seconds to replicate = 3600\n")
            relay.signal(SIGHUP)
            #expect(await relay.waitForLogLine("level=warning", "SIGHUP: \(path):10: the relay does not honour `seconds to replicate`"),
                    "\(relay.log())")
            #expect(!relay.log().contains("SIGHUP: \(path):7:"), "\(relay.log())")
        }
    }

    @Test func testDescriptorLimitBelowMaxConnectionsIsWarned() async throws {
        try await NetdataLab.run { lab in
            // The relay adopts the hard open-file limit; no machine here allows 2 × 10 million.
            let relay = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:1"),
                                                 arguments: ["--max-connections", "10000000"])
            #expect(await relay.waitForLog("leaves room for about"), "\(relay.log())")
            #expect(relay.log().contains("fewer than --max-connections 10000000"), "\(relay.log())")
        }
    }

    @Test func testBrokenStderrPipeAtStartDoesNotKillTheRelay() async throws {
        try await NetdataLab.run { lab in
            // stderr is a pipe whose reader is gone before the relay starts: every log line it
            // writes meets EPIPE (SIGPIPE would end it with 141).
            let relay = try await lab.startRelay(
                streamConf: conf(key: firstKey, destination: "127.0.0.1:1"),
                wrapper: ["/bin/bash", "-c", #"exec 2> >(exit 0); wait $!; exec "$@""#, "broken-stderr"])
            #expect(try await answer(relay, key: secondKey, host: "after-broken-stderr") == notPermitted)
            #expect(relay.process.isRunning, "exit \(relay.process.exitStatus.map(String.init) ?? "-")")
            relay.signal(SIGTERM)
            #expect(await relay.process.wait(timeout: .seconds(10)))
            #expect(relay.process.exitStatus == 0, "exit \(relay.process.exitStatus.map(String.init) ?? "?")")
        }
    }

    @Test func testRunningOutOfDescriptorsBacksOffInsteadOfSpinning() async throws {
        try await NetdataLab.run { lab in
            let relay = try await lab.startRelay(
                streamConf: conf(key: firstKey, destination: "127.0.0.1:1"),
                arguments: ["--max-handshakes-per-address", "1000"],
                wrapper: ["/usr/bin/prlimit", "--nofile=64:64", "--"])
            let port = relay.port
            // More idle connections than the relay has descriptors for.
            let flood = try await onOwnThread { try (0..<120).map { _ in try RawSocket(port: port) } }
            #expect(await relay.waitForLog("no file descriptor left in the relay (EMFILE)"), "\(relay.log())")
            // A measurement window, not synchronisation: a listener that retries `accept` at once
            // burns a whole core here; the back-off keeps it near idle.
            let before = relay.cpuSeconds() ?? 0
            let logLinesBefore = relay.log().components(separatedBy: "cannot accept connections").count
            try await Task.sleep(for: .seconds(3))
            let used = (relay.cpuSeconds() ?? 0) - before
            let logLines = relay.log().components(separatedBy: "cannot accept connections").count - logLinesBefore
            #expect(used < 0.6, "the relay used \(used) s of CPU in 3 s while out of descriptors")
            #expect(logLines <= 4, "\(logLines) lines in 3 s: the failure must be logged at most once a second")
            // Descriptors free again: the relay serves again as soon as it has seen the flood's
            // connections end (until then a new connection may still be shed: closed unanswered).
            for socket in flood { socket.close() }
            var last = ""
            let served = await poll(timeout: .seconds(10)) {
                last = try await answer(relay, key: secondKey, host: "after-emfile")
                return last == notPermitted
            }
            #expect(served, "last answer: \(last.debugDescription)\n\(relay.log())")
            #expect(relay.process.isRunning)
        }
    }

    @Test(arguments: ["fifo", "device", "huge"])
    func testReloadOfAFileThatIsNotAConfigKeepsTheOldOneAndStillStops(kind: String) async throws {
        try await NetdataLab.run { lab in
            let relay = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:1"),
                                                 arguments: ["--upstream-timeout", "1"])
            let path = relay.confURL.path
            try FileManager.default.removeItem(atPath: path)
            switch kind {
            case "fifo": #expect(mkfifo(path, 0o640) == 0)
            case "device": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
            default:
                #expect(FileManager.default.createFile(atPath: path, contents: nil))
                #expect(truncate(path, 1 << 30) == 0, "a sparse 1 GiB file")
            }
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("keeping the running configuration", timeout: .seconds(10)), "\(relay.log())")
            #expect(try await answer(relay, key: secondKey, host: "after-\(kind)") == notPermitted, "the old configuration serves")
            // A second SIGHUP while nothing changed, then SIGTERM: the relay stops promptly.
            relay.signal(SIGHUP)
            relay.signal(SIGTERM)
            #expect(await relay.process.wait(timeout: .seconds(10)), "the relay did not stop\n\(relay.log())")
            #expect(relay.process.exitStatus == 0)
        }
    }

    /// `-q`: the relay's only output is its log, so quiet means warnings and errors only. The
    /// lines are written in order, so once the reload's error is there, the notices written at
    /// start (the configuration summary, "listening on") would be there before it.
    @Test(arguments: [true, false])
    func testQuietLogsOnlyWarningsAndErrors(quiet: Bool) async throws {
        try await NetdataLab.run { lab in
            let relay = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:1"),
                                                 arguments: quiet ? ["-q"] : [])
            try "garbage\n".write(to: relay.confURL, atomically: false, encoding: .utf8)
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("keeping the running configuration", timeout: .seconds(10)), "\(relay.log())")
            #expect(relay.log().contains("listening on") == !quiet, "\(relay.log())")
            #expect(relay.log().contains("level=notice") == !quiet, "\(relay.log())")
        }
    }

    @Test func testSigtermDrainsAndExitsZero() async throws {
        try await NetdataLab.run { lab in
            let metricsPort = try FreePort.pick()
            let relay = try await lab.startRelay(streamConf: conf(key: firstKey, destination: "127.0.0.1:1"),
                                                 arguments: ["--drain-timeout", "1", "--metrics-listen", "127.0.0.1:\(metricsPort)"])
            // A connection that is still open when the signal comes (accepted: counted by the relay).
            let open = try RawSocket(port: relay.port, timeout: .seconds(10))
            open.send("STREAM key=")
            #expect(await poll(timeout: .seconds(5)) {
                try await HTTP.get("http://127.0.0.1:\(metricsPort)/metrics").stdout.contains("stream_config_relay_connections_open 1\n")
            })
            relay.signal(SIGTERM)
            #expect(await relay.process.wait(timeout: .seconds(10)), "the relay did not exit\n\(relay.log())")
            #expect(relay.process.exitStatus == 0, "exit \(relay.process.exitStatus.map(String.init) ?? "?")\n\(relay.log())")
            // Timed by the relay's own log clock (ms): the test's wake-ups can lag on a loaded machine.
            let signalled = relay.logTime(of: "received SIGTERM: stopping")
            let stopped = relay.logTime(of: "msg=\"stopped\"")
            if let signalled, let stopped {
                let took = stopped - signalled
                #expect(took >= 0.9 && took < 3, "stopped \(took) s after SIGTERM, expected the 1 s drain\n\(relay.log())")
            } else {
                Issue.record("no timestamps for SIGTERM / stopped in the log\n\(relay.log())")
            }
            #expect(relay.log().contains("closing 1 connection(s) still open after the drain period"), "\(relay.log())")
            #expect(open.receiveOnce() == [], "the open connection was not closed")
            #expect(FreePort.isFree(relay.port))
            #expect(relay.log().contains("stopping: no longer accepting"))
        }
    }
}

private let notPermitted = "You are not permitted to access this. Check the logs for more info."

/// Everything the relay answers to one STREAM request before closing (the refusal sentence, or
/// nothing when it accepted the child and found no parent).
private func answer(_ relay: RelayUnderTest, key: String, host: String) async throws -> String {
    let port = relay.port, request = streamRequest(key: key, host: host)
    return try await onOwnThread {
        let socket = try RawSocket(port: port, timeout: .seconds(10))
        socket.send(request)
        return String(decoding: socket.receiveAll(), as: UTF8.self)
    }
}
