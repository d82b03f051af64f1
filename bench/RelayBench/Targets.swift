// What the synthetic children connect to: the sink directly, HAProxy in TCP mode, or the relay.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The sink process and its stats channel.
final class SinkProcess {
    private(set) var process = Process()
    private var input = Pipe()
    private var output = Pipe()
    private var pending: [UInt8] = []
    private(set) var port = 0
    private let executable: String
    private let tls: TLSFiles?

    struct Stats { var bytes = 0, handshakes = 0, streaming = 0, withData = 0 }

    /// `tls`: the sink's certificate and key (it then serves TLS only).
    init(executable: String, tls: TLSFiles? = nil) throws {
        self.executable = executable
        self.tls = tls
        try launch(port: 0)
    }

    private func launch(port wanted: Int) throws {
        process = Process()
        input = Pipe()
        output = Pipe()
        pending = []
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["sink", "--port", String(wanted)] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = try readLine()
        guard line.hasPrefix("port="), let port = Int(line.dropFirst(5)) else { throw BenchError("sink said: \(line)") }
        self.port = port
    }

    /// A parent restart: SIGKILL (every connection drops at once, as when a parent dies), then a
    /// new sink on the same port; returns once it listens.
    func restart() throws {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        try launch(port: port)
    }

    private func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw BenchError("the sink exited") }
            pending += data
        }
    }

    func stats() throws -> Stats {
        input.fileHandleForWriting.write(Data("stats\n".utf8))
        var stats = Stats()
        for field in try readLine().split(separator: " ") {
            let parts = field.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]) else { continue }
            switch parts[0] {
            case "bytes": stats.bytes = value
            case "handshakes": stats.handshakes = value
            case "streaming": stats.streaming = value
            case "withdata": stats.withData = value
            default: break
            }
        }
        return stats
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

enum TargetKind: String, CaseIterable {
    case direct, haproxy, relay
    /// The relay with `--coalesce-ms 0`: every read forwarded at once.
    case relayEager = "relay-eager"
}

/// A certificate and its key, as `stream-config tls init` writes them (`DIR/stream.crt`, `DIR/stream.key`).
struct TLSFiles {
    let certificate: String
    let key: String

    /// Runs `stream-config tls init --dir DIR --name localhost 127.0.0.1 --days 2`: an ECDSA
    /// P-256 key and a self-signed certificate that is its own CA (so a peer trusts it with it as
    /// CA file); its SANs cover both names the peers check.
    static func make(relayBinary: String, directory: URL) throws -> TLSFiles {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: relayBinary)
        process.arguments = ["tls", "init", "--dir", directory.path, "--name", "localhost", "127.0.0.1", "--days", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("stream-config tls init --dir \(directory.path) exited \(process.terminationStatus)")
        }
        return TLSFiles(certificate: directory.appendingPathComponent("stream.crt").path,
                        key: directory.appendingPathComponent("stream.key").path)
    }
}

/// The TLS scenario's files: the proxies' certificate (what children verify) and the sink's
/// (what the proxies verify).
struct TLSSetup {
    let proxy: TLSFiles
    let sink: TLSFiles
}

/// A running target: its port and, for the proxies, its process.
final class Target {
    let kind: TargetKind
    let port: Int
    let process: Process?
    let workDirectory: URL

    private init(kind: TargetKind, port: Int, process: Process?, workDirectory: URL) {
        self.kind = kind
        self.port = port
        self.process = process
        self.workDirectory = workDirectory
    }

    var pid: Int32? { process?.processIdentifier }

