import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import StreamRelay

/// One connection's pipeline (`MetricsHTTP.configure`: NIOHTTP1 plus the head cap) on
/// `EmbeddedChannel`: bytes in, the exact response out.
@Suite struct MetricsHTTPPipelineTests {
    /// What the server writes for `text` (nil: nothing yet, the connection still open).
    func respond(_ text: String, limit: Int = 8192, metrics: String = "m 1\n") throws -> String? {
        let channel = EmbeddedChannel()
        let relayMetrics = RelayMetrics()
        try MetricsHTTP.configure(channel, metrics: relayMetrics, maxRequestBytes: limit, requestTimeout: .seconds(10))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9180)).wait()
        try channel.writeInbound(ByteBuffer(string: text))
        var out = ""
        while let part = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = part else { continue }
            out += String(buffer: buffer)
        }
        if out.isEmpty {
            #expect(channel.isActive, "closed without an answer")
            _ = try? channel.finish()
            return nil
        }
        #expect(!channel.isActive, "one request per connection")
        let body = relayMetrics.prometheusText()
        return out.replacing(body, with: "<metrics>")
    }

    @Test func requestsAreRouted() throws {
        #expect(try respond("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")?.hasPrefix(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") == true)
        #expect(try respond("HEAD /health?verbose=1 HTTP/1.0\r\n\r\n")
            == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
        #expect(try respond("GET /metrics HTTP/1.1\n\n")?.hasPrefix("HTTP/1.1 200 OK\r\n") == true, "bare LF (printf | nc)")
        #expect(try respond("GET /health HTTP/1.0\r\nHost: x\n\r\n")?.hasSuffix("\r\n\r\nok\n") == true, "mixed line ends")
        // NIOHTTP1 reads the request line on word boundaries, as RFC 9112 §3 allows.
        #expect(try respond("GET  /health HTTP/1.1\r\n\r\n")?.hasSuffix("\r\n\r\nok\n") == true)
    }

    @Test func aPartialHeadWaits() throws {
        #expect(try respond("GET /metrics HTTP/1.1\r\nHost: x\r\n") == nil)
        #expect(try respond("") == nil)
    }

    @Test func anOversizedHeadIsRefused() throws {
        let tooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\nConnection: close\r\n\r\nrequest too large\n"
        #expect(try respond("GET /" + String(repeating: "a", count: 100), limit: 64) == tooLarge)
        #expect(try respond("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100) + "\r\n\r\n", limit: 64) == tooLarge)
    }

    @Test(arguments: [
        "GET /metrics\r\n\r\n", "get /metrics HTTP/1.1\r\n\r\n",
        "GET metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/2\r\n\r\n", "\u{16}\u{03}\u{01}\r\n\r\n",
        "STREAM key=k&hostname=h HTTP/1.1\r\n\r\n",
    ])
    func malformedRequestLines(text: String) throws {
        #expect(try respond(text)
            == "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad request\n")
    }

    @Test func responsesAreExact() throws {
        #expect(try respond("GET /health HTTP/1.1\r\n\r\n")
            == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
        #expect(try respond("GET /nothing HTTP/1.1\r\n\r\n")
            == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n")
        #expect(try respond("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            == "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\nmethod not allowed\n")
    }
}

/// The server on a real loopback socket (port 0: the kernel picks a free one).
@Suite(.timeLimit(.minutes(1)))
struct MetricsServerTests {
    /// Sends `request` raw, returns everything the server sends until it closes the connection.
    static func exchange(port: Int, _ request: String, group: any EventLoopGroup) async throws -> String {
        let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return try await channel.executeThenClose { inbound, outbound in
            if !request.isEmpty { try await outbound.write(ByteBuffer(string: request)) }
            var response = ""
            for try await chunk in inbound { response += String(buffer: chunk) }
            return response
        }
    }

