#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix

/// Hands log lines to a thread of their own that renders them as bytes and writes them to a
/// descriptor, all that is queued in one `write(2)`: an event loop that logs (four lines per
/// child in a reconnect storm) queues the line's parts and goes on; formatting and writing
/// happen off the handshake path. Lines reach the descriptor in the order they were queued.
///
/// Nothing is dropped: when `maxEntries` are queued, `submit` waits for the writer (as a blocking
/// write to the descriptor would have). The thread lives as long as the process (one writer per
/// descriptor; `LogfmtLogHandler` uses `standardError`).
public final class LineWriter: @unchecked Sendable {
    /// Appends one line's bytes (with its newline) to the batch being written.
    public typealias Render = @Sendable (inout [UInt8]) -> Void

    public let fd: CInt
    public let maxEntries: Int

    // Guarded by `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when the queue gets bytes while the writer waits.
    private let queued: UnsafeMutablePointer<pthread_cond_t>
    /// Broadcast when the writer took the queue or finished a write (room, or drained).
    private let progressed: UnsafeMutablePointer<pthread_cond_t>
    private var pending: [Render] = []
    private var writerWaiting = false
    /// When the last line was submitted (monotonic ns).
    private var lastSubmit: UInt64 = 0
    private var writing = false
    private let thread = NIOThreadPool(numberOfThreads: 1)

    /// Lines closer together than this are a burst: queued for the writer.
    static let burstGap: UInt64 = 5_000_000
    /// How long the writer lets lines gather after the first one woke it.
    static let batchDelay = timespec(tv_sec: 0, tv_nsec: 5_000_000)

    /// Lines logged to standard error by `LogfmtLogHandler` (made on first use). A process that
    /// exits normally writes what is queued first (at most 2 s), as if the lines had been
    /// written when logged.
    public static let standardError: LineWriter = {
        let writer = LineWriter(fd: 2)
        atexit { LineWriter.standardError.flush(timeout: 2) }
        return writer
    }()


    public init(fd: CInt, maxEntries: Int = 16_384) {
        self.fd = fd
        self.maxEntries = max(1, maxEntries)
        mutex = .allocate(capacity: 1)
        queued = .allocate(capacity: 1)
        progressed = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(queued, nil)
        pthread_cond_init(progressed, nil)
        thread.start()
        thread.submit { [self] _ in run() }
    }

    /// Queues `line` (its bytes as they are: the caller ends it with a newline).
    public func submit(_ line: [UInt8]) {
        submit { $0.append(contentsOf: line) }
    }

    /// Queues a line that the writer thread renders (`render` appends its bytes). A line that
    /// comes alone (nothing queued or being written, none in the last `burstGap`) is rendered
    /// and written at once by the caller, as an unbuffered log would: a quiet relay's lines, and
    /// the last lines of a process that exits without `flush`, are never held back.
    public func submit(rendering render: @escaping Render) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let alone = pending.isEmpty && !writing && nanoseconds &- lastSubmit > Self.burstGap
        lastSubmit = nanoseconds
        if alone {
            var line: [UInt8] = []
            render(&line)
            Self.writeAll(fd, line)
            return
        }
        while pending.count >= maxEntries {
            pthread_cond_wait(progressed, mutex)
        }
        pending.append(render)
        if writerWaiting { pthread_cond_signal(queued) }
    }

    /// Lines queued and not yet taken by the writer.
    public var backlog: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return pending.count
    }

    /// Waits until everything queued so far is written, at most `timeout` seconds: for the last
    /// lines before the process exits, and before anything else writes to the same descriptor.
    /// True when nothing is left.
    @discardableResult
    public func flush(timeout: Double) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = Int(max(0, timeout) * 1e9) + Int(deadline.tv_nsec)
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !pending.isEmpty || writing {
            if pthread_cond_timedwait(progressed, mutex, &deadline) == ETIMEDOUT { break }
        }
        return pending.isEmpty && !writing
    }

    private func run() {
        var batch: [UInt8] = []
        var taken: [Render] = []
        while true {
            pthread_mutex_lock(mutex)
            while pending.isEmpty {
                writerWaiting = true
                pthread_cond_wait(queued, mutex)
                writerWaiting = false
            }
            // Let the lines that follow the first gather for a moment, so a burst costs one
            // wake-up and one write per `batchDelay`, not one per line (submitters signal only a
            // waiting writer).
            pthread_mutex_unlock(mutex)
            var delay = Self.batchDelay
            nanosleep(&delay, nil)
            pthread_mutex_lock(mutex)
            swap(&taken, &pending)
            writing = true
            pthread_cond_broadcast(progressed)  // room for those waiting in `submit`
            pthread_mutex_unlock(mutex)

            for render in taken { render(&batch) }
            taken.removeAll(keepingCapacity: true)
            Self.writeAll(fd, batch)
            // Keep a modest buffer for the next batch; give back what a burst grew.
            if batch.capacity > 256 << 10 { batch = [] } else { batch.removeAll(keepingCapacity: true) }

            pthread_mutex_lock(mutex)
            writing = false
            pthread_cond_broadcast(progressed)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Writes all of `bytes`, retrying short writes and EINTR; gives up on other errors (a
    /// closed stderr must not stop the relay).
    static func writeAll(_ fd: CInt, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
