#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
@testable import StreamRelay

/// `RelayLogging.selectSink` is the whole decision behind `bootstrap`. The tests pass the
/// environment and the candidate paths explicitly: `LoggingSystem.bootstrap` itself is
/// process-wide and may run only once, so it is not called here.
@Suite struct LoggingBootstrapTests {
    let netdata = RelayLogging.netdataNamespaceSocket
    let system = RelayLogging.systemJournalSocket

    @Test func prefersTheNetdataNamespace() {
        let sink = RelayLogging.selectSink(preferJournald: true, environment: [:], probe: { _ in true })
        #expect(sink == .journald(path: netdata, description: "journald namespace netdata (/run/systemd/journal.netdata/socket)"))
    }

    @Test func fallsBackToTheSystemJournal() {
        let sink = RelayLogging.selectSink(preferJournald: true, environment: [:], probe: { $0 == system })
        #expect(sink == .journald(path: system, description: "journald (/run/systemd/journal/socket)"))
    }

    @Test func fallsBackToStderr() {
        let sink = RelayLogging.selectSink(preferJournald: true, environment: [:], probe: { _ in false })
        #expect(sink == .stderr(description:
            "logfmt on stderr (no journald socket answered: /run/systemd/journal.netdata/socket, /run/systemd/journal/socket)"))
    }

    @Test func notPreferringJournaldMeansStderr() {
        let sink = RelayLogging.selectSink(preferJournald: false, environment: [:], probe: { _ in true })
        #expect(sink == .stderr(description: "logfmt on stderr"))
    }

    @Test func environmentForcesStderr() {
        let sink = RelayLogging.selectSink(preferJournald: true, environment: ["STREAM_CONFIG_LOG": "stderr"], probe: { _ in true })
        #expect(sink == .stderr(description: "logfmt on stderr (STREAM_CONFIG_LOG=stderr)"))
    }

    @Test func environmentForcesJournal() {
        let sink = RelayLogging.selectSink(preferJournald: false, environment: ["STREAM_CONFIG_LOG": "journal"], probe: { _ in true })
        #expect(sink.description == "journald namespace netdata (/run/systemd/journal.netdata/socket)")
    }

    @Test func unknownEnvironmentValueIsReported() {
        let sink = RelayLogging.selectSink(preferJournald: false, environment: ["STREAM_CONFIG_LOG": "syslog"], probe: { _ in true })
        #expect(sink == .stderr(description: "logfmt on stderr (ignored STREAM_CONFIG_LOG=syslog, expected journal or stderr)"))
    }

    /// With a real bound socket and the real probe: the override is the only path tried.
    @Test func socketOverrideUsesOnlyThatPath() throws {
        let receiver = try LoggingDatagramReceiver()
        let sink = RelayLogging.selectSink(
            preferJournald: true, environment: ["STREAM_CONFIG_JOURNAL_SOCKET": receiver.path])
        #expect(sink == .journald(path: receiver.path, description: "journald (\(receiver.path)) via STREAM_CONFIG_JOURNAL_SOCKET"))

        let missing = receiver.directory + "/missing"
        let fallback = RelayLogging.selectSink(preferJournald: true, environment: ["STREAM_CONFIG_JOURNAL_SOCKET": missing])
        #expect(fallback == .stderr(description: "logfmt on stderr (no journald socket answered: \(missing))"))
    }

    @Test func namespaceNameIsTakenFromThePath() {
        #expect(RelayLogging.describeJournal("/run/systemd/journal.sctest1/socket") == "journald namespace sctest1 (/run/systemd/journal.sctest1/socket)")
        #expect(RelayLogging.describeJournal("/tmp/x/socket") == "journald (/tmp/x/socket)")
    }
}

/// The real `bootstrap`, which changes process-wide state and may only run once, so each test
/// runs it in a child process (Swift Testing exit tests). A failed check throws, which makes the
/// child exit with a failure; returning normally (locals cleaned up) is success.
@Suite struct LoggingBootstrapProcessTests {
    struct Failed: Error { let check: String }

    @Test func bootstrapInstallsJournaldOnce() async {
        await #expect(processExitsWith: .success) {
            let receiver = try LoggingDatagramReceiver()
            setenv("STREAM_CONFIG_LOG", "journal", 1)
            setenv("STREAM_CONFIG_JOURNAL_SOCKET", receiver.path, 1)
            let first = RelayLogging.bootstrap(level: .debug, preferJournald: false)
            // A second call must neither trap (swift-log) nor change anything.
            let second = RelayLogging.bootstrap(level: .error, preferJournald: false)
            guard first == "journald (\(receiver.path)) via STREAM_CONFIG_JOURNAL_SOCKET", second == first else {
                throw Failed(check: "description")
            }
            Logger(label: "child").debug("hello")
            guard let datagram = receiver.receive(),
                  String(decoding: datagram.bytes, as: UTF8.self).hasPrefix("MESSAGE=hello\nPRIORITY=7\nSYSLOG_IDENTIFIER=stream-config\n")
            else { throw Failed(check: "entry") }
            guard RelayLogging.droppedJournalEntries == 0 else { throw Failed(check: "drops") }
        }
    }

    @Test func bootstrapFallsBackToLogfmtOnStderr() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            setenv("STREAM_CONFIG_LOG", "stderr", 1)
            guard RelayLogging.bootstrap() == "logfmt on stderr (STREAM_CONFIG_LOG=stderr)" else { throw Failed(check: "description") }
            Logger(label: "child").warning("to stderr", metadata: ["k": "v w"])
            Logger(label: "child").debug("below info: not written")
        }
        let stderrText = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(stderrText.contains(" level=warning msg=\"to stderr\" logger=child k=\"v w\"\n"))
        #expect(!stderrText.contains("below info"))
    }
}
