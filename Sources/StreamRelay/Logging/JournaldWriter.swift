import Foundation

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

    private let condition = NSCondition()
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
        let thread = Thread { [self] in run() }
        thread.name = "journald-writer"
        thread.start()
    }

    /// Queues one entry; false (and a counted drop) when the queue is full. Never blocks for
    /// longer than it takes to append.
    @discardableResult
    public func submit(_ entry: [UInt8]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard pending.count - head < maxEntries, pendingBytes + entry.count <= maxBytes else {
            refusedSinceLastAccepted += 1
            socket.recordDrop()
            return false
        }
        var entry = entry
        if refusedSinceLastAccepted > 0 {
            entry += Array("STREAM_CONFIG_DROPPED_BEFORE=\(refusedSinceLastAccepted)\n".utf8)
            refusedSinceLastAccepted = 0
        }
        pending.append(entry)
        pendingBytes += entry.count
        condition.broadcast()  // the writer, not only a flush() waiter
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
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while pending.count > head || sending {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    private func run() {
        while true {
            condition.lock()
            while pending.count == head { condition.wait() }
            let entry = pending[head]
            pending[head] = []  // sent entries keep no bytes until the prefix is dropped
            head += 1
            pendingBytes -= entry.count
            if head == pending.count || head > 4096 {  // drop the sent prefix now and then
                pending.removeFirst(head)
                head = 0
            }
            sending = true
            condition.unlock()

            socket.send(entry, waiting: true)

            condition.lock()
            sending = false
            condition.broadcast()  // flush() waits for this
            condition.unlock()
        }
    }
}
