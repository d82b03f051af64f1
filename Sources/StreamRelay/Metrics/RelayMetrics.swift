import Synchronization

/// Counters of the relay, rendered in the Prometheus text exposition format 0.0.4 for
/// `--metrics-listen` (served by `MetricsServer`).
///
/// Thread-safe and cheap on the hot path: the per-read byte counters and the connection counters
/// are lock-free atomics; only the labelled counters and the histogram (updated once per
/// connection, not per read) take a mutex.
///
/// Label cardinality is bounded: each labelled family keeps at most `maxLabelValues` distinct
/// values, later new values are counted under `"other"`. Reasons come from the relay's own code,
/// but destinations come from configuration and error paths, and an unbounded label set would
/// grow memory and the scrape without limit.
///
/// Why not swift-metrics + swift-prometheus (2.13.0 / 2.4.1, measured for issue 15 with 50
/// million increments, release builds): the hot byte counter costs the same either way (one
/// relaxed atomic add: 4-7 ns per increment for ours, 4-6 ns for a Prometheus `Counter` direct
/// or through swift-metrics, one or two threads), so cost does not decide it; the rest does.
/// A labelled counter bumped per event through swift-metrics (`Counter(label:dimensions:)`, a
/// refusal by reason) costs about 480 ns (the factory finds the handler in the registry under
/// a lock), ours 45-55 ns (a dictionary under our mutex). Through swift-metrics the registry
/// writes no `# HELP` lines and no family before its first sample (dashboards discover ours
/// from the first scrape), and orders label sets by creation instead of sorting them. The
/// label cap (`maxLabelValues`, "other") would stay ours anyway. Same names, same or lower
/// cost, fewer moving parts: these counters stay.
public final class RelayMetrics: Sendable {
    public static let prefix = "stream_config_relay"
    /// Upper bounds (seconds) of the handshake histogram: loopback handshakes take about a
    /// millisecond; Netdata's own handshake timeout is in the tens of seconds.
    public static let handshakeBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let maxLabelValues = 100
    public static let overflowLabel = "other"

    private let open = Atomic<Int>(0)
    private let total = Atomic<Int>(0)
    private let childToParent = Atomic<Int>(0)
    private let parentToChild = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let acceptErrors = Atomic<Int>(0)
    private let labelled = Mutex(Labelled())

    private struct Labelled {
        var refusals: [String: Int] = [:]
        var upstreamFailures: [String: Int] = [:]
        /// Per bucket, not cumulative (the last slot is +Inf); made cumulative when rendered.
        var handshakeBucketCounts = [Int](repeating: 0, count: RelayMetrics.handshakeBuckets.count + 1)
        var handshakeSum = 0.0
        var handshakeCount = 0
    }

    public init() {}

    // MARK: - Recording

    /// A child connection was accepted.
    public func connectionOpened() {
        open.add(1, ordering: .relaxed)
        total.add(1, ordering: .relaxed)
    }

    /// A child connection (opened with `connectionOpened`) was closed.
    public func connectionClosed() {
        open.subtract(1, ordering: .relaxed)
    }

    /// How many connections are still in their handshake (set by the relay after each change).
    public func setPendingHandshakes(_ count: Int) {
        pending.store(count, ordering: .relaxed)
    }

    /// A listener's `accept` failed (e.g. no file descriptor left).
    public func acceptFailed() {
        acceptErrors.add(1, ordering: .relaxed)
    }

    /// Bytes read from children and forwarded towards the parent.
    public func bytesFromChildren(_ n: Int) {
        if n > 0 { childToParent.add(n, ordering: .relaxed) }
    }

    /// Bytes read from the parent and forwarded to children.
    public func bytesToChildren(_ n: Int) {
        if n > 0 { parentToChild.add(n, ordering: .relaxed) }
    }

    /// A child was refused; `reason` should be a short fixed string (e.g. "bad_key").
    public func refused(reason: String) {
        labelled.withLock { Self.increment(&$0.refusals, reason) }
    }

    /// A connection attempt to an upstream destination (as configured, e.g. "10.0.0.5:19999") failed.
    public func upstreamFailure(destination: String) {
        labelled.withLock { Self.increment(&$0.upstreamFailures, destination) }
    }

