#if canImport(Glibc)
import Glibc
#endif

/// A helper program run to completion without a shell (`docker cp …`): stdin from /dev/null,
/// stdout and stderr captured up to a bound, killed when it outlives its time limit.
struct Subprocess {
    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var succeeded: Bool { status == 0 }
        /// The first line of stderr, for messages.
        var reason: String {
            let line = stderr.split(separator: UInt8(ascii: "\n")).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return line.isEmpty ? "exit status \(status)" : line
        }
    }

    struct Failure: Error { var description: String }

    /// Runs `arguments[0]` (a path) with `arguments`. Throws when it cannot be started or when it
    /// runs longer than `seconds` (it is killed then); otherwise returns how it ended.
    static func run(_ arguments: [String], seconds: Int = 60, outputLimit: Int = 16 << 20) throws -> Result {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw Failure(description: "pipe: \(FileAccess.describe(errno: errno))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw Failure(description: "pipe: \(FileAccess.describe(errno: errno))")
        }
        // Close-on-exec: the helper gets them only as its stdout/stderr (dup2 clears the flag).
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
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { throw Failure(description: "cannot run \(arguments[0]): \(FileAccess.describe(errno: spawned))") }

        var output: [[UInt8]] = [[], []]
        var open = [true, true]
        let deadline = Self.now() + Double(seconds)
        var timedOut = false
        while open[0] || open[1] {
            let left = deadline - Self.now()
            if left <= 0 { timedOut = true; break }
            var fds = [pollfd(fd: open[0] ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 && errno != EINTR { break }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let count = chunk.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if output[index].count < outputLimit { output[index] += chunk.prefix(min(count, outputLimit - output[index].count)) }
                } else if count == 0 || errno != EINTR {
                    open[index] = false
                }
            }
        }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { throw Failure(description: "\(arguments.joined(separator: " ")) did not finish within \(seconds) s; stopped it") }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stdout: output[0], stderr: output[1])
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
