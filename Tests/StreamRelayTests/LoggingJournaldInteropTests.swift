#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
import TestSupport
@testable import StreamRelay

/// End to end against a real journald: a standalone `systemd-journald <namespace>` for a private,
/// randomly named namespace (so parallel runs and the machine's own journal are untouched),
/// started and stopped by PID here. Entries are looked up with
/// `journalctl --namespace=<ns> MESSAGE_ID=... -o json`, polled until a deadline.
///
/// `STREAM_CONFIG_TEST_JOURNAL_NAMESPACE=netdata` uses the `netdata` namespace instead: an
/// already running journald is reused and left alone; one is started (and stopped) only if its
/// socket does not answer. Journal files of a non-private namespace are never removed; its
/// runtime directory (the sockets) only if this test created it.
///
/// When journald cannot run (not root, no systemd-journald/journalctl, it exits or its socket
/// never answers), the test is cancelled (shown as skipped) with the reason, unless
/// `STREAM_CONFIG_REQUIRE_INTEROP=1`, which turns that into a failure.
@Suite(.timeLimit(.minutes(1)))
struct LoggingJournaldInteropTests {
    @Test func entriesReachARealJournald() async throws {
        let journal: StandaloneJournald
        do {
            journal = try StandaloneJournald.start(namespace: StandaloneJournald.namespaceFromEnvironment())
        } catch let failure as StandaloneJournald.Unavailable {
            if ProcessInfo.processInfo.environment["STREAM_CONFIG_REQUIRE_INTEROP"] == "1" {
                Issue.record("journald interop required but unavailable: \(failure.reason)")
                return
            }
            try Test.cancel("journald cannot run here: \(failure.reason)")
        }
        defer { journal.stop() }

        // The same decision the relay makes at start-up, pointed at this journald.
        let sink = RelayLogging.selectSink(
            preferJournald: true, environment: ["STREAM_CONFIG_JOURNAL_SOCKET": journal.socketPath])
        #expect(sink.description == "journald namespace \(journal.namespace) (\(journal.socketPath)) via STREAM_CONFIG_JOURNAL_SOCKET")

        let socket = try JournaldSocket(path: journal.socketPath)
        let logger = Logger(label: "stream-config.interop") { label in
            JournaldLogHandler(label: label, socket: socket, encoder: JournaldEntryEncoder(maxMessageBytes: 1 << 20))
        }
        let marker = UUID().uuidString.lowercased()
        logger.warning(
            "STREAM RCV 'interop-child' [from [127.0.0.1]:40000]: connected and ready to receive data",
            metadata: [
                "MESSAGE_ID": "\(RelayMessageID.childConnection)",
                "STREAM_CONFIG_TEST_MARKER": "\(marker)",
                "ND_SRC_IP": "127.0.0.1",
                "nd_response_code": "204",
                "_forged_trusted": "client value",
                "details": "line one\nline two",
            ])
        // Larger than one datagram: goes through the memfd path.
        let bigMessage = String(repeating: "0123456789abcdef", count: 300 * 1024 / 16)
        logger.info("\(bigMessage)", metadata: ["MESSAGE_ID": "\(RelayMessageID.childConnection)", "STREAM_CONFIG_TEST_MARKER": "\(marker)-big"])
        #expect(socket.sentCount == 2)
        #expect(socket.droppedCount == 0)

        let entry = try await journal.waitForEntry(messageID: RelayMessageID.childConnection, marker: marker)
        #expect(entry["MESSAGE"] as? String == "STREAM RCV 'interop-child' [from [127.0.0.1]:40000]: connected and ready to receive data")
        #expect(entry["PRIORITY"] as? String == "4")
        #expect(entry["SYSLOG_IDENTIFIER"] as? String == "stream-config")
        #expect(entry["MESSAGE_ID"] as? String == RelayMessageID.childConnection)
        #expect(entry["ND_SRC_IP"] as? String == "127.0.0.1")
        #expect(entry["ND_RESPONSE_CODE"] as? String == "204")
        #expect(entry["FORGED_TRUSTED"] as? String == "client value")
        #expect(entry["DETAILS"] as? String == "line one\nline two")
        #expect(entry["LOGGER_LABEL"] as? String == "stream-config.interop")
        #expect(entry["CODE_FUNC"] as? String == "entriesReachARealJournald()")
        #expect(entry["_TRANSPORT"] as? String == "journal")
        #expect(entry["_PID"] as? String == String(getpid()))

        let big = try await journal.waitForEntry(messageID: RelayMessageID.childConnection, marker: marker + "-big")
        #expect((big["MESSAGE"] as? String)?.utf8.count == bigMessage.utf8.count)

        // After journald stops, its socket file stays behind: the probe must not accept it.
        if journal.startedHere {
            journal.terminate()
            #expect(FileManager.default.fileExists(atPath: journal.socketPath))
            #expect(!JournaldSocket.probe(path: journal.socketPath))
        }
    }
}

/// A `systemd-journald` for one namespace, as a child process of the test.
final class StandaloneJournald: @unchecked Sendable {  // used from one test only
    struct Unavailable: Error { let reason: String }

    static let journaldPath = "/lib/systemd/systemd-journald"
    static let journalctlPath = "/usr/bin/journalctl"

