// NetdataLab.swift - a small harness that runs real Netdata 1.37.1 agents privately on loopback
// (the Swift twin of /work/shared/lab/lib.sh) and runs the project's `stream-config` binary.
//
// Rules it keeps: every instance lives in its own temp dir, binds only 127.0.0.0/8, and every
// process it starts is stopped by PID (SIGTERM, bounded wait, SIGKILL), including the plugins
// netdata forked. Every wait polls with a deadline.
//
//     try await NetdataLab.run { lab in
//         let parent = try lab.instance(hostname: "p", streamConf: "[KEY]\n    enabled = yes\n")
//         try await parent.start()
//         let child = try lab.instance(hostname: "c", streamConf: NetdataLab.childStreamConf(
//             destination: parent.address, apiKey: KEY))
//         try await child.start()
//         #expect(await parent.waitUntilReachable("c"), "\(lab.logTails())")
//     }

import Foundation
@_exported import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Errors

struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Lab scope: owns the temp dir and every instance/process started in it

/// One test's lab. Use `NetdataLab.run { lab in ... }`: whatever the body does (returns, throws,
/// or fails an expectation), every instance is stopped afterwards.
final class NetdataLab {
    /// The agent under test: STREAM_CONFIG_NETDATA if set, else Debian's /usr/sbin/netdata.
    static let netdataPath = ProcessInfo.processInfo.environment["STREAM_CONFIG_NETDATA"] ?? "/usr/sbin/netdata"
    static let stockConfigDir = "/usr/lib/netdata/conf.d"
    static let stockPluginsDir = "/usr/lib/netdata/plugins.d"
    static let webDir = "/usr/share/netdata/web"

    /// CI sets STREAM_CONFIG_REQUIRE_INTEROP=1: then a missing netdata is a failure, not a skip.
    static var interopRequired: Bool {
        ProcessInfo.processInfo.environment["STREAM_CONFIG_REQUIRE_INTEROP"] == "1"
    }
    static var netdataInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: netdataPath)
    }
    /// For `.enabled(if: NetdataLab.shouldRun)`: skip only when netdata is missing and not required.
    static var shouldRun: Bool { netdataInstalled || interopRequired }

    /// Call first in a test: fails (throws) when netdata is required but missing.
    static func requireNetdata(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(netdataInstalled,
                     "\(netdataPath) is missing; interop tests must run (STREAM_CONFIG_REQUIRE_INTEROP=1 or called outside .enabled(if: NetdataLab.shouldRun))",
                     sourceLocation: sourceLocation)
    }

    let root: URL
    private(set) var instances: [NetdataInstance] = []
    private var processes: [LabProcess] = []

    private init() throws {
        _ = StaleLabs.swept
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("ndlab-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try writeFile(root.appendingPathComponent(StaleLabs.ownerFile), Data(StaleLabs.ownerStamp.utf8))
    }

    /// Runs `body` with a fresh lab and always stops everything it started. On a thrown error the
    /// log tails of all instances are printed. The temp dir is removed unless
    /// STREAM_CONFIG_KEEP_LAB=1.
    static func run<T>(_ body: (NetdataLab) async throws -> T) async throws -> T {
        try requireNetdata()
        let lab = try NetdataLab()
        do {
            let result = try await body(lab)
            await lab.shutdown()
            return result
        } catch {
            print("NetdataLab: test body threw \(error)\n\(lab.logTails())")
            await lab.shutdown()
            throw error
        }
    }

    /// Creates (but does not start) a netdata instance in `ROOT/<name>` with a free port.
    func instance(name: String? = nil, hostname: String, streamConf: String,
                  bindAddress: String = "127.0.0.1", dbMode: String = "ram",
                  extraNetdataConf: String = "") throws -> NetdataInstance {
        try instance(name: name, hostname: hostname, streamConfBytes: Data(streamConf.utf8),
                     bindAddress: bindAddress, dbMode: dbMode, extraNetdataConf: extraNetdataConf)
    }

    func instance(name: String? = nil, hostname: String, streamConfBytes: Data,
                  bindAddress: String = "127.0.0.1", dbMode: String = "ram",
                  extraNetdataConf: String = "") throws -> NetdataInstance {
        let port = try FreePort.pick(address: bindAddress)
        let dir = root.appendingPathComponent(name ?? hostname)
        let inst = try NetdataInstance(dir: dir, hostname: hostname, port: port, bindAddress: bindAddress,
                                       dbMode: dbMode, streamConf: streamConfBytes,
                                       extraNetdataConf: extraNetdataConf)
        instances.append(inst)
        return inst
    }

    /// Starts any other process (e.g. a relay under test) that the lab stops at the end.
    func spawn(name: String, executable: String, arguments: [String],
               environment: [String: String] = [:]) throws -> LabProcess {
        let log = root.appendingPathComponent("\(name).log")
        let p = LabProcess(name: name, executable: executable, arguments: arguments,
                               environment: environment, outputFile: log)
        processes.append(p)
        try p.start()
        return p
    }

    /// Stops everything (instances and spawned processes), in reverse start order. Safe to repeat.
    func shutdown() async {
        for p in processes.reversed() { await p.stop() }
        for i in instances.reversed() { await i.stop() }
        if ProcessInfo.processInfo.environment["STREAM_CONFIG_KEEP_LAB"] != "1" {
            try? FileManager.default.removeItem(at: root)
        } else {
            // Kept on purpose: not an orphan for the next run's sweep.
            try? FileManager.default.removeItem(at: root.appendingPathComponent(StaleLabs.ownerFile))
            print("NetdataLab: kept \(root.path)")
        }
    }

    /// The last lines of every instance's logs (for failure messages).
    func logTails(lines: Int = 30) -> String {
        var out = ""
        for i in instances { out += i.logTails(lines: lines) }
        for p in processes { out += "---- \(p.name) output (\(p.outputFile.path)):\n\(p.outputTail(lines: lines))\n" }
        return out
    }

    /// A child's stream.conf, as in the lab (`nd_write_stream_conf_child`, minimal form).
    static func childStreamConf(destination: String, apiKey: String) -> String {
        """
        [stream]
            enabled = yes
            destination = \(destination)
            api key = \(apiKey)

        """
    }
}

