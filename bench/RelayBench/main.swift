// relay-bench: direct vs HAProxy (TCP mode) vs `stream-config relay`, side by side, on loopback.
// Usage: relay-bench [--relay-bin PATH] [--targets direct,haproxy,relay] [--window SECONDS]
//                    [--repeat N] [--idle 1000,5000,10000] [--storm N] [--storm-delay S] [--tls]
//                    [--markdown FILE]
//        relay-bench sink [--tls CERT KEY]   (internal: the parent the children end at)
// --tls: the TLS scenario. Children speak TLS (OpenSSL 3, verifying the certificate) to the
// target; HAProxy and the relay terminate it with a `stream-config tls init` certificate and
// originate TLS to the sink, verifying its (also `tls init`) certificate; `direct` is children to
// the TLS sink. Columns are then named direct-tls, haproxy-tls, relay-tls.
// --storm N: the reconnect storm's fleet (default 9,968, or what the descriptor limit allows:
// a proxy holds two descriptors per child); --storm-delay S: the children's reconnect delay
// (default 0.25 s). The storm runs in the plaintext scenario only.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct Settings {
    var relayBinary = ".build/release/stream-config"
    var targets: [TargetKind] = TargetKind.allCases
    var window = 4.0
    var repeats = 3
    var idleLevels = [1000, 5000, 10000]
    var markdown: String?
    var handshakeWorkers = 8
    var handshakeSeconds = 3.0
    /// Seconds before the handshake phase (to attach a profiler).
    var handshakeDelay = 0.0
    var latencySamples = 5000
    var phases: Set<String> = ["idle", "throughput", "paced", "latency", "handshakes", "storm"]
    /// Children in the reconnect storm (capped by the descriptor limit at start).
    var stormChildren = 9968
    /// Seconds a storm child waits after its connection drops (or an attempt fails).
    var stormDelay = 0.25
    var pacedSends = 10_000
    var tls = false

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let next = rest.popFirst() else { throw BenchError("\(name) needs a value") }
            return next
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--relay-bin": relayBinary = try value(argument)
            case "--targets":
                targets = try value(argument).split(separator: ",").map {
                    guard let kind = TargetKind(rawValue: String($0)) else { throw BenchError("unknown target \($0)") }
                    return kind
                }
            case "--window": window = Double(try value(argument)) ?? window
            case "--repeat": repeats = max(1, Int(try value(argument)) ?? repeats)
            case "--idle": idleLevels = try value(argument).split(separator: ",").compactMap { Int($0) }.sorted()
            case "--markdown": markdown = try value(argument)
            case "--handshake-workers": handshakeWorkers = Int(try value(argument)) ?? handshakeWorkers
            case "--latency-samples": latencySamples = Int(try value(argument)) ?? latencySamples
            case "--handshake-delay": handshakeDelay = Double(try value(argument)) ?? 0
            case "--handshake-seconds": handshakeSeconds = Double(try value(argument)) ?? handshakeSeconds
            case "--paced-sends": pacedSends = Int(try value(argument)) ?? pacedSends
            case "--tls": tls = true
            case "--storm": stormChildren = max(1, Int(try value(argument)) ?? stormChildren)
            case "--storm-delay": stormDelay = Double(try value(argument)) ?? stormDelay
            case "--only": phases = Set(try value(argument).split(separator: ",").map(String.init))
            case "-h", "--help":
                print("usage: relay-bench [--relay-bin PATH] [--targets direct,haproxy,relay] [--window S] [--repeat N] [--idle 1000,5000,10000] [--only idle,throughput,paced,latency,handshakes,storm] [--storm N] [--storm-delay S] [--tls] [--markdown FILE]")
                exit(0)
            default: throw BenchError("unknown argument \(argument)")
            }
        }
        // The storm's children speak plaintext only.
        if tls { phases.remove("storm") }
    }
}

struct TargetResult {
    var kind: TargetKind
    /// The column name: the kind, with `-tls` in the TLS scenario.
    var label: String
    /// GB/s per run, by stream count.
    var throughput: [Int: [Double]] = [:]
    /// Target CPU seconds per GB forwarded, by stream count (all runs together).
    var cpuPerGB: [Int: Double] = [:]
    var baselineRSSKiB: Int?
    /// (children asked for, children open, RSS KiB)
    var idle: [(asked: Int, open: Int, rssKiB: Int)] = []
    var handshakesPerSecond: Double?
    var handshakeFailures = 0
    var latencyMicros: (p50: Double, p99: Double)?
    /// Middle process CPU % (of one core) and bytes/s at the sink, paced small sends.
    var pacedCPUPercent: Double?
    var pacedBytesPerSecond: Double?
    var storm: StormResult?
}