    /// With `tls`, children reach the target over TLS and it reaches the sink over TLS,
    /// verifying the sink's certificate (`direct`: children to the TLS sink).
    static func start(_ kind: TargetKind, sinkPort: Int, relayBinary: String, maxConnections: Int, work: URL,
                      tls: TLSSetup? = nil) throws -> Target {
        switch kind {
        case .direct:
            return Target(kind: kind, port: sinkPort, process: nil, workDirectory: work)
        case .haproxy:
            let port = try freePort()
            let config = work.appendingPathComponent("haproxy.cfg")
            // Debian's HAProxy with its defaults; only what TCP mode requires (timeouts) and a
            // connection cap above the idle test's child count. TLS: terminate with the proxy's
            // certificate (HAProxy wants key and certificate in one PEM), originate to the sink
            // verifying its certificate against it as CA, and its name (as the relay does).
            var bindTLS = "", serverTLS = ""
            if let tls {
                let pem = work.appendingPathComponent("haproxy.pem")
                let both = try String(contentsOfFile: tls.proxy.certificate, encoding: .utf8)
                    + String(contentsOfFile: tls.proxy.key, encoding: .utf8)
                try both.write(to: pem, atomically: true, encoding: .utf8)
                bindTLS = " ssl crt \(pem.path)"
                serverTLS = " ssl verify required ca-file \(tls.sink.certificate) verifyhost localhost"
            }
            try """
            global
                maxconn \(maxConnections)
            defaults
                mode tcp
                timeout connect 5s
                timeout client 1h
                timeout server 1h
            frontend children
                bind 127.0.0.1:\(port)\(bindTLS)
                default_backend parent
            backend parent
                server sink 127.0.0.1:\(sinkPort)\(serverTLS)

            """.write(to: config, atomically: true, encoding: .utf8)
            let process = try launch("/usr/sbin/haproxy", ["-db", "-f", config.path], log: work.appendingPathComponent("haproxy.log"))
            try waitForListener(port: port, process: process, log: work.appendingPathComponent("haproxy.log"))
            return Target(kind: kind, port: port, process: process, workDirectory: work)
        case .relay, .relayEager:
            let port = try freePort()
            let config = work.appendingPathComponent("relay-stream.conf")
            // TLS: `:SSL` with verification on against the sink's certificate (stream-conf.md:
            // `CAfile`, `ssl skip certificate verification`), children served with
            // `--tls-certificate/--tls-key`.
            let upstreamTLS = tls.map { "\n    ssl skip certificate verification = no\n    CAfile = \($0.sink.certificate)" } ?? ""
            try """
            [stream]
                enabled = yes
                destination = 127.0.0.1:\(sinkPort)\(tls == nil ? "" : ":SSL")
                api key = 22222222-3333-4444-8555-666666666666\(upstreamTLS)

            [\(Children.childKey)]
                enabled = yes
                allow from = *

            """.write(to: config, atomically: true, encoding: .utf8)
            let log = work.appendingPathComponent("relay.log")
            let process = try launch(relayBinary, ["relay", "--config", config.path, "--listen", "127.0.0.1:\(port)",
                                                   "--max-connections", String(maxConnections)]
                                                  + (kind == .relayEager ? ["--coalesce-ms", "0"] : [])
                                                  + (tls.map { ["--tls-certificate", $0.proxy.certificate, "--tls-key", $0.proxy.key] } ?? []),
                                     log: log, environment: ["STREAM_CONFIG_LOG": "stderr"])
            try waitForListener(port: port, process: process, log: log)
            return Target(kind: kind, port: port, process: process, workDirectory: work)
        }
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func launch(_ path: String, _ arguments: [String], log: URL, environment: [String: String] = [:]) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    private static func waitForListener(port: Int, process: Process, log: URL) throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            guard process.isRunning else {
                throw BenchError("\(process.executableURL?.lastPathComponent ?? "?") exited: \(tail(log))")
            }
            if let fd = try? Socket.connect(port: port) {
                close(fd)
                return
            }
            usleep(20_000)
        }
        throw BenchError("nothing listens on 127.0.0.1:\(port) after 15 s: \(tail(log))")
    }

    static func tail(_ url: URL) -> String {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    static func freePort() throws -> Int {
        let (fd, port) = try Socket.listen()
        close(fd)
        return port
    }
}

/// CPU time and resident memory of a process, from /proc.
struct ProcessSample {
    let cpuSeconds: Double
    let rssKiB: Int

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    init(pid: Int32) throws {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("unreadable /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("unreadable /proc/\(pid)/stat")
        }
        cpuSeconds = (user + system) / Self.ticksPerSecond
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        rssKiB = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