// MARK: - One netdata agent

final class NetdataInstance {
    let dir: URL
    let hostname: String
    let port: Int
    let bindAddress: String
    private let dbMode: String
    private let extraNetdataConf: String
    private var process: LabProcess?

    var address: String { "\(bindAddress):\(port)" }
    var baseURL: String { "http://\(bindAddress):\(port)" }
    var etcDir: URL { dir.appendingPathComponent("etc") }
    var logDir: URL { dir.appendingPathComponent("log") }
    var netdataConfURL: URL { etcDir.appendingPathComponent("netdata.conf") }
    var streamConfURL: URL { etcDir.appendingPathComponent("stream.conf") }
    var pid: pid_t? { process.flatMap { $0.isRunning ? $0.pid : nil } }
    var isRunning: Bool { process?.isRunning ?? false }

    init(dir: URL, hostname: String, port: Int, bindAddress: String = "127.0.0.1",
         dbMode: String = "ram", streamConf: Data, extraNetdataConf: String = "") throws {
        guard bindAddress.hasPrefix("127.") else { throw LabError("bind address \(bindAddress) is not loopback") }
        self.dir = dir
        self.hostname = hostname
        self.port = port
        self.bindAddress = bindAddress
        self.dbMode = dbMode
        self.extraNetdataConf = extraNetdataConf
        let fm = FileManager.default
        for sub in ["etc", "cache", "lib", "log", "lock", "run", "plugins.d"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try writeFile(etcDir.appendingPathComponent(".opt-out-from-anonymous-statistics"), Data())
        try writeFile(netdataConfURL, Data(netdataConf().utf8))
        try writeStreamConf(streamConf)
        try writeFile(dir.appendingPathComponent("plugins.d/system-info.sh"), Data(Self.systemInfoScript.utf8),
                      mode: 0o755)
    }

    /// netdata runs `<first plugins dir>/system-info.sh` at start. Debian ships it in
    /// netdata-plugins-bash, not netdata-core; without it a 1.37.1 child aborts ("munmap_chunk():
    /// invalid pointer" in STREAM_SENDER) as soon as it builds its STREAM request: for a missing OS or
    /// kernel field `rrdpush_encode_variable` uses the literal "" and `rrdpush_clean_encoded` frees
    /// it. So every instance gets this fixed stub (the real script's variables, neutral values) in
    /// DIR/plugins.d, which is listed first in `[directories] plugins`.
    static let systemInfoScript = """
        #!/bin/sh
        # NetdataLab stub of netdata's system-info.sh (see NetdataLab.swift)
        cat <<'EOF'
        NETDATA_CONTAINER_OS_NAME=unknown
        NETDATA_CONTAINER_OS_ID=unknown
        NETDATA_CONTAINER_OS_ID_LIKE=unknown
        NETDATA_CONTAINER_OS_VERSION=unknown
        NETDATA_CONTAINER_OS_VERSION_ID=unknown
        NETDATA_CONTAINER_OS_DETECTION=unknown
        NETDATA_CONTAINER_IS_OFFICIAL_IMAGE=false
        NETDATA_HOST_OS_NAME=unknown
        NETDATA_HOST_OS_ID=unknown
        NETDATA_HOST_OS_ID_LIKE=unknown
        NETDATA_HOST_OS_VERSION=unknown
        NETDATA_HOST_OS_VERSION_ID=unknown
        NETDATA_HOST_OS_DETECTION=unknown
        NETDATA_HOST_IS_K8S_NODE=false
        NETDATA_SYSTEM_KERNEL_NAME=Linux
        NETDATA_SYSTEM_KERNEL_VERSION=unknown
        NETDATA_SYSTEM_ARCHITECTURE=unknown
        NETDATA_SYSTEM_VIRTUALIZATION=unknown
        NETDATA_SYSTEM_VIRT_DETECTION=unknown
        NETDATA_SYSTEM_CONTAINER=unknown
        NETDATA_SYSTEM_CONTAINER_DETECTION=unknown
        NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=1
        NETDATA_SYSTEM_CPU_VENDOR=unknown
        NETDATA_SYSTEM_CPU_MODEL=unknown
        NETDATA_SYSTEM_CPU_FREQ=unknown
        NETDATA_SYSTEM_CPU_DETECTION=unknown
        NETDATA_SYSTEM_TOTAL_RAM=unknown
        NETDATA_SYSTEM_RAM_DETECTION=unknown
        NETDATA_SYSTEM_TOTAL_DISK_SIZE=unknown
        NETDATA_SYSTEM_DISK_DETECTION=unknown
        NETDATA_INSTANCE_CLOUD_TYPE=unknown
        NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE=unknown
        NETDATA_INSTANCE_CLOUD_INSTANCE_REGION=unknown
        EOF

        """

    /// Writes stream.conf verbatim (takes effect at the next start: netdata reads it once).
    func writeStreamConf(_ bytes: Data) throws { try writeFile(streamConfURL, bytes) }
    func writeStreamConf(_ text: String) throws { try writeStreamConf(Data(text.utf8)) }

    /// Same content as the lab's `nd_write_netdata_conf`, except that DIR/plugins.d comes first
    /// in `plugins` (for the system-info.sh stub).
    private func netdataConf() -> String {
        let d = dir.path
        return """
        # generated by NetdataLab - private instance, loopback only
        [global]
            run as user = root
            hostname = \(hostname)
            process scheduling policy = keep
            OOM score = keep

        [db]
            mode = \(dbMode)
            retention = 3600
            update every = 1
            dbengine page cache size MB = 32
            dbengine multihost disk space MB = 128
            cleanup orphan hosts after secs = 3600

        [directories]
            config = \(d)/etc
            stock config = \(NetdataLab.stockConfigDir)
            log = \(d)/log
            web = \(NetdataLab.webDir)
            cache = \(d)/cache
            lib = \(d)/lib
            home = \(d)/lib
            lock = \(d)/lock
            plugins = "\(d)/plugins.d" "\(NetdataLab.stockPluginsDir)"
            health config = \(d)/etc/health.d
            stock health config = \(NetdataLab.stockConfigDir)/health.d
            registry = \(d)/lib/registry

        [logs]
            debug = \(d)/log/debug.log
            error = \(d)/log/error.log
            access = \(d)/log/access.log
            health = \(d)/log/health.log
            errors flood protection period = 0

        [web]
            bind to = \(bindAddress):\(port)
            default port = \(port)
            allow connections from = localhost 127.*
            allow streaming from = *

        [registry]
            enabled = no

        [health]
            enabled = no

        [ml]
            enabled = no

        [statsd]
            enabled = no

        [plugins]
            enable running new plugins = no
            check for new plugins every = 60
            proc = yes
            diskspace = no
            cgroups = no
            tc = no
            idlejitter = yes
            timex = no
            netdata monitoring = yes
            statsd = no
            apps = no
            charts.d = no
            python.d = no
            go.d = no
            ebpf = no
            fping = no
            ioping = no
            perf = no
            slabinfo = no
            nfacct = no
            cups = no

        \(extraNetdataConf)

        """
    }

    /// Starts netdata and waits until `/api/v1/info` answers. Throws (after stopping it) if it
    /// dies or does not answer in time.
    func start(timeout: Duration = .seconds(30)) async throws {
        guard !isRunning else { return }
        guard FreePort.isFree(port, address: bindAddress) else {
            throw LabError("port \(address) is already in use")
        }
        let p = LabProcess(
            name: hostname, executable: NetdataLab.netdataPath,
            arguments: ["-D", "-c", netdataConfURL.path, "-P", dir.appendingPathComponent("run/netdata.pid.nd").path],
            environment: ["DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"],
            outputFile: logDir.appendingPathComponent("stdout.log"))
        try p.start()
        process = p
        try writeFile(dir.appendingPathComponent("run/netdata.pid"), Data("\(p.pid)\n".utf8))
        let ok = await poll(timeout: timeout) {
            guard p.isRunning else { return true }
            return (try? await HTTP.get("\(baseURL)/api/v1/info"))?.status == 0
        }
        guard ok, p.isRunning else {
            let why = p.isRunning ? "did not answer on \(address) within \(timeout)" : "died during start"
            let tails = logTails()
            await stop()
            throw LabError("netdata \(hostname) \(why)\n\(tails)")
        }
    }

    /// SIGTERM by PID, bounded wait, then SIGKILL (also for leftover plugins). The exit code is
    /// ignored: 1.37.1 sometimes crashes while shutting down. Safe to call more than once.
    func stop(timeout: Duration = .seconds(20)) async {
        guard let p = process else { return }
        await p.stop(timeout: timeout)
        process = nil
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("run/netdata.pid"))
    }

