// RelayHarness.swift - runs the real `stream-config relay` binary inside a NetdataLab, plus the
// small socket and TLS helpers the relay interop tests need (raw clients, openssl certificates).

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `stream-config relay` process started by a lab (stopped with it, by PID).
final class RelayUnderTest {
    let process: LabProcess
    let port: Int
    let confURL: URL
    var address: String { "127.0.0.1:\(port)" }
    var pid: pid_t { process.pid }

    init(process: LabProcess, port: Int, confURL: URL) {
        self.process = process
        self.port = port
        self.confURL = confURL
    }

    /// Everything the relay logged (logfmt on stderr, captured by the lab).
    func log() -> String { tailOfFile(process.outputFile, lines: .max) }

    /// The `ts=` of the first logfmt line containing `text`, in seconds since the epoch
    /// (millisecond precision), or nil.
    func logTime(of text: String) -> Double? {
        guard let line = log().split(separator: "\n").first(where: { $0.contains(text) }),
              line.hasPrefix("ts="), let end = line.firstIndex(of: " ") else { return nil }
        let stamp = String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: stamp)?.timeIntervalSince1970
    }

    func waitForLog(_ text: String, timeout: Duration = .seconds(15)) async -> Bool {
        await poll(timeout: timeout) { self.log().contains(text) }
    }

    /// Waits for one log line that contains every one of `parts` (metadata order is the
    /// handler's business).
    func waitForLogLine(_ parts: String..., timeout: Duration = .seconds(15)) async -> Bool {
        await poll(timeout: timeout) {
            self.log().split(separator: "\n").contains { line in parts.allSatisfy { line.contains($0) } }
        }
    }

    /// Rewrites the configuration (takes effect on SIGHUP).
    func writeConf(_ text: String) throws { try writeFile(confURL, Data(text.utf8), mode: 0o640) }

    func signal(_ number: Int32) { kill(process.pid, number) }

    /// User plus system CPU time the relay has used, from /proc/PID/stat.
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident set size in KiB (Linux /proc).
    func rssKiB() -> Int? {
        status("VmRSS").first.flatMap { Int($0) }
    }

    /// The values of a `/proc/PID/status` line (`Uid`: real, effective, saved, filesystem); empty
    /// when there is no such line.
    func status(_ field: String) -> [Substring] {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8) else { return [] }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Array(line.split(whereSeparator: \.isWhitespace).dropFirst())
        }
        return []
    }
}

extension NetdataLab {
    /// Writes `streamConf`, starts `stream-config relay --config ... --listen 127.0.0.1:PORT` and
    /// waits until it listens (or throws with its output if it exits first).
    /// `wrapper`: a command the relay runs under (e.g. `prlimit --nofile=64:64 --`, or a shell
    /// that sets up its descriptors), the relay's own command line appended to it.
    /// `unprivileged`: run as the packaged unit does (`User=netdata`, no capabilities): when the
    /// tests run as root, as uid/gid 65534 with every capability dropped (`setpriv`), owning its
    /// directory and configuration; otherwise the relay already runs as the tests' own user.
    func startRelay(name: String = "relay", streamConf: String, arguments extra: [String] = [],
                    environment: [String: String] = ["STREAM_CONFIG_LOG": "stderr"], wrapper: [String] = [],
                    unprivileged: Bool = false, timeout: Duration = .seconds(15)) async throws -> RelayUnderTest {
        var bin = StreamConfigCLI.binaryPath()
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw LabError("stream-config binary not found at \(bin) (build it, or set STREAM_CONFIG_BIN)")
        }
        let dir = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let conf = dir.appendingPathComponent("stream.conf")
        try writeFile(conf, Data(streamConf.utf8), mode: 0o640)
        var wrapper = wrapper
        if unprivileged, geteuid() == 0 {
            let nobody: uid_t = 65534
            guard chown(dir.path, nobody, nobody) == 0, chown(conf.path, nobody, nobody) == 0 else {
                throw LabError("chown \(dir.path): \(String(cString: strerror(errno)))")
            }
            if !Self.everyoneCanRun(bin) {
                // The build directory may sit under a home only root can enter.
                let copy = dir.appendingPathComponent("stream-config")
                try FileManager.default.copyItem(atPath: bin, toPath: copy.path)
                bin = copy.path
            }
            wrapper = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                       "--bounding-set=-all", "--"] + wrapper
        }
        let port = try FreePort.pick()
        let command = [bin, "relay", "--config", conf.path, "--listen", "127.0.0.1:\(port)", "--drain-timeout", "2"] + extra
        let full = wrapper + command
        let process = try spawn(name: name, executable: full[0], arguments: Array(full.dropFirst()), environment: environment)
        let relay = RelayUnderTest(process: process, port: port, confURL: conf)
        let listening = await poll(timeout: timeout, interval: .milliseconds(50)) {
            !process.isRunning || !FreePort.isFree(port)
        }
        guard listening, process.isRunning else {
            throw LabError("relay did not start (exit \(process.exitStatus.map(String.init) ?? "-")):\n\(relay.log())")
        }
        return relay
    }

    /// Whether any user may run `path`: the file and every directory above it open to others.
    static func everyoneCanRun(_ path: String) -> Bool {
        var url = URL(fileURLWithPath: path)
        var info = stat()
        guard stat(url.path, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            guard stat(url.path, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
        }
        return true
    }

    /// A child instance streaming to `destination` with `apiKey` (plus extra [stream] lines).
    func child(_ name: String, hostname: String? = nil, destination: String, apiKey: String,
               extraStream: String = "") throws -> NetdataInstance {
        try instance(name: name, hostname: hostname ?? name, streamConf: """
            [stream]
                enabled = yes
                destination = \(destination)
                api key = \(apiKey)
            \(extraStream)

            """)
    }
}