    static func withServer(
        requestTimeout: TimeAmount = .seconds(10),
        _ body: (RelayMetrics, Int, any EventLoopGroup) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let metrics = RelayMetrics()
        let server = try await MetricsServer.start(
            host: "127.0.0.1", port: 0, metrics: metrics, group: group, requestTimeout: requestTimeout)
        do {
            try await body(metrics, try #require(server.port), group)
        } catch {
            await server.stop()
            try await group.shutdownGracefully()
            throw error
        }
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test func metricsEndpointServesPrometheusText() async throws {
        try await Self.withServer { metrics, port, group in
            metrics.connectionOpened()
            metrics.bytesFromChildren(1399)
            let response = try await Self.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", group: group)
            let body = metrics.prometheusText()
            #expect(response == "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n" + body)
            #expect(body.contains("stream_config_relay_connections_open 1\n"))
            #expect(body.contains("stream_config_relay_bytes_total{direction=\"child_to_parent\"} 1399\n"))
        }
    }

    @Test func healthAndErrors() async throws {
        try await Self.withServer { _, port, group in
            let health = try await Self.exchange(port: port, "GET /health HTTP/1.1\r\n\r\n", group: group)
            #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.hasSuffix("\r\n\r\nok\n"))

            let head = try await Self.exchange(port: port, "HEAD /health HTTP/1.1\r\n\r\n", group: group)
            #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("Content-Length: 3\r\nConnection: close\r\n\r\n"))

            let missing = try await Self.exchange(port: port, "GET /api/v1/info HTTP/1.1\r\n\r\n", group: group)
            #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n") && missing.hasSuffix("not found\n"))

            let post = try await Self.exchange(port: port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", group: group)
            #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))

            // A Netdata child pointed at the metrics port: its request target is not a path
            // ("STREAM key=... HTTP/1.1"), so 400 and close.
            let stream = try await Self.exchange(port: port, "STREAM key=k&hostname=h HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\n\r\n", group: group)
            #expect(stream.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))

            let garbage = try await Self.exchange(port: port, "\u{16}\u{03}\u{01}\u{02}\n\n", group: group)
            #expect(garbage.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        }
    }

    @Test func oversizedRequestIsCutOff() async throws {
        try await Self.withServer { _, port, group in
            let response = try await Self.exchange(port: port, "GET /" + String(repeating: "a", count: 10_000), group: group)
            #expect(response.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        }
    }

    /// A client that connects and says nothing is disconnected after the request timeout.
    @Test func silentClientIsClosed() async throws {
        try await Self.withServer(requestTimeout: .milliseconds(200)) { _, port, group in
            // Raced against a deadline: without the server's timeout the client would wait forever.
            // Not before the 200 ms timeout (a lower bound a slow machine cannot break), and well
            // before the 10 s default.
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await withThrowingTaskGroup(of: String?.self) { tasks in
                tasks.addTask { try await Self.exchange(port: port, "", group: group) }
                tasks.addTask { try await Task.sleep(for: .seconds(9)); return nil }
                let first = try await tasks.next() ?? nil
                tasks.cancelAll()
                return first
            }
            #expect(response == "", "the silent client was not closed within 9 s")
            #expect(clock.now - start >= .milliseconds(200), "closed before the request timeout")
        }
    }

    @Test func stopReleasesThePort() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await MetricsServer.start(host: "127.0.0.1", port: 0, metrics: RelayMetrics(), group: group)
        let port = try #require(server.port)
        await server.stop()
        let again = try await MetricsServer.start(host: "127.0.0.1", port: port, metrics: RelayMetrics(), group: group)
        #expect(again.port == port)
        await again.stop()
        try await group.shutdownGracefully()
    }
}

/// The metrics port cannot take the descriptors the children need (issue 13, item 3).
@Suite(.timeLimit(.minutes(1)))
struct MetricsConnectionCapTests {
    @Test func testConnectionsBeyondTheCapAreClosedAndScrapesStillWork() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await MetricsServer.start(host: "127.0.0.1", port: 0, metrics: RelayMetrics(), group: group, maxConnections: 4)
        let port = try #require(server.port)
        let (held, extraAnswers) = try await onOwnThread { () -> ([LoopbackSocket], [String?]) in
            // Four idle connections hold every place; the next ones are closed at once.
            let held = try (0..<4).map { _ in try LoopbackSocket(port: port) }
            let extra = try (0..<3).map { _ in try LoopbackSocket(port: port, timeoutSeconds: 3) }
            return (held, extra.map { $0.receiveOnce() })
        }
        #expect(extraAnswers == ["", "", ""], "connections over the cap were not closed: \(extraAnswers)")
        // Places free again once the idle ones go.
        for socket in held { socket.close() }
        let freed = await poll(timeout: .seconds(5)) {
            let answer = try await onOwnThread { () -> String? in
                let client = try LoopbackSocket(port: port, timeoutSeconds: 3)
                client.send("GET /health HTTP/1.1\r\n\r\n")
                return client.receiveOnce()
            }
            return answer?.hasPrefix("HTTP/1.1 200 OK") == true
        }
        #expect(freed, "the metrics port did not serve again after its connections closed")
        await server.stop()
        try await group.shutdownGracefully()
    }
}