    /// Stop, replace stream.conf, start again (same dir, port and machine GUID).
    func restart(streamConf: String? = nil) async throws {
        await stop()
        if let streamConf { try writeStreamConf(streamConf) }
        try await start()
    }

    // MARK: API

    struct Info: Decodable, Sendable {
        struct HostStatus: Decodable, Sendable {
            let hostname: String
            let guid: String?
            let reachable: Bool
            let hops: Int?
        }
        let version: String?
        let mirrored_hosts: [String]?
        let mirrored_hosts_status: [HostStatus]?
    }

    func info() async throws -> Info {
        let r = try await HTTP.get("\(baseURL)/api/v1/info")
        guard r.status == 0 else { throw LabError("GET /api/v1/info on \(address) failed: \(r.stderr)") }
        return try JSONDecoder().decode(Info.self, from: Data(r.stdout.utf8))
    }

    /// The status of `host` in this instance's `mirrored_hosts_status` (nil if not listed).
    func mirroredHost(_ host: String) async throws -> Info.HostStatus? {
        try await info().mirrored_hosts_status?.first { $0.hostname == host }
    }

    func isReachable(_ host: String) async -> Bool {
        (try? await mirroredHost(host))??.reachable == true
    }

    /// Polls until `host` is listed with `reachable == true`. Returns false on timeout.
    func waitUntilReachable(_ host: String, timeout: Duration = .seconds(20)) async -> Bool {
        await poll(timeout: timeout) { await self.isReachable(host) }
    }