    let namespace: String
    let socketPath: String
    /// Only a private namespace's directories are removed afterwards.
    let isPrivate: Bool
    private let process: Process?
    private var stopped = false
    private let runLogJournalExisted: Bool
    private let runtimeDirectoryExisted: Bool

    var startedHere: Bool { process != nil }

    static func namespaceFromEnvironment() -> String? {
        ProcessInfo.processInfo.environment["STREAM_CONFIG_TEST_JOURNAL_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private init(namespace: String, isPrivate: Bool, process: Process?, runLogJournalExisted: Bool, runtimeDirectoryExisted: Bool) {
        self.namespace = namespace
        self.socketPath = "/run/systemd/journal.\(namespace)/socket"
        self.isPrivate = isPrivate
        self.process = process
        self.runLogJournalExisted = runLogJournalExisted
        self.runtimeDirectoryExisted = runtimeDirectoryExisted
    }

    /// `namespace` nil: a fresh private one ("sctest" + random hex; namespace names must be
    /// valid unit-name parts, so no dashes).
    static func start(namespace requested: String?) throws -> StandaloneJournald {
        let files = FileManager.default
        guard getuid() == 0 else { throw Unavailable(reason: "needs root (journald creates /run/systemd/journal.<ns>)") }
        guard files.isExecutableFile(atPath: journaldPath) else { throw Unavailable(reason: "\(journaldPath) not found") }
        guard files.isExecutableFile(atPath: journalctlPath) else { throw Unavailable(reason: "\(journalctlPath) not found") }

        let namespace = requested ?? "sctest" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let isPrivate = requested == nil
        let socketPath = "/run/systemd/journal.\(namespace)/socket"
        if !isPrivate && JournaldSocket.probe(path: socketPath) {
            return StandaloneJournald(
                namespace: namespace, isPrivate: false, process: nil, runLogJournalExisted: true, runtimeDirectoryExisted: true)
        }

        // Recorded before journald runs, so that cleanup removes only what it created.
        let runLogJournalExisted = files.fileExists(atPath: "/run/log/journal")
        let runtimeDirectoryExisted = files.fileExists(atPath: "/run/systemd/journal.\(namespace)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: journaldPath)
        process.arguments = [namespace]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw Unavailable(reason: "cannot start \(journaldPath): \(error)") }
        let journal = StandaloneJournald(
            namespace: namespace, isPrivate: isPrivate, process: process,
            runLogJournalExisted: runLogJournalExisted, runtimeDirectoryExisted: runtimeDirectoryExisted)

        // Ready when its socket accepts a connection (journald binds it itself when not socket-activated).
        let deadline = ContinuousClock.now + .seconds(10)
        while !JournaldSocket.probe(path: socketPath) {
            if !process.isRunning {
                let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                journal.stop()
                throw Unavailable(reason: "systemd-journald \(namespace) exited with \(process.terminationStatus): \(output.prefix(500))")
            }
            if ContinuousClock.now > deadline {
                journal.stop()
                throw Unavailable(reason: "\(socketPath) did not answer within 10 s")
            }
            usleep(20_000)
        }
        return journal
    }

    /// Ends a journald started here: SIGTERM to its PID, a bounded wait, SIGKILL if needed.
    /// Leaves its files. Idempotent; does nothing to a journald this test did not start.
    func terminate() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// `terminate()`, then remove what this test created: the runtime directory (stale sockets)
    /// if it did not exist before, and for a private namespace also its journal files. Idempotent.
    func stop() {
        guard !stopped else { return }
        stopped = true
        guard process != nil else { return }
        terminate()
        let files = FileManager.default
        if !runtimeDirectoryExisted { try? files.removeItem(atPath: "/run/systemd/journal.\(namespace)") }
        guard isPrivate, namespace.hasPrefix("sctest") else { return }
        let machineID = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !machineID.isEmpty {
            for path in ["/run/log/journal/\(machineID).\(namespace)", "/var/log/journal/\(machineID).\(namespace)"]
            where files.fileExists(atPath: path) {
                try? files.removeItem(atPath: path)
            }
        }
        if !runLogJournalExisted, (try? files.contentsOfDirectory(atPath: "/run/log/journal"))?.isEmpty == true {
            try? files.removeItem(atPath: "/run/log/journal")
        }
    }

    /// Polls journalctl until the entry with this MESSAGE_ID and marker shows up (journald
    /// writes asynchronously), or fails after the deadline with the last output.
    func waitForEntry(messageID: String, marker: String, timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var lastOutput = ""
        while true {
            lastOutput = try runJournalctl([
                "--namespace=\(namespace)", "--no-pager", "--all", "-o", "json",
                "MESSAGE_ID=\(messageID)", "STREAM_CONFIG_TEST_MARKER=\(marker)",
            ])
            for line in lastOutput.split(separator: "\n") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   object["STREAM_CONFIG_TEST_MARKER"] as? String == marker {
                    return object
                }
            }
            if ContinuousClock.now > deadline {
                throw Unavailable(reason: "entry \(marker) not found in namespace \(namespace); journalctl said: \(lastOutput.prefix(500))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func runJournalctl(_ arguments: [String]) throws -> String {
        // A limit on the wait: journalctl is killed after 30 s.
        let result = try Spawn.run(Self.journalctlPath, arguments, timeout: .seconds(30))
        return String(decoding: result.stdout + result.stderr, as: UTF8.self)
    }
}
