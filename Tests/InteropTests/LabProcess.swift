// Processes the lab starts and stops by PID, the /proc tree it reads to find their descendants,
// and the sweep of processes a crashed test run left behind.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

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
        Spawn.inheritNothingElse(&actions)
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
