import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import StreamConfig
import Testing
@testable import StreamRelay

#if canImport(Glibc)
import Glibc
#endif

@Suite struct StreamInfoPairingTableTests {
    let key = StreamInfoPairings.Key(peer: "10.1.2.3", machineGUID: "0f6c3a2e-8d41-41ee-9b0a-525400123456")

    @Test func testAPairingIsTakenOnceAndExpires() {
        let table = StreamInfoPairings(lifetime: .seconds(60))
        let now = NIODeadline.now()
        table.remember(key, destination: "10.0.0.6:19999", now: now)
        #expect(table.take(.init(peer: "10.9.9.9", machineGUID: key.machineGUID), now: now) == nil, "another host cannot take it")
        #expect(table.take(key, now: now) == "10.0.0.6:19999")
        #expect(table.take(key, now: now) == nil, "one pre-flight, one STREAM request")
        table.remember(key, destination: "10.0.0.6:19999", now: now)
        #expect(table.take(key, now: now + .seconds(61)) == nil, "stale after its lifetime")
    }

    @Test func testTheTableIsBounded() {
        let table = StreamInfoPairings(capacity: 4, lifetime: .seconds(60))
        let now = NIODeadline.now()
        for i in 0..<10 {
            table.remember(.init(peer: "10.0.0.\(i)", machineGUID: "g"), destination: "p", now: now + .seconds(Int64(i)))
        }
        #expect(table.count == 4)
        #expect(table.take(.init(peer: "10.0.0.9", machineGUID: "g"), now: now + .seconds(10)) == "p", "the newest stay")
        #expect(table.take(.init(peer: "10.0.0.0", machineGUID: "g"), now: now + .seconds(10)) == nil, "the oldest went")
    }

    @Test func testOrderMovesOnlyAConfiguredDestination() {
        let destinations = DestinationList.parse("10.0.0.5:19999 10.0.0.6:19999 10.0.0.7:19999", target: .v2)
        #expect(StreamInfoPairings.ordered(destinations, preferring: "10.0.0.6:19999")?.map(\.raw)
            == ["10.0.0.6:19999", "10.0.0.5:19999", "10.0.0.7:19999"])
        #expect(StreamInfoPairings.ordered(destinations, preferring: "10.0.0.9:19999") == nil)
    }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct StreamInfoPairingRelayTests {
    static let guid = "0f6c3a2e-8d41-41ee-9b0a-525400123456"
    static let streamInfoAnswer = HTTPAnswers.response(status: 200, reason: "OK", contentType: "application/json",
                                                       body: #"{"version":1,"status":200,"host_id":"b","nodes":1,"receivers":1,"nonce":7}"#)

    /// The first parent is down during the pre-flight, so the second answers it; the first is up
    /// again by the STREAM request, which still goes to the second (whose answer the child
    /// acted on).
    @Test func testStreamGoesToTheParentThatAnsweredThePreflight() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let firstPort = try freeLoopbackPort()
        let second = try FakeParent(group: group, script: [(.zero, String(decoding: Self.streamInfoAnswer, as: UTF8.self))])
        let configuration = try relayConfiguration(destination: "127.0.0.1:\(firstPort) 127.0.0.1:\(second.port)")
        var limits = RelayLimits()
        limits.backoffBase = .milliseconds(1)
        limits.backoffMax = .milliseconds(1)
        let records = LogRecords()
        let server = RelayServer(configuration: configuration,
                                 options: RelayOptions(listen: [ListenAddress(host: "127.0.0.1", port: 0)], limits: limits),
                                 serverTLS: nil, logger: records.logger, group: group)
        let port = try #require(try server.start().first?.port)

        let preflight = try await onOwnThread {
            let child = try LoopbackSocket(port: port)
            child.send("GET /api/v3/stream_info?machine_guid=\(Self.guid) HTTP/1.1\r\nHost: relay\r\n\r\n")
            return child.receiveOnce() ?? ""
        }
        #expect(preflight.hasPrefix("HTTP/1.1 200 OK"), "\(preflight)")
        #expect(records.contains("stream_info: forwarded the answer of 127.0.0.1:\(second.port)"), "\(records.lines)")

        // The first parent is back (and would be tried first by the configured order).
        let first = try FakeParent(group: group, script: [(.zero, "Hit me baby, push them over with the version=16320")], port: firstPort)
        _ = try await onOwnThread {
            let child = try LoopbackSocket(port: port)
            child.send(streamRequest(extra: "") )
            return child.receiveOnce()
        }
        #expect(second.requests.withLockedValue { $0 }.contains { $0.hasPrefix("STREAM ") }, "the STREAM request did not go to the parent that answered the pre-flight")
        #expect(first.requests.withLockedValue { $0 }.isEmpty, "\(first.requests.withLockedValue { $0 })")
        #expect(records.contains("(127.0.0.1:\(second.port) first: it answered this node's stream_info)"), "\(records.lines)")

        server.shutdown()
        try await server.stoppedFuture.get()
        withExtendedLifetime((first, second)) {}
        try await group.shutdownGracefully()
    }
}

/// A loopback port that is free now (bound, then released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard rc == 0 else { throw SocketError(description: "no free port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
