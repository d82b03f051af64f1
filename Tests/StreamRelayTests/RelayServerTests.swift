import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import StreamConfig
import Testing
import TestSupport
@testable import StreamRelay

#if canImport(Glibc)
import Glibc
#endif

/// A parent on loopback that records the request and answers with a script of writes.
final class FakeParent: Sendable {
    let channel: Channel
    let requests = NIOLockedValueBox<[String]>([])
    var port: Int { channel.localAddress!.port! }

    /// `script`: (delay before the write, bytes); then closes if `closeAfter`. Listens on
    /// `unixPath` when given, else on a free loopback port.
    init(group: EventLoopGroup, script: [(TimeAmount, String)], closeAfter: Bool = false, unixPath: String? = nil, port: Int = 0) throws {
        let requests = self.requests
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FakeParentHandler(script: script, closeAfter: closeAfter, requests: requests))
                }
            }
        if let unixPath {
            channel = try bootstrap.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true).wait()
        } else {
            channel = try bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1).bind(host: "127.0.0.1", port: port).wait()
        }
    }

    deinit { channel.close(promise: nil) }
}

final class FakeParentHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let script: [(TimeAmount, String)]
    let closeAfter: Bool
    let requests: NIOLockedValueBox<[String]>
    var request = ""
    var answered = false

    init(script: [(TimeAmount, String)], closeAfter: Bool, requests: NIOLockedValueBox<[String]>) {
        self.script = script
        self.closeAfter = closeAfter
        self.requests = requests
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: unwrapInboundIn(data))
        if answered {
            requests.withLockedValue { $0.append(text) }
            return
        }
        request += text
        guard request.hasSuffix("\r\n\r\n") else { return }
        answered = true
        requests.withLockedValue { $0.append(request) }
        let channel = context.channel
        var delay = TimeAmount.zero
        for (wait, bytes) in script {
            delay = delay + wait
            channel.eventLoop.scheduleTask(in: delay) { channel.writeAndFlush(ByteBuffer(string: bytes), promise: nil) }
        }
        if closeAfter {
            channel.eventLoop.scheduleTask(in: delay + .milliseconds(20)) { channel.close(promise: nil) }
        }
    }
}

/// A blocking loopback client, reading the way a 1.37 child reads the answer: one `recv`.
final class BlockingClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw IOError(errnoCode: errno, reason: "connect") }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// One recv: nil on timeout, "" on EOF.
    func receiveOnce() -> String? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 8192, 0) }
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }
}

/// Evaluates `condition` every 10 ms until it holds or `timeout` passes (a deadline poll for
/// these synchronous tests, whose blocking clients keep them off the cooperative pool).
func waitUntil(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while !condition() {
        if clock.now >= deadline { return false }
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        nanosleep(&pause, nil)
    }
    return true
}

@Suite(.serialized) struct RelayServerTests {
    let prompt = "Hit me baby, push them over with the version=16320"