func log(_ text: String) {
    FileHandle.standardError.write(Data("relay-bench: \(text)\n".utf8))
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw BenchError("timed out after \(Int(seconds)) s waiting for \(what)") }
        usleep(20_000)
    }
}

/// What reached the sink, and what the middle process spent, during one measurement window.
struct MeasuredWindow {
    var bytes = 0
    var seconds = 0.0
    /// nil for `direct` (no middle process).
    var cpuSeconds: Double?
}

/// Waits `warmup` seconds, then measures for `seconds`: bytes counted at the sink and the
/// middle process's CPU time (utime+stime from /proc).
func measureWindow(_ target: Target, sink: SinkProcess, warmup: Double, seconds: Double) throws -> MeasuredWindow {
    usleep(UInt32(warmup * 1_000_000))
    let before = try sink.stats()
    let cpuBefore = try target.pid.map { try ProcessSample(pid: $0).cpuSeconds }
    let start = monotonicNanoseconds()
    usleep(UInt32(seconds * 1_000_000))
    let after = try sink.stats()
    let cpuAfter = try target.pid.map { try ProcessSample(pid: $0).cpuSeconds }
    let elapsed = Double(monotonicNanoseconds() - start) / 1e9
    var cpu: Double?
    if let cpuBefore, let cpuAfter { cpu = cpuAfter - cpuBefore }
    return MeasuredWindow(bytes: after.bytes - before.bytes, seconds: elapsed, cpuSeconds: cpu)
}

func run(_ target: Target, sink: SinkProcess, settings: Settings, payload: [UInt8]) throws -> TargetResult {
    var result = TargetResult(kind: target.kind, label: target.kind.rawValue + (settings.tls ? "-tls" : ""))
    try waitFor("the sink to drop earlier connections", seconds: 60) { try sink.stats().streaming == 0 }

    // 1. Idle children: RSS of the middle process before and after.
    if let pid = target.pid, settings.phases.contains("idle") {
        usleep(300_000)
        result.baselineRSSKiB = try ProcessSample(pid: pid).rssKiB
        let bag = DescriptorBag()
        defer { bag.closeAll() }
        var opened = 0
        for level in settings.idleLevels {
            Workload.openIdle(port: target.port, count: level - opened, firstIndex: opened, workers: 8, bag: bag)
            opened = level
            if let failure = bag.firstFailure {
                log("\(target.kind): \(bag.failureCount) of \(level) idle children failed; first: \(failure)")
            }
            let open = bag.count
            try waitFor("\(open) idle children at the sink", seconds: 120) { try sink.stats().withData >= open }
            usleep(500_000)
            result.idle.append((level, open, try ProcessSample(pid: pid).rssKiB))
            log("\(target.kind): \(open) idle children, RSS \(result.idle.last!.rssKiB) KiB")
            if bag.failureCount > 0 { break }
        }
        bag.closeAll()
        try waitFor("the idle children to close", seconds: 60) { try sink.stats().streaming == 0 }
    }

    // 2. Throughput and CPU per GB.
    for streams in [1, 8] where settings.phases.contains("throughput") {
        var totalCPU = 0.0
        var totalBytes = 0
        for _ in 0..<settings.repeats {
            var window = MeasuredWindow()
            try Workload.stream(port: target.port, streams: streams, payload: payload) {
                window = try measureWindow(target, sink: sink, warmup: 0.5, seconds: settings.window)
            }
            let (bytes, seconds, cpu) = (window.bytes, window.seconds, window.cpuSeconds ?? 0)
            result.throughput[streams, default: []].append(Double(bytes) / seconds / 1e9)
            totalCPU += cpu
            totalBytes += bytes
            log("\(result.label): \(streams) stream(s): \(String(format: "%.2f", Double(bytes) / seconds / 1e9)) GB/s")
            try waitFor("the streams to close", seconds: 60) { try sink.stats().streaming == 0 }
        }
        if target.pid != nil { result.cpuPerGB[streams] = totalCPU / (Double(totalBytes) / 1e9) }
    }

    // 3. A busy Netdata child's pattern: many small sends at a modest rate.
    if settings.phases.contains("paced") {
        try Workload.paced(port: target.port, sendsPerSecond: settings.pacedSends) {
            let window = try measureWindow(target, sink: sink, warmup: 1, seconds: settings.window)
            result.pacedBytesPerSecond = Double(window.bytes) / window.seconds
            result.pacedCPUPercent = window.cpuSeconds.map { $0 / window.seconds * 100 }
        }
        log("\(target.kind): paced \(settings.pacedSends) sends/s: CPU \(result.pacedCPUPercent.map { String(format: "%.2f%%", $0) } ?? "-")")
        try waitFor("the paced stream to close", seconds: 60) { try sink.stats().streaming == 0 }
    }

    // 4. Added latency of one small line (round trip through an echoing parent).
    if settings.phases.contains("latency") {
        var samples = try Workload.latency(port: target.port, warmup: 500, samples: settings.latencySamples)
        samples.sort()
        result.latencyMicros = (percentile(samples, 0.50), percentile(samples, 0.99))
    }

    // 5. Handshakes per second.
    if settings.phases.contains("handshakes") {
        try waitFor("the sink to drop earlier connections", seconds: 60) { try sink.stats().streaming == 0 }
        if settings.handshakeDelay > 0 {
            log("\(target.kind): pid \(target.pid.map(String.init) ?? "-"); handshakes in \(settings.handshakeDelay) s")
            usleep(UInt32(settings.handshakeDelay * 1_000_000))
        }
        let handshakes = Workload.handshakes(port: target.port, workers: settings.handshakeWorkers, seconds: settings.handshakeSeconds)
        result.handshakesPerSecond = Double(handshakes.count) / settings.handshakeSeconds
        result.handshakeFailures = handshakes.failures
        if let failure = handshakes.firstFailure { log("\(target.kind): \(handshakes.failures) handshake failures; first: \(failure)") }
    }

    // 6. Reconnect storm: the fleet connected, the parent restarted, the time until it is back.
    if settings.phases.contains("storm") {
        try waitFor("the sink to drop earlier connections", seconds: 60) { try sink.stats().streaming == 0 }
        result.storm = try Storm.run(target: target, sink: sink, count: settings.stormChildren, reconnectDelay: settings.stormDelay)
    }
    return result
}