    /// Time from accepting a child to the end of the handshake. Negative values count as 0;
    /// NaN is ignored (it would poison the sum).
    public func handshakeCompleted(seconds: Double) {
        guard !seconds.isNaN else { return }
        let value = max(seconds, 0)
        let bucket = Self.handshakeBuckets.firstIndex(where: { value <= $0 }) ?? Self.handshakeBuckets.count
        labelled.withLock {
            $0.handshakeBucketCounts[bucket] += 1
            $0.handshakeSum += value
            $0.handshakeCount += 1
        }
    }

    // MARK: - Reading

    public var connectionsOpen: Int { open.load(ordering: .relaxed) }
    public var connectionsTotal: Int { total.load(ordering: .relaxed) }
    public var bytesChildToParent: Int { childToParent.load(ordering: .relaxed) }
    public var bytesParentToChild: Int { parentToChild.load(ordering: .relaxed) }
    public var pendingHandshakes: Int { pending.load(ordering: .relaxed) }
    public var acceptErrorsTotal: Int { acceptErrors.load(ordering: .relaxed) }

    /// All metrics in the Prometheus text format 0.0.4 (`Content-Type: text/plain; version=0.0.4`).
    /// Every family has its `# HELP` and `# TYPE` lines even before it has samples, so that
    /// dashboards can discover the names. Label values are sorted, so the output is stable.
    public func prometheusText() -> String {
        let snapshot = labelled.withLock { $0 }
        let p = Self.prefix
        var out = ""

        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(p)_\(name) \(Self.escapeHelp(help))\n# TYPE \(p)_\(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
            out += "\(p)_\(name)"
            if !labels.isEmpty {
                out += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " \(value)\n"
        }

        family("connections_open", "gauge", "Child connections currently open.")
        sample("connections_open", [], String(connectionsOpen))
        family("connections_total", "counter", "Child connections accepted since start.")
        sample("connections_total", [], String(connectionsTotal))
        family("handshakes_pending", "gauge", "Child connections open that have not completed their first request.")
        sample("handshakes_pending", [], String(pendingHandshakes))
        family("accept_errors_total", "counter", "Failed accept calls on the listeners (e.g. no file descriptor left).")
        sample("accept_errors_total", [], String(acceptErrorsTotal))
        family("bytes_total", "counter", "Bytes relayed, by direction.")
        sample("bytes_total", [("direction", "child_to_parent")], String(bytesChildToParent))
        sample("bytes_total", [("direction", "parent_to_child")], String(bytesParentToChild))
        family("refusals_total", "counter", "Child connections refused, by reason.")
        for (reason, count) in snapshot.refusals.sorted(by: { $0.key < $1.key }) {
            sample("refusals_total", [("reason", reason)], String(count))
        }
        family("upstream_failures_total", "counter", "Failed connection attempts to upstream parents, by destination.")
        for (destination, count) in snapshot.upstreamFailures.sorted(by: { $0.key < $1.key }) {
            sample("upstream_failures_total", [("destination", destination)], String(count))
        }
        family("handshake_seconds", "histogram", "Seconds from accepting a child to the end of its handshake.")
        var cumulative = 0
        for (index, bound) in Self.handshakeBuckets.enumerated() {
            cumulative += snapshot.handshakeBucketCounts[index]
            sample("handshake_seconds_bucket", [("le", Self.formatNumber(bound))], String(cumulative))
        }
        cumulative += snapshot.handshakeBucketCounts[Self.handshakeBuckets.count]
        sample("handshake_seconds_bucket", [("le", "+Inf")], String(cumulative))
        sample("handshake_seconds_sum", [], Self.formatNumber(snapshot.handshakeSum))
        sample("handshake_seconds_count", [], String(snapshot.handshakeCount))
        return out
    }

    // MARK: - Helpers

    private static func increment(_ counts: inout [String: Int], _ label: String) {
        if counts[label] == nil && counts.count >= maxLabelValues {
            counts[overflowLabel, default: 0] += 1
        } else {
            counts[label, default: 0] += 1
        }
    }

    /// Label values: backslash, double quote and line feed must be escaped (format 0.0.4).
    static func escapeLabelValue(_ value: String) -> String {
        // Per Unicode scalar, not per Character: "\r\n" is one Character and would hide the "\n".
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// HELP text: backslash and line feed must be escaped.
    static func escapeHelp(_ value: String) -> String {
        value.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    /// Integral values without a fraction ("1", "10"), others in Swift's shortest round-trip form
    /// ("0.0025"), which Prometheus parses as a Go float.
    static func formatNumber(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
