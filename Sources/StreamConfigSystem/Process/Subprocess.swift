#if canImport(Glibc)
import Glibc
#endif

/// The project's one process runner, on posix_spawn. Two ways to run a program:
///
/// - `run`: a helper program run to completion without a shell (`docker cp …`): stdin from
///   /dev/null, stdout and stderr captured up to a bound, killed when it outlives its time limit.
///   It is done when the program exits, not when its pipes close: a background process it leaves
///   behind holding them does not keep us waiting.
/// - `runInForeground`: the user's editor, on our terminal, in a process group of its own that
///   gets the terminal's foreground, with job control (Ctrl-Z suspends us with it).
///
/// Why not swift-subprocess (swiftlang/swift-subprocess 1.0.2, which would otherwise be the
/// well-kept choice): its API is async only, and every caller here is a synchronous command
/// that must not block the cooperative pool; it has no time limit with a kill (we would
/// write the timer and the kill ourselves anyway); its output limit throws, losing the exit
/// status and stderr that say why a `docker cp` failed; and it offers no job control
/// for the editor (a stopped child must be seen with `WUNTRACED`, the terminal handed back and
/// forth with `tcsetpgrp`, and signals reset to default with `POSIX_SPAWN_SETSIGDEF`).
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// More than the output limit was written; the rest was dropped.
        public var truncated: Bool
        public var succeeded: Bool { status == 0 }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

        public init(status: Int32, stdout: [UInt8], stderr: [UInt8], truncated: Bool = false) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
            self.truncated = truncated
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible { public var description: String }

    /// Runs `arguments[0]` (a path) with `arguments`. Throws when it cannot be started or when it
    /// runs longer than `seconds` (it is killed then); otherwise returns how it ended.
    public static func run(_ arguments: [String], seconds: Double = 60, outputLimit: Int = 16 << 20) throws -> Result {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw Failure(description: "pipe: \(FileAccess.describe(errno: errno))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw Failure(description: "pipe: \(FileAccess.describe(errno: errno))")
        }
        // Close-on-exec: the helper gets them only as its stdout/stderr (dup2 clears the flag).
        // (Our own process starts no other program meanwhile: the CLI is single-threaded here.)
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        var readers = [outPipe[0], errPipe[0]]
        defer { for fd in readers where fd >= 0 { close(fd) } }
        guard spawned == 0 else { throw Failure(description: "cannot run \(arguments[0]): \(FileAccess.describe(errno: spawned))") }

        var output: [[UInt8]] = [[], []]
        var truncated = false
        var status: Int32? = nil
        let deadline = Self.now() + seconds
        var drainUntil = Double.infinity  // after the exit: what is already written, briefly
        while readers.contains(where: { $0 >= 0 }) {
            let now = Self.now()
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw; drainUntil = now + 0.2 }
            }
            if now >= min(deadline, drainUntil) { break }
            var fds = readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let wait = min(min(deadline, drainUntil) - now, 0.05)  // short: the exit is noticed by waitpid
            let ready = poll(&fds, 2, Int32(wait * 1000) + 1)
            if ready < 0 && errno != EINTR { break }
            for index in 0..<2 where readers[index] >= 0 && fds[index].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let count = chunk.withUnsafeMutableBytes { read(readers[index], $0.baseAddress, $0.count) }
                if count > 0 {
                    let room = outputLimit - output[index].count
                    if count > room { truncated = true }
                    if room > 0 { output[index] += chunk.prefix(min(count, room)) }
                } else if count == 0 || errno != EINTR {
                    close(readers[index])
                    readers[index] = -1
                }
            }
        }
        for index in 0..<2 where readers[index] >= 0 {
            close(readers[index])
            readers[index] = -1
        }
        if status == nil {
            // Still running at the deadline, or it closed its output and has not exited yet.
            var raw: Int32 = 0
            var reaped = waitpid(pid, &raw, WNOHANG)
            while reaped == 0 && Self.now() < deadline {
                usleep(5000)
                reaped = waitpid(pid, &raw, WNOHANG)
            }
            if reaped == pid {
                status = raw
            } else {
                kill(pid, SIGKILL)
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                throw Failure(description: "\(arguments.joined(separator: " ")) did not finish within \(Int(seconds)) s; stopped it")
            }
        }
        let raw = status ?? 0
        let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return Result(status: code, stdout: output[0], stderr: output[1], truncated: truncated)
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