// MARK: Report

func table(_ results: [TargetResult], settings: Settings) -> [[String]] {
    let direct = results.first { $0.kind == .direct }
    func cell(_ kind: TargetKind, _ body: (TargetResult) -> String?) -> [String] {
        results.map { body($0) ?? "–" }
    }
    var rows: [[String]] = [["measurement"] + results.map { $0.label }]
    for streams in [1, 8] {
        rows.append(["throughput, \(streams) stream\(streams == 1 ? "" : "s") (GB/s, median of \(settings.repeats))"]
                    + results.map { $0.throughput[streams].map { String(format: "%.2f", median($0)) } ?? "–" })
    }
    for streams in [1, 8] {
        rows.append(["CPU s per GB forwarded, \(streams) stream\(streams == 1 ? "" : "s")"]
                    + results.map { $0.cpuPerGB[streams].map { String(format: "%.3f", $0) } ?? "–" })
    }
    rows.append(["CPU % of a core, \(settings.pacedSends) small sends/s (\(results.compactMap { $0.pacedBytesPerSecond }.first.map { String(format: "%.2f MB/s", $0 / 1e6) } ?? "–"))"]
                + results.map { $0.pacedCPUPercent.map { String(format: "%.2f", $0) } ?? "–" })
    rows.append(["RSS at start (MiB)"] + results.map { $0.baselineRSSKiB.map { String(format: "%.1f", Double($0) / 1024) } ?? "–" })
    for (index, level) in settings.idleLevels.enumerated() {
        rows.append(["RSS per idle child at \(level) (KiB)"] + results.map { result in
            guard index < result.idle.count, let base = result.baselineRSSKiB else { return "–" }
            let entry = result.idle[index]
            let perChild = String(format: "%.1f", Double(entry.rssKiB - base) / Double(entry.open))
            return entry.open == entry.asked ? perChild : "\(perChild) (\(entry.open) open)"
        })
    }
    rows.append(["RSS at the largest idle level (MiB)"] + results.map { $0.idle.last.map { String(format: "%.1f", Double($0.rssKiB) / 1024) } ?? "–" })
    rows.append(["handshakes per second (\(settings.handshakeWorkers) clients)"] + results.map { result in
        result.handshakesPerSecond.map { String(format: "%.0f", $0) + (result.handshakeFailures > 0 ? " (\(result.handshakeFailures) failed)" : "") } ?? "–"
    })
    if settings.phases.contains("storm") {
        rows.append(["reconnect storm: \(settings.stormChildren) children spliced again after a parent restart, median / all (s)"] + results.map { result in
            result.storm.map { String(format: "%.2f / %.2f", $0.medianSeconds, $0.allSeconds) + ($0.failedAttempts > 0 ? " (\($0.failedAttempts) retries)" : "") } ?? "–"
        })
    }
    rows.append(["round trip p50 / p99 (µs)"] + results.map { r in r.latencyMicros.map { String(format: "%.1f / %.1f", $0.p50, $0.p99) } ?? "–" })
    rows.append(["added latency p50 / p99 (µs)"] + results.map { result in
        guard result.kind != .direct, let mine = result.latencyMicros, let base = direct?.latencyMicros else { return "–" }
        return String(format: "%.1f / %.1f", mine.p50 - base.p50, mine.p99 - base.p99)
    })
    return rows
}