    // MARK: Logs

    func logURL(_ name: String = "error.log") -> URL { logDir.appendingPathComponent(name) }

    func log(_ name: String = "error.log") -> String {
        guard let d = try? Data(contentsOf: logURL(name)) else { return "" }
        return String(decoding: d, as: UTF8.self)
    }

    /// Polls `log/<file>` until it contains `text`. Returns false on timeout.
    func waitForLog(_ text: String, in file: String = "error.log", timeout: Duration = .seconds(15)) async -> Bool {
        await poll(timeout: timeout) { self.log(file).contains(text) }
    }

    func logTail(_ name: String = "error.log", lines: Int = 30) -> String {
        tailOfFile(logURL(name), lines: lines)
    }

    /// error.log (without the proc collector's start-up noise), access.log and stdout.log tails,
    /// labelled, for failure messages.
    func logTails(lines: Int = 30) -> String {
        ["error.log", "access.log", "stdout.log"].map { name in
            let tail = log(name).split(separator: "\n").filter { !$0.contains(": PLUGIN[proc") }
                .suffix(lines).joined(separator: "\n")
            return "---- \(hostname) \(name) (\(logURL(name).path)):\n\(tail)\n"
        }.joined()
    }
}

// MARK: - Processes stopped by PID

/// A child process started with `posix_spawn`, its stdout/stderr appended to files, reaped with
/// `waitpid(pid)` and stopped by PID together with the processes it forked.
///
/// Not `Foundation.Process`: on Linux it spawns children with the calling Dispatch thread's signal
/// mask (swift-corelibs-foundation#4772), i.e. with SIGTERM, SIGCHLD, SIGALRM... blocked, and we saw
/// it leave a finished `curl` as an unreaped zombie while netdata was running. Here the child gets
/// an empty signal mask, default signal dispositions and its own process group.
final class LabProcess {
    let name: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let outputFile: URL
    let errorFile: URL
    private(set) var pid: pid_t = 0
    /// Exit code, or 128+signal; nil while running or never started.
    private(set) var exitStatus: Int32?

