import Logging
import NIOCore
import NIOPosix
import StreamConfig
import Synchronization
import Testing
import TestSupport
import UnixSignals
@testable import StreamRelay

/// SIGHUP reloads and SIGTERM drains, in this process: `RelayService` reads its signals from a
/// sequence the test feeds, and reloads through `RelayLaunch.reload` with files the test holds.
/// No parent is needed: admission decisions show in the answers and the log.
@Suite(.serialized, .timeLimit(.minutes(1))) struct RelayReloadDrainTests {
    static let firstKey = "aaaaaaaa-0000-4000-8000-000000000001"
    static let secondKey = "aaaaaaaa-0000-4000-8000-000000000002"
    static let path = "relay.conf"

    static func conf(key: String, extra: String = "") -> String {
        """
        [stream]
            enabled = no

        [\(key)]
            type = api
            enabled = yes\(extra)
            allow from = *
            default proxy enabled = yes
            default proxy destination = 127.0.0.1:1
            default proxy api key = \(parentKey)

        """
    }

    /// The files the relay reads (instead of the file system) and what it printed.
    final class Files: Sendable {
        let contents = Mutex<[String: [UInt8]]>([:])

        func write(_ path: String, _ text: String) { contents.withLock { $0[path] = Array(text.utf8) } }

        var host: RelayLaunch.Host {
            RelayLaunch.Host(
                read: { path in
                    guard let bytes = self.contents.withLock({ $0[path] }) else { throw RelayLaunch.Failure(message: "\(path): no such file", hint: nil) }
                    return (bytes, 0o640)
                },
                loadCertificate: { _ in throw RelayLaunch.Failure(message: "no certificate here", hint: nil) },
                render: { report, _ in
                    report.diagnostics.filter { $0.severity == .error }
                        .map { "\(Self.pathForFindings):\($0.line): error: [\($0.code)] \($0.message)" }.joined(separator: "\n")
                },
                printError: { _ in },
                descriptors: (limit: 1 << 20, children: 1 << 19))
        }

        static let pathForFindings = RelayReloadDrainTests.path
    }

    struct Running {
        let server: RelayServer
        let port: Int
        let signals: AsyncStream<UnixSignal>.Continuation
        let service: Task<Void, Error>
    }

    /// A relay on 127.0.0.1 run by `RelayService`, its signals from the returned continuation.
    func withRelay(files: Files, records: LogRecords, drainTimeout: TimeAmount = .seconds(5),
                   _ body: (Running) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var limits = RelayLimits()
        limits.upstreamBudget = .milliseconds(200)
        limits.drainTimeout = drainTimeout
        let host = files.host
        let configuration = try RelayLaunch.load(Self.path, target: nil, host: host)
        let logger = records.logger
        let server = RelayServer(configuration: configuration, options: RelayOptions(listen: [ListenAddress(host: "127.0.0.1", port: 0)], limits: limits),
                                 serverTLS: nil, logger: logger, group: group)
        let (signals, continuation) = AsyncStream<UnixSignal>.makeStream()
        let service = RelayService(server: server, logger: logger, signals: signals) {
            RelayLaunch.reload(Self.path, target: nil, server: server, logger: logger, host: host)
        }
        let port = try #require(try server.start().first?.port)
        let task = Task { try await service.run() }
        do {
            try await body(Running(server: server, port: port, signals: continuation, service: task))
        } catch {
            server.shutdown()
            _ = try? await task.value
            try? await group.shutdownGracefully()
            throw error
        }
        server.shutdown()
        _ = try? await task.value
        try await group.shutdownGracefully()
    }

    /// Everything the relay answers to one STREAM request before it closes.
    static func answer(port: Int, key: String, host: String) async throws -> String {
        try await onOwnThread {
            let child = try LoopbackSocket(port: port, timeoutSeconds: 5)
            child.send(streamRequest(key: key, host: host))
            var text = ""
            while let chunk = child.receiveOnce(), !chunk.isEmpty { text += chunk }
            return text
        }
    }

    @Test func sighupSwapsAValidFileAndKeepsTheRunningOneOnAnInvalidFile() async throws {
        let files = Files()
        files.write(Self.path, Self.conf(key: Self.firstKey))
        let records = LogRecords()
        try await withRelay(files: files, records: records) { relay in
            // An invalid file (an inline comment, SC108): the old configuration stays.
            files.write(Self.path, Self.conf(key: Self.secondKey, extra: " # note"))
            relay.signals.yield(.sighup)
            #expect(await poll(timeout: .seconds(5)) { records.contains("keeping the running configuration") }, "\(records.lines)")
            #expect(records.contains("SC108"), "the reason is logged: \(records.lines)")
            let answer1 = try await Self.answer(port: relay.port, key: Self.firstKey, host: "old-key-after-bad-reload")
            #expect(answer1 == "")
            #expect(records.lines.contains { $0.contains("'old-key-after-bad-reload'") && $0.contains("accepted by relay.conf") }, "\(records.lines)")
            let answer2 = try await Self.answer(port: relay.port, key: Self.secondKey, host: "new-key-after-bad-reload")
            #expect(answer2 == StreamAnswer.notPermitted)

            // A valid file: swapped for connections from now on.
            files.write(Self.path, Self.conf(key: Self.secondKey))
            relay.signals.yield(.sighup)
            #expect(await poll(timeout: .seconds(5)) { records.contains("SIGHUP: reloaded relay.conf") }, "\(records.lines)")
            let answer3 = try await Self.answer(port: relay.port, key: Self.firstKey, host: "old-key-after-reload")
            #expect(answer3 == StreamAnswer.notPermitted)
            let answer4 = try await Self.answer(port: relay.port, key: Self.secondKey, host: "new-key-after-reload")
            #expect(answer4 == "")
            #expect(records.lines.contains { $0.contains("'new-key-after-reload'") && $0.contains("accepted by relay.conf") }, "\(records.lines)")

            // A file that cannot be read: the running configuration stays.
            files.contents.withLock { $0[Self.path] = nil }
            relay.signals.yield(.sighup)
            #expect(await poll(timeout: .seconds(5)) { records.contains("SIGHUP: cannot read relay.conf") }, "\(records.lines)")
            let answer5 = try await Self.answer(port: relay.port, key: Self.secondKey, host: "after-unreadable")
            #expect(answer5 == "")
        }
    }

    @Test func sigtermDrainsThenCutsWhatIsStillOpenAndTheServiceReturns() async throws {
        let files = Files()
        files.write(Self.path, Self.conf(key: Self.firstKey))
        let records = LogRecords()
        try await withRelay(files: files, records: records, drainTimeout: .milliseconds(300)) { relay in
            // A connection still sending its request when the signal comes.
            let open = try await onOwnThread { try LoopbackSocket(port: relay.port, timeoutSeconds: 5) }
            open.send("STREAM key=")
            #expect(await poll(timeout: .seconds(5)) { relay.server.connectionCount == 1 })
            let signalled = ContinuousClock.now
            relay.signals.yield(.sigterm)
            try await relay.service.value
            let took = ContinuousClock.now - signalled
            #expect(took >= .milliseconds(300), "stopped before the drain period: \(took)")
            #expect(records.contains("received SIGTERM: stopping"))
            #expect(records.contains("stopping: no longer accepting; 1 connection(s) get 0.3s to finish"), "\(records.lines)")
            #expect(records.contains("closing 1 connection(s) still open after the drain period"), "\(records.lines)")
            #expect(records.lines.contains("notice stopped"), "\(records.lines)")
            let answer = try await onOwnThread { open.receiveOnce() }
            #expect(answer == "", "the open connection was closed")
            #expect(throws: (any Error).self, "no longer listening") { try LoopbackSocket(port: relay.port, timeoutSeconds: 1) }
        }
    }

    @Test func sigintStopsAtOnceWhenNothingIsOpen() async throws {
        let files = Files()
        files.write(Self.path, Self.conf(key: Self.firstKey))
        let records = LogRecords()
        try await withRelay(files: files, records: records, drainTimeout: .seconds(30)) { relay in
            relay.signals.yield(.sigint)
            try await relay.service.value
            #expect(records.contains("received SIGINT: stopping"))
            #expect(records.lines.contains("notice stopped"), "stopped without waiting for the 30 s drain period")
        }
    }
}
