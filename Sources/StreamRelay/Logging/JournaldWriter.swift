import NIOConcurrencyHelpers
import NIOPosix

/// Puts journald entries in a bounded queue that one thread of its own sends, so that a burst
/// (a reconnect storm writes four entries per child) waits for journald instead of being lost.
///
/// The kernel lets only `net.unix.max_dgram_qlen` datagrams (10 by default) wait in journald's
/// socket; an event loop cannot wait for room, so `JournaldSocket.send` drops when the queue is
/// full. Here the loggers only append to a queue (never block: when the queue is full, the entry
/// is dropped and counted, and the next entry the queue accepts says how many were lost), and the
/// writer thread sends each entry waiting up to `JournaldSocket.waitLimit` for room. journald
/// stamps entries when it receives them, so in a backlog the times lag behind the events. The thread lives
/// as long as the process (one writer per process, made by `RelayLogging.bootstrap`).
public final class JournaldWriter: @unchecked Sendable {
    public let socket: JournaldSocket
    public let maxEntries: Int
    public let maxBytes: Int

    /// What the writer and `flush` wait for: work queued, nothing queued or being sent (NIO's
    /// condition lock; Foundation's NSCondition would link all of Foundation and ICU).
    private enum Work: Equatable { case idle, queued, sendingLast }
    private let condition = ConditionLock<Work>(value: .idle)
    /// Runs the writer: one thread for the life of the process.
    private let thread = NIOThreadPool(numberOfThreads: 1)
    // Guarded by `condition`.
    private var pending: [[UInt8]] = []
    private var head = 0
    private var pendingBytes = 0
    private var sending = false
    /// Entries the full queue refused since the last one it accepted.
    private var refusedSinceLastAccepted = 0

    public init(socket: JournaldSocket, maxEntries: Int = 16_384, maxBytes: Int = 16 << 20) {
        self.socket = socket
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        thread.start()
        thread.submit { [self] _ in run() }
    }

    /// Queues one entry; false (and a counted drop) when the queue is full. Never blocks for
    /// longer than it takes to append.
    @discardableResult
    public func submit(_ entry: [UInt8]) -> Bool {
        condition.lock()
        guard pending.count - head < maxEntries, pendingBytes + entry.count <= maxBytes else {
            refusedSinceLastAccepted += 1
            socket.recordDrop()
            condition.unlock()
            return false
        }
        var entry = entry
        if refusedSinceLastAccepted > 0 {
            entry += Array("STREAM_CONFIG_DROPPED_BEFORE=\(refusedSinceLastAccepted)\n".utf8)
            refusedSinceLastAccepted = 0
        }
        pending.append(entry)
        pendingBytes += entry.count
        condition.unlock(withValue: .queued)  // wakes the writer
        return true
    }

    /// Entries queued and not yet handed to journald.
    public var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count - head + (sending ? 1 : 0)
    }

    /// Waits until every queued entry was sent (or dropped), at most `timeout` seconds: for the
    /// last lines before the process exits. True when the queue is empty.
    @discardableResult
    public func flush(timeout: Double) -> Bool {
        guard condition.lock(whenValue: .idle, timeoutSeconds: max(0, timeout)) else { return false }
        condition.unlock()
        return true
    }

    private func run() {
        while true {
            condition.lock(whenValue: .queued)
            let entry = pending[head]
            pending[head] = []  // sent entries keep no bytes until the prefix is dropped
            head += 1
            pendingBytes -= entry.count
            if head == pending.count || head > 4096 {  // drop the sent prefix now and then
                pending.removeFirst(head)
                head = 0
            }
            sending = true
            condition.unlock(withValue: pending.count > head ? .queued : .sendingLast)

            socket.send(entry, waiting: true)

            condition.lock()
            sending = false
            condition.unlock(withValue: pending.count > head ? .queued : .idle)  // flush() waits for idle
        }
    }
}