    /// `environment` is added to (and overrides) this process's environment.
    /// stderr goes to `errorFile`, or to `outputFile` when nil.
    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:],
         outputFile: URL, errorFile: URL? = nil) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.outputFile = outputFile
        self.errorFile = errorFile ?? outputFile
    }

    func start() throws {
        precondition(pid == 0, "LabProcess \(name) started twice")
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        #if canImport(Darwin)
        var attr: posix_spawnattr_t? = nil
        var actions: posix_spawn_file_actions_t? = nil
        #else
        var attr = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawnattr_init(&attr)
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawnattr_destroy(&attr); posix_spawn_file_actions_destroy(&actions) }
        // own process group (pgid = its PID), so group-wide signals never reach the test runner
        Spawn.prepare(&attr, newProcessGroup: true)
        let flags = O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, flags, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, flags, 0o644)
        #if os(Linux)
        // inherit no other fd (glibc >= 2.34; not exported by the Glibc module, hence dlsym)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let sym = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(sym, to: CloseFrom.self)(&actions, 3)
        }
        #endif

        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attr, argv, envp)
        guard rc == 0 else { throw LabError("posix_spawn \(executable) failed: \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// Reaps the child if it has exited (never blocks).
    var isRunning: Bool {
        guard pid > 0, exitStatus == nil else { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r < 0 && errno == ECHILD) {
            exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return false
        }
        return true
    }

    /// Waits up to `timeout` for the process to exit by itself.
    func wait(timeout: Duration, interval: Duration = .milliseconds(100)) async -> Bool {
        await poll(timeout: timeout, interval: interval) { !self.isRunning }
    }

    func outputTail(lines: Int = 30) -> String { tailOfFile(outputFile, lines: lines) }

    /// SIGTERM, wait up to `timeout`, SIGKILL; then SIGKILL the descendants that outlived it.
    /// The exit status is ignored. Safe to call more than once.
    func stop(timeout: Duration = .seconds(20)) async {
        guard isRunning else { return }
        let kids = ProcTree.descendants(of: pid)
        kill(pid, SIGTERM)
        if !(await wait(timeout: timeout)) {
            print("LabProcess: \(name) (PID \(pid)) ignored SIGTERM for \(timeout), sending SIGKILL")
            kill(pid, SIGKILL)
            _ = await wait(timeout: .seconds(5))
        }
        // plugins / spawn server normally exit with netdata; give them a moment, then kill by PID
        _ = await poll(timeout: .seconds(2)) { kids.allSatisfy { !ProcTree.isSame($0) } }
        for k in kids where ProcTree.isSame(k) { kill(k.pid, SIGKILL) }
    }

    deinit {
        // last resort if nobody called stop(): never leave a process behind
        if isRunning {
            for k in ProcTree.descendants(of: pid) where ProcTree.isSame(k) { kill(k.pid, SIGKILL) }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// Writes `data` with O_CLOEXEC, so a process spawned meanwhile by another test cannot inherit the
/// fd (an inherited writable fd of system-info.sh made netdata's exec of it fail: "Text file busy").
func writeFile(_ url: URL, _ data: Data, mode: mode_t = 0o644) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw LabError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    try data.withUnsafeBytes { buf in
        var done = 0
        while done < buf.count {
            let n = write(fd, buf.baseAddress! + done, buf.count - done)
            guard n > 0 else { throw LabError("write \(url.path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }
    fchmod(fd, mode)
}

func tailOfFile(_ url: URL, lines: Int) -> String {
    guard let d = try? Data(contentsOf: url) else { return "" }
    return String(decoding: d, as: UTF8.self)
        .split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
}

/// Reads the process tree from /proc (Linux). A process is identified by PID + cmdline, so a
/// recycled PID is never killed.
enum ProcTree {
    struct Entry { let pid: pid_t; let cmdline: String }

    static func cmdline(_ pid: pid_t) -> String? {
        guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !d.isEmpty else { return nil }
        return String(decoding: d, as: UTF8.self)
    }

    static func isSame(_ e: Entry) -> Bool { cmdline(e.pid) == e.cmdline }

    /// Field 22 of /proc/PID/stat (clock ticks after boot): with the PID, names one process.
    static func startTime(_ pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    static func descendants(of root: pid_t) -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var children: [pid_t: [pid_t]] = [:]
        for n in names {
            guard let pid = pid_t(n),
                  let stat = try? String(contentsOfFile: "/proc/\(n)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // after "comm)": state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { children[ppid, default: []].append(pid) }
        }
        var out: [Entry] = []
        var queue = children[root] ?? []
        while let p = queue.popLast() {
            if let c = cmdline(p) { out.append(Entry(pid: p, cmdline: c)) }
            queue += children[p] ?? []
        }
        return out
    }
}

/// A test run that crashed (or was killed) cannot stop its labs' processes. The next run, before
/// its first lab, kills every process still running from a lab whose owner is gone: each lab
/// records its test process (PID and start time, so a reused PID does not count).
enum StaleLabs {
    static let ownerFile = "owner"
    static var ownerStamp: String { "\(getpid()) \(ProcTree.startTime(getpid()) ?? 0)\n" }

    static let swept: Void = {
        let tmp = FileManager.default.temporaryDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp.path) else { return }
        let labs = names.filter { $0.hasPrefix("ndlab-") }.map { tmp.appendingPathComponent($0).path }
        let orphaned = labs.filter { lab in
            guard let owner = try? String(contentsOfFile: "\(lab)/\(ownerFile)", encoding: .utf8) else { return false }
            let parts = owner.split(whereSeparator: \.isWhitespace)
            guard parts.count == 2, let pid = pid_t(parts[0]), let start = UInt64(parts[1]) else { return false }
            return ProcTree.startTime(pid) != start
        }
        guard !orphaned.isEmpty, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for case let pid? in pids.map({ pid_t($0) }) where pid != getpid() {
            guard let cmdline = ProcTree.cmdline(pid), let lab = orphaned.first(where: { cmdline.contains($0 + "/") }) else { continue }
            print("NetdataLab: killing PID \(pid), left running by a crashed test run in \(lab)")
            kill(pid, SIGKILL)
        }
        // Their databases and logs too (a kept lab has no owner file, so it is not among them).
        for lab in orphaned { try? FileManager.default.removeItem(atPath: lab) }
    }()
}

// MARK: - Free ports

enum FreePort {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handedOut: Set<Int> = []

    /// A port in 20000..<32000 (below Linux's ephemeral range, so outgoing connections never
    /// take it) that nothing listens on and that this process has not handed out before.
    static func pick(address: String = "127.0.0.1") throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20000..<32000)
            let fresh = lock.withLock { handedOut.insert(port).inserted }
            if fresh && isFree(port, address: address) { return port }
        }
        throw LabError("no free port found on \(address)")
    }

    /// True if a listening socket could bind `address:port` now (SO_REUSEADDR, like netdata,
    /// so TIME_WAIT leftovers of a previous run on the same port do not count).
    static func isFree(_ port: Int, address: String = "127.0.0.1") -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sa = sockaddr_in()
        #if canImport(Darwin)
        sa.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port)).bigEndian
        guard inet_pton(AF_INET, address, &sa.sin_addr) == 1 else { return false }
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }
}

