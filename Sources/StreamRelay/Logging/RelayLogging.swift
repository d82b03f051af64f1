#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Logging
import Synchronization

/// Chooses where the relay logs and installs it as swift-log's global handler.
///
/// Order, mirroring Netdata 2.x (protocol.md §6.2), so that relay entries land next to Netdata's:
/// 1. journald namespace `netdata`: `/run/systemd/journal.netdata/socket`
/// 2. the system journal: `/run/systemd/journal/socket`
/// 3. logfmt lines on stderr
///
/// A socket counts only if a journald is bound to it (`JournaldSocket.probe`: `connect(2)`, which
/// checks existence, a live receiver and write permission without putting a probe entry in the
/// journal), so a stale socket file left by a stopped journald falls through to the next choice.
///
/// Environment overrides (for operators and tests):
/// * `STREAM_CONFIG_LOG=stderr`: logfmt on stderr, whatever is available.
/// * `STREAM_CONFIG_LOG=journal`: journald even if `preferJournald` is false; falls back to
///   stderr (and says so in the description) when no socket answers.
/// * `STREAM_CONFIG_JOURNAL_SOCKET=PATH`: the only journal socket to try.
public enum RelayLogging {
    public static let netdataNamespaceSocket = "/run/systemd/journal.netdata/socket"
    public static let systemJournalSocket = "/run/systemd/journal/socket"

    /// The sink chosen by `selectSink`.
    public enum Sink: Equatable, Sendable {
        case journald(path: String, description: String)
        case stderr(description: String)

        public var description: String {
            switch self {
            case .journald(_, let description), .stderr(let description): return description
            }
        }
    }

    /// Installs the chosen handler with `LoggingSystem.bootstrap` and returns a one-line
    /// description of the sink (e.g. "journald namespace netdata (/run/systemd/journal.netdata/socket)")
    /// for the relay to print at start-up.
    ///
    /// swift-log traps on a second `LoggingSystem.bootstrap`, so only the first call bootstraps;
    /// later calls change nothing and return the first description. (swift-log cannot tell
    /// whether someone else bootstrapped it, so no other code may call `LoggingSystem.bootstrap`.)
    public static func bootstrap(level: Logger.Level = .info, preferJournald: Bool = true) -> String {
        state.withLock { state in
            if let existing = state.description { return existing }
            var sink = selectSink(preferJournald: preferJournald, environment: processEnvironment())
            var factory: (@Sendable (String) -> any LogHandler)?
            if case .journald(let path, _) = sink {
                do {
                    let socket = try JournaldSocket(path: path)
                    let writer = JournaldWriter(socket: socket)
                    state.journal = socket
                    state.writer = writer
                    factory = { label in
                        var handler = JournaldLogHandler(label: label, socket: socket, writer: writer)
                        handler.logLevel = level
                        return handler
                    }
                } catch {
                    sink = .stderr(description: "logfmt on stderr (journald socket \(path) unusable: \(error))")
                }
            }
            if factory == nil { state.lines = LineWriter.standardError }
            let makeHandler = factory ?? { label in
                var handler = LogfmtLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            LoggingSystem.bootstrap(makeHandler)
            state.description = sink.description
            return sink.description
        }
    }

    /// Entries the journald handler had to drop so far (journald busy or gone); 0 when logging
    /// to stderr. The relay can expose it or log it at shutdown.
    public static var droppedJournalEntries: Int {
        state.withLock { $0.journal?.droppedCount ?? 0 }
    }

    /// Waits (at most `timeout` seconds) until queued journal entries are sent and queued
    /// logfmt lines written: call before the process exits, so that its last lines reach the
    /// journal, and before writing to stderr otherwise, so that lines keep their order.
    @discardableResult
    public static func flush(timeout: Double = 2) -> Bool {
        let (writer, lines) = state.withLock { ($0.writer, $0.lines) }
        let journal = writer?.flush(timeout: timeout) ?? true
        return (lines?.flush(timeout: timeout) ?? true) && journal
    }

    /// The decision behind `bootstrap`, without side effects other than probing sockets.
    /// `environment` is passed in so that tests do not have to change the process environment.
    public static func selectSink(
        preferJournald: Bool,
        environment: [String: String],
        candidates: [String] = [netdataNamespaceSocket, systemJournalSocket],
        probe: (String) -> Bool = JournaldSocket.probe(path:)
    ) -> Sink {
        var wantJournal = preferJournald
        var ignored: String?
        switch environment["STREAM_CONFIG_LOG"]?.lowercased() {
        case nil, "": break
        case "stderr": return .stderr(description: "logfmt on stderr (STREAM_CONFIG_LOG=stderr)")
        case "journal", "journald": wantJournal = true
        case let other?: ignored = "ignored STREAM_CONFIG_LOG=\(other), expected journal or stderr"
        }
        guard wantJournal else {
            return .stderr(description: "logfmt on stderr" + (ignored.map { " (\($0))" } ?? ""))
        }

        var paths = candidates
        let override = environment["STREAM_CONFIG_JOURNAL_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let override { paths = [override] }
        for path in paths where probe(path) {
            var description = describeJournal(path)
            if override != nil { description += " via STREAM_CONFIG_JOURNAL_SOCKET" }
            if let ignored { description += " (\(ignored))" }
            return .journald(path: path, description: description)
        }
        let reasons = ["no journald socket answered: " + paths.joined(separator: ", ")] + (ignored.map { [$0] } ?? [])
        return .stderr(description: "logfmt on stderr (" + reasons.joined(separator: "; ") + ")")
    }

    /// "journald namespace netdata (/run/systemd/journal.netdata/socket)" for a namespace socket,
    /// "journald (/run/systemd/journal/socket)" otherwise.
    static func describeJournal(_ path: String) -> String {
        let prefix = "/run/systemd/journal.", suffix = "/socket"
        if path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count {
            let namespace = path.dropFirst(prefix.count).dropLast(suffix.count)
            if !namespace.contains("/") { return "journald namespace \(namespace) (\(path))" }
        }
        return "journald (\(path))"
    }

    private struct State {
        var description: String?
        var journal: JournaldSocket?
        var writer: JournaldWriter?
        /// The stderr writer, when logging goes there.
        var lines: LineWriter?
    }
    private static let state = Mutex(State())

    /// The variables `selectSink` reads, via getenv(3) (no Foundation in this target).
    static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        for name in ["STREAM_CONFIG_LOG", "STREAM_CONFIG_JOURNAL_SOCKET"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }
}