extension NetdataInstance {
    /// True when `host` has a non-null `chart` value at most `maxAge` seconds old here.
    func hasFreshData(_ host: String, chart: String = "system.cpu", maxAge: Int = 10) async -> Bool {
        guard let r = try? await HTTP.get("\(baseURL)/host/\(host)/api/v1/data?chart=\(chart)&after=-\(maxAge)&format=json&options=jsonwrap"),
              r.status == 0, let data = r.stdout.data(using: .utf8),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let result = json["result"] as? [String: Any], let rows = result["data"] as? [[Any]] else { return false }
        let now = Int(Date().timeIntervalSince1970)
        return rows.contains { row in
            guard let t = row.first as? Int, now - t <= maxAge else { return false }
            return row.dropFirst().contains { !($0 is NSNull) }
        }
    }

    /// Polls until `host` is reachable here with fresh `chart` data.
    func waitUntilStreaming(_ host: String, chart: String = "system.cpu", timeout: Duration = .seconds(30)) async -> Bool {
        await poll(timeout: timeout, interval: .milliseconds(200)) {
            guard await self.isReachable(host) else { return false }
            return await self.hasFreshData(host, chart: chart)
        }
    }

    /// The access.log lines mentioning `host`.
    func accessLines(for host: String) -> [Substring] {
        log("access.log").split(separator: "\n").filter { $0.contains("host '\(host)'") }
    }
}

// MARK: - Raw TCP clients (blocking, with timeouts)

/// A blocking loopback TCP socket with receive/send timeouts, for hostile and simulated clients.
/// Unchecked: a test hands it from one thread to the next, never using it from two at once.
final class RawSocket: @unchecked Sendable {
    private(set) var fd: Int32

    init(port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(5)) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
        setTimeout(timeout)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port)).bigEndian
        inet_pton(AF_INET, host, &sa.sin_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            close()
            throw LabError("connect 127.0.0.1:\(port): \(why)")
        }
    }

    func setTimeout(_ timeout: Duration) {
        let (seconds, attos) = timeout.components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(attos / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends everything; false if the peer closed or the send timed out.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// One `recv` of up to `max` bytes: nil on timeout or error, [] on EOF.
    func receiveOnce(max: Int = 8192) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if n < 0 { return nil }
        return Array(buffer[0..<n])
    }

    /// Reads until EOF (or timeout / `max` bytes).
    func receiveAll(max: Int = 1 << 20) -> [UInt8] {
        var all: [UInt8] = []
        while all.count < max, let chunk = receiveOnce(), !chunk.isEmpty { all += chunk }
        return all
    }

    /// Closes once: a second close could hit a descriptor number another test (or NIO) reuses.
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}

// MARK: - Certificates made with openssl

struct TestCertificates {
    let dir: URL
    var caCert: URL { dir.appendingPathComponent("ca.pem") }
    func cert(_ name: String) -> URL { dir.appendingPathComponent("\(name).pem") }
    func key(_ name: String) -> URL { dir.appendingPathComponent("\(name).key") }

    /// A CA and, for each name, a key and a certificate for 127.0.0.1 / localhost signed by it.
    static func make(in dir: URL, names: [String]) async throws -> TestCertificates {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let certs = TestCertificates(dir: dir)
        try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                           "-subj", "/CN=stream-config test CA",
                           "-keyout", dir.appendingPathComponent("ca.key").path, "-out", certs.caCert.path])
        let ext = dir.appendingPathComponent("san.ext")
        try writeFile(ext, Data("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n".utf8))
        for name in names {
            let csr = dir.appendingPathComponent("\(name).csr")
            try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                               "-keyout", certs.key(name).path, "-out", csr.path])
            try await openssl(["x509", "-req", "-in", csr.path, "-CA", certs.caCert.path,
                               "-CAkey", dir.appendingPathComponent("ca.key").path, "-CAcreateserial",
                               "-days", "2", "-extfile", ext.path, "-out", certs.cert(name).path])
        }
        return certs
    }

    private static func openssl(_ arguments: [String]) async throws {
        let r = try await Command.run("/usr/bin/openssl", arguments, timeout: .seconds(60))
        guard r.status == 0 else { throw LabError("openssl \(arguments.first ?? "") failed: \(r)") }
    }
}