/// Issue 19's plaintext targets, relay against HAProxy in the same run: handshakes per second
/// ≥ 1.0x (stretch 1.5x), RSS per idle child ≤ 5 KiB (stretch ≤ HAProxy's); the reconnect
/// storm's time as a ratio (no target). Empty without both columns.
func plainTargetRows(_ results: [TargetResult], settings: Settings) -> [[String]] {
    guard let relay = results.first(where: { $0.kind == .relay }),
          let haproxy = results.first(where: { $0.kind == .haproxy }) else { return [] }
    var rows: [[String]] = [["target (relay vs HAProxy, this run)", "ratio: verdict"]]
    if let mine = relay.handshakesPerSecond, let theirs = haproxy.handshakesPerSecond, theirs > 0 {
        let ratio = mine / theirs
        rows.append(["handshakes per second, ≥ 1.0x (stretch ≥ 1.5x)",
                     String(format: "%.2fx: ", ratio) + (ratio >= 1.0 ? "met" : "not met") + (ratio >= 1.5 ? ", stretch met" : ", stretch not met")])
    }
    func perChild(_ result: TargetResult) -> (level: Int, kib: Double)? {
        guard let last = result.idle.last, let base = result.baselineRSSKiB, last.open > 0 else { return nil }
        return (last.asked, Double(last.rssKiB - base) / Double(last.open))
    }
    if let mine = perChild(relay), let theirs = perChild(haproxy) {
        rows.append(["RSS per idle child at \(mine.level), ≤ 5 KiB (stretch ≤ HAProxy's)",
                     String(format: "%.1f KiB, %.2fx: ", mine.kib, mine.kib / theirs.kib) + (mine.kib <= 5 ? "met" : "not met")
                        + (mine.kib <= theirs.kib ? ", stretch met" : ", stretch not met")])
    }
    if let mine = relay.storm, let theirs = haproxy.storm, theirs.allSeconds > 0 {
        rows.append(["reconnect storm of \(mine.children), time until all spliced again (no target)",
                     String(format: "%.2f vs %.2f s: %.2fx", mine.allSeconds, theirs.allSeconds, mine.allSeconds / theirs.allSeconds)])
    }
    return rows.count > 1 ? rows : []
}

/// Issue 19's TLS targets, relay against HAProxy in the same run: throughput ≥ 1.0x,
/// CPU s per GB ≤ 1.0x, TLS handshakes per second ≥ 0.8x. Empty without both columns.
func targetRows(_ results: [TargetResult]) -> [[String]] {
    guard let relay = results.first(where: { $0.kind == .relay }),
          let haproxy = results.first(where: { $0.kind == .haproxy }) else { return [] }
    func verdict(_ mine: Double?, _ theirs: Double?, atLeast: Double? = nil, atMost: Double? = nil) -> String {
        guard let mine, let theirs, theirs > 0, mine.isFinite, theirs.isFinite else { return "–" }
        let ratio = mine / theirs
        let met = atLeast.map { ratio >= $0 } ?? atMost.map { ratio <= $0 } ?? false
        return String(format: "%.2fx: ", ratio) + (met ? "met" : "not met")
    }
    var rows: [[String]] = [["target (relay vs HAProxy, this run)", "ratio: verdict"]]
    for streams in [1, 8] {
        rows.append(["throughput, \(streams) stream\(streams == 1 ? "" : "s"), ≥ 1.0x",
                     verdict(relay.throughput[streams].map(median), haproxy.throughput[streams].map(median), atLeast: 1.0)])
    }
    for streams in [1, 8] {
        rows.append(["CPU s per GB, \(streams) stream\(streams == 1 ? "" : "s"), ≤ 1.0x",
                     verdict(relay.cpuPerGB[streams], haproxy.cpuPerGB[streams], atMost: 1.0)])
    }
    rows.append(["handshakes per second, ≥ 0.8x", verdict(relay.handshakesPerSecond, haproxy.handshakesPerSecond, atLeast: 0.8)])
    return rows
}

