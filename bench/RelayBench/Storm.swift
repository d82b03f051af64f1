// The reconnect storm (issue 19): a fleet of connected, idle children whose parent restarts.
// Every child reconnects when its connection drops, as a Netdata child does, after a fixed
// reconnect delay; the figure is how long it takes until every child is admitted and spliced
// again (it has the parent's prompt on a new connection).
//
// The children are non-blocking sockets in one epoll loop on one thread (threads or poll(2)
// would cost more than the targets at 10,000 children). Each child connects from its own
// loopback address (127.1.0.1 and up), as a fleet's children come from their own hosts: the
// relay bounds pending handshakes per source address, which 10,000 children behind one
// address would hit as no real fleet does.
#if canImport(Glibc)
import Glibc
#endif
import CEpoll

final class StormFleet {
    enum State {
        /// Not connected; reconnects at `due`.
        case waiting
        case connecting
        /// The request went out; reading the answer.
        case awaitingPrompt
        case spliced
    }

    struct Child {
        var fd: Int32 = -1
        var state = State.waiting
        var received: [UInt8] = []
        /// Connections that reached the prompt.
        var splices = 0
        /// When the latest splice happened (monotonic ns).
        var splicedAt: UInt64 = 0
    }

    let port: Int
    let reconnectDelay: UInt64
    private(set) var children: [Child]
    /// (due time, child) in due order: the delay is constant, so appending keeps the order.
    private var due: [(at: UInt64, child: Int)] = []
    private var dueHead = 0
    private let epoll: Int32
    private let requests: [[UInt8]]
    private let update = Array("BEGIN bench.storm 1000000\nSET d0 = 1\nEND\n".utf8)
    /// Connection attempts that ended before a prompt (refused, closed, not a prompt).
    private(set) var failedAttempts = 0
    private(set) var firstFailure: String?
    private(set) var splicedCount = 0
    /// Children spliced at least twice (they came back after a drop).
    private(set) var backCount = 0
    private var inFlight = 0

    init(port: Int, count: Int, reconnectDelaySeconds: Double) throws {
        self.port = port
        self.reconnectDelay = UInt64(reconnectDelaySeconds * 1e9)
        children = Array(repeating: Child(), count: count)
        requests = (0..<count).map { Children.request(index: 6_000_000 + $0) }
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw BenchError("epoll_create1: \(errnoText())") }
        let now = monotonicNanoseconds()
        due = (0..<count).map { (now, $0) }
    }

    deinit {
        closeAll()
        close(epoll)
    }

    func closeAll() {
        for index in children.indices where children[index].fd >= 0 {
            close(children[index].fd)
            children[index].fd = -1
            children[index].state = .waiting
        }
        splicedCount = 0
        inFlight = 0
    }

    /// Runs the loop until `done` holds or `seconds` pass; `maxInFlight` bounds connections
    /// being set up at once (the first connection of each child; the storm runs unbounded).
    func run(seconds: Double, maxInFlight: Int = .max, until done: (StormFleet) -> Bool) throws {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !done(self) {
            var now = monotonicNanoseconds()
            guard now < deadline else {
                throw BenchError("storm: \(splicedCount) of \(children.count) children spliced after \(Int(seconds)) s; first failure: \(firstFailure ?? "none")")
            }
            while dueHead < due.count, due[dueHead].at <= now, inFlight < maxInFlight {
                start(due[dueHead].child)
                dueHead += 1
            }
            if dueHead > 4096 {
                due.removeFirst(dueHead)
                dueHead = 0
            }
            var timeout: Int32 = 20
            if dueHead < due.count, inFlight < maxInFlight {
                timeout = Int32(min(20, (due[dueHead].at > now ? due[dueHead].at - now : 0) / 1_000_000))
            }
            let ready = epoll_wait(epoll, &events, Int32(events.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BenchError("epoll_wait: \(errnoText())")
            }
            now = monotonicNanoseconds()
            for index in 0..<Int(ready) {
                let child = Int(events[index].data.u32)
                handle(child, events: events[index].events, now: now, buffer: &buffer)
            }
        }
    }

    private func start(_ index: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return fail(index, "socket: \(errnoText())") }
        var source = sockaddr_in()
        source.sin_family = sa_family_t(AF_INET)
        source.sin_addr.s_addr = (UInt32(0x7F01_0001) + UInt32(index)).bigEndian
        var target = Socket.loopback(port: port)
        let bound = withUnsafePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let text = errnoText()
            close(fd)
            return fail(index, "bind 127.1.x.x: \(text)")
        }
        Socket.setNoDelay(fd)
        let result = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let text = errnoText()
            close(fd)
            return fail(index, "connect: \(text)")
        }
        var event = epoll_event()
        event.events = EPOLLOUT.rawValue | EPOLLIN.rawValue
        event.data.u32 = UInt32(index)
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        children[index].fd = fd
        children[index].state = .connecting
        children[index].received.removeAll(keepingCapacity: true)
        inFlight += 1
    }

    private func handle(_ index: Int, events: UInt32, now: UInt64, buffer: inout [UInt8]) {
        let fd = children[index].fd
        guard fd >= 0 else { return }
        switch children[index].state {
        case .waiting:
            return
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return drop(index, now: now, failure: "connect: \(String(cString: strerror(error)))") }
            guard events & EPOLLOUT.rawValue != 0 else { return }
            guard requests[index].withUnsafeBytes({ Socket.writeAll(fd, $0) }) else {
                return drop(index, now: now, failure: "send: \(errnoText())")
            }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u32 = UInt32(index)
            epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
            children[index].state = .awaitingPrompt
        case .awaitingPrompt:
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EAGAIN || errno == EINTR { return }
            guard n > 0 else { return drop(index, now: now, failure: n == 0 ? "closed before the prompt" : "recv: \(errnoText())") }
            children[index].received += buffer[0..<n]
            let received = children[index].received
            let prefix = Children.promptPrefix
            if received.count <= prefix.count, prefix.starts(with: received) { return }
            guard received.starts(with: prefix) else {
                return drop(index, now: now, failure: "not a prompt: \(String(decoding: received.prefix(80), as: UTF8.self))")
            }
            // A child streams once it has the prompt: one update (the relay holds the parent's
            // side until the child has spoken).
            _ = update.withUnsafeBytes { Socket.writeAll(fd, $0) }
            children[index].state = .spliced
            children[index].splices += 1
            if children[index].splices == 2 { backCount += 1 }
            children[index].splicedAt = now
            splicedCount += 1
            inFlight -= 1
        case .spliced:
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)) { return }
            splicedCount -= 1
            drop(index, now: now, failure: nil)
        }
    }

    /// Closes the child's connection and schedules its reconnect.
    private func drop(_ index: Int, now: UInt64, failure: String?) {
        if let failure {
            failedAttempts += 1
            if firstFailure == nil { firstFailure = "child \(index): \(failure)" }
            inFlight -= 1
        }
        close(children[index].fd)  // also leaves the epoll set
        children[index].fd = -1
        children[index].state = .waiting
        due.append((now + reconnectDelay, index))
    }

    private func fail(_ index: Int, _ text: String) {
        failedAttempts += 1
        if firstFailure == nil { firstFailure = "child \(index): \(text)" }
        due.append((monotonicNanoseconds() + reconnectDelay, index))
    }
}