    func withRelay(parent: FakeParent?, upstreamBudget: TimeAmount = .seconds(5), deadPort: Int = 1,
                   destination explicit: String? = nil, _ body: (Int, RelayServer) throws -> Void) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var limits = RelayLimits()
        limits.upstreamBudget = upstreamBudget
        let destination = explicit ?? parent.map { "127.0.0.1:\($0.port)" } ?? "127.0.0.1:\(deadPort)"
        let server = RelayServer(configuration: try relayConfiguration(destination: destination),
                                 options: RelayOptions(listen: [ListenAddress(host: "127.0.0.1", port: 0)], limits: limits),
                                 serverTLS: nil, logger: Logger(label: "test"), group: group)
        let port = try #require(try server.start().first?.port)
        defer {
            server.shutdown()
            try? server.stoppedFuture.wait()
        }
        try body(port, server)
    }

    @Test func testAnswerArrivesAloneAndLaterBytesWaitForTheChild() async throws {
        try await offThePool {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            // The parent glues a command to its answer, in the same write.
            let parent = try FakeParent(group: group, script: [(.zero, prompt + "REPLAY_CHART \"system.cpu\" \"true\" 0 0\n")])
            try withRelay(parent: parent) { port, server in
                let child = try BlockingClient(port: port)
                let request = streamRequest()
                child.send(request)
                // The splice is in place: the answer was written with anything the relay glued to it.
                #expect(waitUntil(.seconds(5)) { server.metrics.prometheusText().contains("handshake_seconds_count 1\n") })
                #expect(child.receiveOnce() == prompt)
                child.send("CHART a\n")
                #expect(child.receiveOnce() == "REPLAY_CHART \"system.cpu\" \"true\" 0 0\n")
                // Forwarded with only the key replaced.
                #expect(waitUntil(.seconds(2)) { parent.requests.withLockedValue { $0 }.dropFirst().joined() == "CHART a\n" })
                let received = parent.requests.withLockedValue { $0 }
                #expect(received.first == request.replacingFirst(relayKey, with: parentKey))
                #expect(received.dropFirst().joined() == "CHART a\n")
            }
        }
    }

    @Test func testParentBytesBeyondTheFirstSmallReadsArriveWhole() async throws {
        // The parent's connection reads from 128 bytes up (SpliceHandler.upstreamReadAllocator):
        // 4 KiB glued to the answer and 200 KiB later take many reads and arrive whole, in order.
        let glued = (0..<100).map { "REPLAY_CHART \"chart.\($0)\" \"true\" 0 0\n" }.joined()
        let later = String(repeating: "FUNCTION_PAYLOAD x\n", count: 200 * 1024 / 19)
        try await offThePool {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let parent = try FakeParent(group: group, script: [(.zero, prompt + glued), (.milliseconds(300), later)])
            try withRelay(parent: parent) { port, server in
                let child = try BlockingClient(port: port)
                child.send(streamRequest())
                #expect(waitUntil(.seconds(5)) { server.metrics.prometheusText().contains("handshake_seconds_count 1\n") })
                #expect(child.receiveOnce() == prompt)
                child.send("CHART a\n")
                var received = ""
                while received.utf8.count < glued.utf8.count + later.utf8.count, let more = child.receiveOnce(), !more.isEmpty {
                    received += more
                }
                #expect(received == glued + later)
            }
        }
    }

    @Test func testAnswerSplitAcrossWritesIsReassembled() async throws {
        try await offThePool {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            // Split before the digits: the relay waits for them. (Digits that end a read are taken as
            // the whole version, as a child reading the parent directly would in its single recv.)
            let parent = try FakeParent(group: group, script: [(.zero, "Hit me baby, push them over with the version="),
                                                               (.milliseconds(10), "16320")])
            try withRelay(parent: parent) { port, server in
                let child = try BlockingClient(port: port)
                child.send(streamRequest())
                // Answered once the splice is in place: both parts of the answer were read by then.
                #expect(waitUntil(.seconds(5)) { server.metrics.prometheusText().contains("handshake_seconds_count 1\n") })
                #expect(child.receiveOnce() == prompt)
            }
        }
    }

    @Test func testParentRefusalPassesThroughVerbatim() async throws {
        try await offThePool {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let parent = try FakeParent(group: group, script: [(.zero, StreamAnswer.alreadyStreaming)], closeAfter: true)
            try withRelay(parent: parent) { port, _ in
                let child = try BlockingClient(port: port)
                child.send(streamRequest())
                #expect(child.receiveOnce() == StreamAnswer.alreadyStreaming)
                #expect(child.receiveOnce() == "")
            }
        }
    }

    @Test func testNoParentMeansCloseWithoutAnswer() async throws {
        try await offThePool {
            try withRelay(parent: nil, upstreamBudget: .seconds(1)) { port, _ in
                let child = try BlockingClient(port: port)
                child.send(streamRequest())
                #expect(child.receiveOnce() == "", "the child must see a close without an answer, as with a dead parent")
            }
        }
    }

    @Test func testRefusalNeverReachesTheParent() async throws {
        try await offThePool {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let parent = try FakeParent(group: group, script: [(.zero, prompt)])
            try withRelay(parent: parent) { port, _ in
                let child = try BlockingClient(port: port)
                child.send(streamRequest(key: "99999999-8888-4777-8666-555555555555"))
                #expect(child.receiveOnce() == StreamAnswer.notPermitted)
                #expect(child.receiveOnce() == "")
                #expect(parent.requests.withLockedValue { $0 }.isEmpty)
            }
        }
    }

    @Test func testUnixSocketDestinationAfterADeadOne() async throws {
        try await offThePool {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            let path = "/tmp/sc-relay-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            defer { unlink(path) }
            let parent = try FakeParent(group: group, script: [(.zero, prompt)], unixPath: path)
            try withRelay(parent: parent, destination: "127.0.0.1:1 unix:\(path)") { port, _ in
                let child = try BlockingClient(port: port)
                child.send(streamRequest())
                #expect(child.receiveOnce() == prompt)
                #expect(parent.requests.withLockedValue { $0 }.count == 1)
            }
        }
    }
}