func render(_ rows: [[String]]) -> String {
    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { index, text in
            index == 0 ? text.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[index] - text.count) + text
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

func markdown(_ rows: [[String]]) -> String {
    var lines = ["| " + rows[0].joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: rows[0].count)]
    lines += rows.dropFirst().map { "| " + $0.joined(separator: " | ") + " |" }
    return lines.joined(separator: "\n")
}

// MARK: Main

do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "sink" {
        var rest = arguments.dropFirst()
        var tls: TLSContext?
        var port = 0
        while let argument = rest.popFirst() {
            switch argument {
            case "--tls":
                guard let certificate = rest.popFirst(), let key = rest.popFirst() else { throw BenchError("sink --tls CERT KEY") }
                tls = try BenchTLS.serverContext(certificate: certificate, key: key)
            case "--port":
                guard let text = rest.popFirst(), let value = Int(text) else { throw BenchError("sink --port N") }
                port = value
            default: throw BenchError("sink: unknown argument \(argument)")
            }
        }
        try Sink.run(tls: tls, port: port)
    }
    let settings = try Settings(arguments: arguments)
    let limit = raiseDescriptorLimit()
    // Each proxied child costs the middle process two descriptors; keep a margin for its own.
    let proxyCap = (limit - 64) / 2
    var settingsInForce = settings
    settingsInForce.idleLevels = settings.idleLevels.map { min($0, proxyCap) }
    if settingsInForce.idleLevels != settings.idleLevels {
        log("descriptor limit \(limit): idle levels capped at \(proxyCap) children (two descriptors each in the middle process)")
    }
    if settings.stormChildren > proxyCap {
        settingsInForce.stormChildren = proxyCap
        log("descriptor limit \(limit): the storm's fleet capped at \(proxyCap) children")
    }
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("relay-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    var tls: TLSSetup?
    if settings.tls {
        let setup = TLSSetup(proxy: try TLSFiles.make(relayBinary: settings.relayBinary, directory: work.appendingPathComponent("proxy-tls")),
                             sink: try TLSFiles.make(relayBinary: settings.relayBinary, directory: work.appendingPathComponent("sink-tls")))
        BenchTLS.client = try BenchTLS.clientContext(caFiles: [setup.proxy.certificate, setup.sink.certificate])
        tls = setup
    }
    let sink = try SinkProcess(executable: executable, tls: tls?.sink)
    defer { sink.stop() }
    let payload = Children.payload()
    var results: [TargetResult] = []
    for kind in settingsInForce.targets {
        log("\(kind): starting")
        let target = try Target.start(kind, sinkPort: sink.port, relayBinary: settingsInForce.relayBinary,
                                      maxConnections: proxyCap + 16, work: work, tls: tls)
        defer { target.stop() }
        if tls != nil {
            let probe = try Children.handshake(port: target.port, index: 5_000_000)
            log("\(kind.rawValue)-tls: children negotiate \(probe.ssl.map(BenchTLS.describe) ?? "?")")
            probe.close()
        }
        do {
            results.append(try run(target, sink: sink, settings: settingsInForce, payload: payload))
        } catch {
            log("\(kind) failed: \(error)")
            if target.process != nil {
                log("log tail:\n" + Target.tail(work.appendingPathComponent(kind == .haproxy ? "haproxy.log" : "relay.log")))
            }
            throw error
        }
    }
    let rows = table(results, settings: settingsInForce)
    print(render(rows))
    let targets = settingsInForce.tls ? targetRows(results) : plainTargetRows(results, settings: settingsInForce)
    if !targets.isEmpty {
        print()
        print(render(targets))
    }
    if let path = settingsInForce.markdown {
        let text = markdown(rows) + (targets.isEmpty ? "" : "\n\n" + markdown(targets))
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    try? FileManager.default.removeItem(at: work)
} catch {
    log("\(error)")
    exit(1)
}