/// What one storm measured.
struct StormResult {
    var children: Int
    /// Seconds from the parent's kill until the median child / the last child was spliced again.
    var medianSeconds: Double
    var allSeconds: Double
    /// Connection attempts that failed during the storm (retried after the delay).
    var failedAttempts: Int
    /// How long the parent took to listen again after its kill.
    var restartSeconds: Double
}

enum Storm {
    /// Connects `count` children through `target`, waits until the sink streams all of them,
    /// restarts the sink (SIGKILL, then a new process on the same port) and times the fleet's
    /// return.
    static func run(target: Target, sink: SinkProcess, count: Int, reconnectDelay: Double) throws -> StormResult {
        let fleet = try StormFleet(port: target.port, count: count, reconnectDelaySeconds: reconnectDelay)
        defer { fleet.closeAll() }
        try fleet.run(seconds: 180, maxInFlight: 256) { $0.splicedCount == count }
        if fleet.failedAttempts > 0 {
            log("\(target.kind): storm set-up: \(fleet.failedAttempts) failed attempts; first: \(fleet.firstFailure ?? "?")")
        }
        try waitFor("\(count) storm children at the sink", seconds: 120) { try sink.stats().withData >= count }
        usleep(500_000)
        let failedBefore = fleet.failedAttempts
        let killed = monotonicNanoseconds()
        try sink.restart()
        let listening = monotonicNanoseconds()
        try fleet.run(seconds: 300) { $0.backCount == count }
        let times = fleet.children.map { Double($0.splicedAt - killed) / 1e9 }.sorted()
        let result = StormResult(children: count, medianSeconds: times[times.count / 2], allSeconds: times.last ?? .nan,
                                 failedAttempts: fleet.failedAttempts - failedBefore,
                                 restartSeconds: Double(listening - killed) / 1e9)
        try waitFor("the sink to stream all \(count) children again", seconds: 60) { try sink.stats().withData >= count }
        log("\(target.kind): storm of \(count): all spliced again \(String(format: "%.2f", result.allSeconds)) s after the parent's kill (median \(String(format: "%.2f", result.medianSeconds)) s), \(result.failedAttempts) failed attempts, parent listening again after \(String(format: "%.3f", result.restartSeconds)) s")
        if let failure = fleet.firstFailure, result.failedAttempts > 0 { log("\(target.kind): first failure: \(failure)") }
        return result
    }
}