// MARK: - Running commands (curl, stream-config)

struct CommandResult: Sendable, CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String
    var description: String { "exit \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)" }
}

enum Command {
    /// Runs `executable` to completion (SIGKILLed after `timeout`) and captures its output.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString)")
        let outURL = tmp.appendingPathExtension("out"), errURL = tmp.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let p = LabProcess(name: executable, executable: executable, arguments: arguments,
                           outputFile: outURL, errorFile: errURL)
        try p.start()
        guard await p.wait(timeout: timeout, interval: .milliseconds(5)) else {
            kill(p.pid, SIGKILL)
            _ = await p.wait(timeout: .seconds(5))
            throw LabError("\(executable) \(arguments) did not finish within \(timeout)")
        }
        return CommandResult(status: p.exitStatus ?? -1,
                             stdout: tailOfFile(outURL, lines: .max), stderr: tailOfFile(errURL, lines: .max))
    }
}

enum HTTP {
    /// GET with curl (`-f`: HTTP errors give a non-zero status).
    static func get(_ url: String, timeout: Int = 2) async throws -> CommandResult {
        try await Command.run("/usr/bin/curl", ["-fsS", "-m", String(timeout), url], timeout: .seconds(timeout + 3))
    }
}

// MARK: - The project's CLI

enum StreamConfigCLI {
    /// Package root, from this file's path (Tests/InteropTests/NetdataLab.swift).
    static func packageRoot(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// STREAM_CONFIG_BIN if set, else `<package root>/.build/debug/stream-config`.
    static func binaryPath() -> String {
        if let env = ProcessInfo.processInfo.environment["STREAM_CONFIG_BIN"], !env.isEmpty { return env }
        return packageRoot().appendingPathComponent(".build/debug/stream-config").path
    }

    static func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandResult {
        let bin = binaryPath()
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw LabError("stream-config binary not found at \(bin) (build it, or set STREAM_CONFIG_BIN)")
        }
        return try await Command.run(bin, arguments, timeout: timeout)
    }

    /// One line of `--format gcc` output: `PATH:LINE:COL: SEVERITY: [CODE] message`.
    struct Finding: Sendable, Equatable {
        let path: String, line: Int, column: Int, severity: String, code: String, message: String

        init?(gccLine s: String) {
            guard let m = s.wholeMatch(of: /(.+?):(\d+):(\d+): (\w+): \[([A-Z]+\d+)\] (.*)/),
                  let line = Int(m.2), let column = Int(m.3) else { return nil }
            (path, self.line, self.column) = (String(m.1), line, column)
            (severity, code, message) = (String(m.4), String(m.5), String(m.6))
        }
    }

    /// `stream-config lint --target TARGET --format gcc FILE`: the raw result and its findings.
    static func lint(_ file: URL, target: String = "1.37") async throws -> (result: CommandResult, findings: [Finding]) {
        let r = try await run(["lint", "--target", target, "--format", "gcc", file.path])
        return (r, r.stdout.split(separator: "\n").compactMap { Finding(gccLine: String($0)) })
    }
}
