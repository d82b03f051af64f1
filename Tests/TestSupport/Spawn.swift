#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and collects its output, with posix_spawn and descriptors this code owns.
///
/// Not Foundation's `Process`: on Linux it closes the descriptors of the handles it is given (and
/// of its pipes) again later, on its own schedule, and by then the number may belong to someone
/// else: a socket of a relay another test runs in this same process was seen closed under it
/// (swiftlang/swift#57827 describes the same double close). Every test target shares one
/// process, so one runner that never closes what it does not own keeps them all safe.
public enum Spawn {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// True when the program was killed at the time limit.
        public var timedOut: Bool
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `environment`: the whole environment of the program (`KEY=value`), or nil for this
    /// process's. `stdin`: bytes to write to its standard input, then closed (nil: /dev/null).
    /// `timeout`: the program is killed (SIGKILL) past it.
    public static func run(_ executable: String, _ arguments: [String], environment: [String]? = nil, stdin: [UInt8]? = nil,
                           timeout: Duration = .seconds(120)) throws -> Result {
        // Socket pairs (close-on-exec here, Glibc has no pipe2): writing to a program that has
        // exited is EPIPE with MSG_NOSIGNAL, never a SIGPIPE for the whole test process.
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        let kind = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, kind, 0, &outPipe) == 0, socketpair(AF_UNIX, kind, 0, &errPipe) == 0,
              socketpair(AF_UNIX, kind, 0, &inPipe) == 0 else {
            throw Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        inheritNothingElse(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        prepare(&attributes, newProcessGroup: false)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = (environment ?? currentEnvironment()).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw Failure(description: "cannot run \(executable): \(String(cString: strerror(rc)))")
        }

        // Input on a thread of its own; output read here with poll(2), so a full pipe never
        // blocks the program and a grandchild that keeps a pipe open cannot hang the test.
        let writer = Writer(fd: inPipe[1], bytes: stdin ?? [])
        let writerThread = writer.start()
        var out: [UInt8] = [], err: [UInt8] = []
        var open: [(fd: Int32, isOut: Bool)] = [(outPipe[0], true), (errPipe[0], false)]
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var exitedAt: ContinuousClock.Instant?
        var status: Int32 = 0
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if exitedAt == nil {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid || (reaped < 0 && errno == ECHILD) { exitedAt = clock.now }
            }
            if let exitedAt, open.isEmpty || clock.now > exitedAt.advanced(by: .seconds(5)) { break }
            if clock.now >= deadline, !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            // A bounded wait for output, so the exit and the deadline are looked at again soon.
            let ready = poll(&fds, nfds_t(fds.count), 20)
            guard ready > 0 else { continue }
            var closed: Set<Int32> = []
            for entry in fds where entry.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if open.first(where: { $0.fd == entry.fd })!.isOut { out += buffer[0..<n] } else { err += buffer[0..<n] }
                } else if n == 0 || errno != EINTR {
                    closed.insert(entry.fd)
                }
            }
            open.removeAll { closed.contains($0.fd) }
        }
        close(outPipe[0]); close(errPipe[0])
        pthread_join(writerThread, nil)
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exit, stdout: out, stderr: err, timedOut: timedOut)
    }

    /// The child starts with no signal blocked and every signal at its default action (the
    /// test runner's threads block some), and in a process group of its own when asked, so
    /// group-wide signals sent to it never reach the test runner.
    public static func prepare(_ attributes: inout posix_spawnattr_t, newProcessGroup: Bool) {
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= Int16(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, flags)
    }

    /// The child inherits descriptors 0-2 only. Every test shares this process: a socket another
    /// test holds, if inherited by a program that outlives its close (an agent, ansible's
    /// workers), keeps that connection open, and its peer never sees it end. glibc >= 2.34 has
    /// the action, but the Glibc module does not export it, hence dlsym.
    public static func inheritNothingElse(_ actions: inout posix_spawn_file_actions_t) {
        #if os(Linux)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        #endif
    }

    public static func currentEnvironment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    /// Writes bytes to a socket on a thread (a program that exits without reading them is
    /// fine: EPIPE ends the write), then closes it.
    private final class Writer: @unchecked Sendable {
        let fd: Int32
        let bytes: [UInt8]

        init(fd: Int32, bytes: [UInt8]) {
            self.fd = fd
            self.bytes = bytes
            // A program that neither reads nor exits cannot hold the writer forever.
            var limit = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }

        func start() -> pthread_t {
            startThread { [self] in
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n > 0 { offset += n; continue }
                    if n < 0 && errno == EINTR { continue }
                    break
                }
                close(fd)
            }
        }
    }

    private static func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        return thread
    }
}

private final class ThreadBody: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
