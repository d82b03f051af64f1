#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
import TestSupport
@testable import StreamRelay

@Suite struct LoggingJournaldEncodingTests {
    @Test func messageIDsAreNetdatasCompactForm() {
        #expect(RelayMessageID.childConnection == "ed4cdb8f1beb4ad3b57cb3cae2d162fa")
        #expect(RelayMessageID.parentConnection == "6e2e3839067648968b646045dbf28d66")
    }

    @Test(arguments: [
        ("message_id", "MESSAGE_ID"),
        ("ND_SRC_IP", "ND_SRC_IP"),
        ("nd-src.port", "ND_SRC_PORT"),
        ("_hostname", "HOSTNAME"),          // leading "_" = trusted field: journald drops it from clients
        ("__private", "PRIVATE"),
        ("9lives", "F_9LIVES"),             // journald rejects names starting with a digit
        ("_9", "F_9"),
        ("größe", "GR__E"),                 // one "_" per Unicode scalar, not per UTF-8 byte
        ("a b=c", "A_B_C"),
        (String(repeating: "x", count: 80), String(repeating: "X", count: 64)),
    ])
    func fieldNamesAreSanitised(key: String, expected: String) {
        #expect(JournaldEntryEncoder.fieldName(forMetadataKey: key) == expected)
    }

    @Test(arguments: ["", "_", "___"])
    func keysWithNothingLeftAreSkipped(key: String) {
        #expect(JournaldEntryEncoder.fieldName(forMetadataKey: key) == nil)
    }

    @Test func prioritiesFollowSyslog() {
        let expected: [Logger.Level: Int] = [.trace: 7, .debug: 7, .info: 6, .notice: 5, .warning: 4, .error: 3, .critical: 2]
        for (level, priority) in expected { #expect(JournaldEntryEncoder.priority(level) == priority) }
    }

    /// The exact datagram: fixed standard fields, then metadata sorted by key, with the binary
    /// form for the multi-line value and the sanitised / renamed / skipped names.
    @Test func entryBytesAreExact() {
        let entry = JournaldEntryEncoder().encode(
            level: .warning,
            message: "STREAM RCV 'child1' [from [127.0.0.1]:5000]: connected",
            label: "relay",
            metadata: [
                "message_id": "\(RelayMessageID.childConnection)",
                "nd-src.ip": "127.0.0.1",
                "_private": "x",
                "multi": "a\nb",
                "9lives": "cat",
                "priority": "forged",
                "__": "gone",
            ],
            file: "StreamRelay/Relay.swift", function: "accept()", line: 42)
        var expected = Array("""
            MESSAGE=STREAM RCV 'child1' [from [127.0.0.1]:5000]: connected
            PRIORITY=4
            SYSLOG_IDENTIFIER=stream-config
            CODE_FILE=StreamRelay/Relay.swift
            CODE_LINE=42
            CODE_FUNC=accept()
            LOGGER_LABEL=relay
            F_9LIVES=cat
            PRIVATE=x
            MESSAGE_ID=ed4cdb8f1beb4ad3b57cb3cae2d162fa
            MULTI

            """.utf8)
        expected += loggingLE64(3) + Array("a\nb\n".utf8)
        expected += Array("ND_SRC_IP=127.0.0.1\nMETA_PRIORITY=forged\n".utf8)
        #expect(entry == expected)
    }

    @Test func multiLineMessageUsesBinaryForm() {
        let entry = JournaldEntryEncoder().encode(
            level: .info, message: "line1\nline2", label: "l", metadata: [:], file: "f", function: "g", line: 1)
        let expected = Array("MESSAGE\n".utf8) + loggingLE64(11) + Array("line1\nline2\nPRIORITY=6\n".utf8)
        #expect(Array(entry.prefix(expected.count)) == expected)
    }

    @Test func errorIsAField() {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let entry = JournaldEntryEncoder().encode(
            level: .error, message: "m", label: "l", metadata: [:], error: Boom(), file: "f", function: "g", line: 1)
        #expect(String(decoding: entry, as: UTF8.self).hasSuffix("LOGGER_LABEL=l\nERROR=boom\n"))
    }

    @Test func longValuesAreCappedOnACharacterBoundary() {
        let encoder = JournaldEntryEncoder(maxMessageBytes: 100, maxValueBytes: 64)
        let marker = JournaldEntryEncoder.truncationMarker
        // 100 two-byte characters: the cut must not split one.
        let entry = encoder.encode(
            level: .info, message: String(repeating: "é", count: 100), label: "l",
            metadata: ["big": .string(String(repeating: "v", count: 1000))], file: "f", function: "g", line: 1)
        let text = String(decoding: entry, as: UTF8.self)
        let lines = text.split(separator: "\n")
        let message = lines[0].dropFirst("MESSAGE=".count)
        #expect(message.hasSuffix(marker))
        #expect(message.utf8.count <= 100)
        #expect(message.dropLast(marker.count).allSatisfy { $0 == "é" })
        let big = lines.first { $0.hasPrefix("BIG=") }!.dropFirst("BIG=".count)
        #expect(big.utf8.count == 64)
        #expect(big == String(repeating: "v", count: 64 - marker.utf8.count) + marker)
    }
}

@Suite struct LoggingJournaldSocketTests {
    /// Through swift-log's `Logger`, the handler and the socket to a datagram socket we read:
    /// one datagram per entry, bytes exactly as encoded, handler + call metadata merged.
    @Test func handlerSendsOneDatagramPerEntry() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path)
            var logger = Logger(label: "stream-config.relay") { label in
                JournaldLogHandler(label: label, socket: socket)
            }
            logger[metadataKey: "nd_nidl_node"] = "child1"
            logger.log(
                level: .notice, "hello", metadata: ["MESSAGE_ID": "\(RelayMessageID.parentConnection)"],
                file: "StreamRelay/Upstream.swift", function: "connect()", line: 7)
            logger.debug("below the level: not sent")

            let datagram = try #require(receiver.receive())
            #expect(datagram.descriptors.isEmpty)
            #expect(String(decoding: datagram.bytes, as: UTF8.self) == """
                MESSAGE=hello
                PRIORITY=5
                SYSLOG_IDENTIFIER=stream-config
                CODE_FILE=StreamRelay/Upstream.swift
                CODE_LINE=7
                CODE_FUNC=connect()
                LOGGER_LABEL=stream-config.relay
                MESSAGE_ID=6e2e3839067648968b646045dbf28d66
                ND_NIDL_NODE=child1

                """)
            #expect(socket.sentCount == 1)
            #expect(socket.droppedCount == 0)
        }
    }

    /// An entry larger than the socket send buffer (EMSGSIZE) goes through a sealed memfd passed
    /// with SCM_RIGHTS: the datagram itself is empty, the fd holds the exact entry.
    @Test func largeEntryGoesThroughSealedMemfd() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path)
            let encoder = JournaldEntryEncoder(maxMessageBytes: 1 << 20)
            let message = String(repeating: "0123456789abcdef", count: 300 * 1024 / 16)  // 300 KiB > ~208 KiB
            let entry = encoder.encode(level: .info, message: message, label: "l", metadata: [:], file: "f", function: "g", line: 1)
            #expect(socket.send(entry))

            let datagram = try #require(receiver.receive())
            #expect(datagram.bytes.isEmpty)
            let fd = try #require(datagram.descriptors.first)
            defer { close(fd) }
            #expect(fcntl(fd, 1024 + 10) == 0x1 | 0x2 | 0x4 | 0x8)  // F_GET_SEALS: SEAL, SHRINK, GROW, WRITE
            #expect(loggingReadAll(fd: fd) == entry)
        }
    }

    /// A receiver that never reads: its queue fills, further sends fail with EAGAIN at once and
    /// are counted as drops. The logger must not block.
    @Test func fullQueueDropsInsteadOfBlocking() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path)
            let logger = Logger(label: "t") { JournaldLogHandler(label: $0, socket: socket) }
            let clock = ContinuousClock()
            let elapsed = clock.measure {
                for index in 0..<500 { logger.info("entry \(index)") }
            }
            #expect(socket.sentCount > 0)
            #expect(socket.droppedCount > 0)
            #expect(socket.sentCount + socket.droppedCount == 500)
            #expect(socket.lastErrorNumber == EAGAIN)
            #expect(elapsed < .seconds(2))
            _ = receiver  // keep it bound (and unread) until here
        }
    }

    /// The same burst through a `JournaldWriter`: the loggers return at once, the writer's
    /// thread waits for room, and every entry arrives, in order, once the receiver reads.
    @Test func writerDeliversABurstTheQueueCannotHold() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path, waitLimit: 30)  // a loaded test machine may be slow to read
            let writer = JournaldWriter(socket: socket)
            let logger = Logger(label: "t") { JournaldLogHandler(label: $0, socket: socket, writer: writer) }
            for index in 0..<500 { logger.info("entry \(index)") }
            var messages: [String] = []
            while messages.count < 500, let datagram = receiver.receive() {
                let text = String(decoding: datagram.bytes, as: UTF8.self)
                messages.append(String(text.split(separator: "\n").first { $0.hasPrefix("MESSAGE=") } ?? ""))
            }
            #expect(messages == (0..<500).map { "MESSAGE=entry \($0)" })
            #expect(writer.flush(timeout: 5))
            #expect(socket.droppedCount == 0)
            #expect(socket.sentCount == 500)
        }
    }

    /// A writer whose queue is full drops at once (counted, and said on the next entry sent)
    /// rather than making the logger wait.
    @Test func fullWriterQueueDropsAndSaysSo() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path, waitLimit: 30)
            let writer = JournaldWriter(socket: socket, maxEntries: 5)
            // The kernel holds 10, the writer waits on the 11th and queues 5: the rest are dropped.
            var accepted = 0
            for _ in 0..<100 where writer.submit(Array("MESSAGE=fill\n".utf8)) { accepted += 1 }
            #expect(accepted < 100)
            #expect(socket.droppedCount == 100 - accepted)
            var received: [String] = []
            while received.count < accepted, let datagram = receiver.receive() { received.append(String(decoding: datagram.bytes, as: UTF8.self)) }
            #expect(received.count == accepted)
            #expect(writer.flush(timeout: 5))
            #expect(writer.submit(Array("MESSAGE=after\n".utf8)))
            received.append(String(decoding: try #require(receiver.receive()).bytes, as: UTF8.self))
            // The drops are said on the entries sent after them: every one, exactly once.
            let said = received.compactMap { $0.split(separator: "\n").first { $0.hasPrefix("STREAM_CONFIG_DROPPED_BEFORE=") } }
                .compactMap { Int($0.dropFirst("STREAM_CONFIG_DROPPED_BEFORE=".count)) }
            #expect(said.reduce(0, +) == 100 - accepted, "\(received)")
        }
    }

    /// `flush` waits while entries are queued (false at its deadline) and returns once the
    /// receiver has read them.
    @Test func flushWaitsForTheQueue() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path, waitLimit: 30)
            let writer = JournaldWriter(socket: socket)
            for index in 0..<20 { writer.submit(Array("MESSAGE=\(index)\n".utf8)) }
            #expect(!writer.flush(timeout: 0.2))  // 10 fit in the kernel's queue, the rest wait
            #expect(writer.backlog > 0)
            for _ in 0..<20 { _ = try #require(receiver.receive()) }
            #expect(writer.flush(timeout: 5))
            #expect(writer.backlog == 0)
            #expect(socket.sentCount == 20)
        }
    }

    /// journald gone: the writer does not wait or spin, every entry is counted as dropped.
    @Test func writerWithoutJournaldDropsAndFlushes() async throws {
        try await offThePool {
            let socket = try JournaldSocket(path: "/tmp/sc-logtest-does-not-exist/socket")
            let writer = JournaldWriter(socket: socket)
            for index in 0..<50 { writer.submit(Array("MESSAGE=\(index)\n".utf8)) }
            #expect(writer.flush(timeout: 5))
            #expect(socket.droppedCount == 50)
            #expect(socket.lastErrorNumber == ENOENT)
        }
    }

    /// A large entry (memfd path) waits for room too instead of being dropped with EAGAIN.
    @Test func writerWaitsWithLargeEntries() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver()
            let socket = try JournaldSocket(path: receiver.path, waitLimit: 30)
            let writer = JournaldWriter(socket: socket)
            let large = Array("MESSAGE=".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 300 * 1024) + [0x0A]
            for _ in 0..<12 { writer.submit(Array("MESSAGE=fill\n".utf8)) }
            writer.submit(large)
            var memfd: Int32?
            for _ in 0..<13 {
                let datagram = try #require(receiver.receive())
                if let fd = datagram.descriptors.first { memfd = fd }
            }
            let fd = try #require(memfd, "the large entry was not delivered")
            defer { close(fd) }
            #expect(loggingReadAll(fd: fd) == large)
            #expect(socket.droppedCount == 0)
        }
    }

    /// After drops, the next entry that gets through says how many were lost before it.
    @Test func dropsAreReportedOnTheNextEntry() async throws {
        try await offThePool {
            let receiver = try LoggingDatagramReceiver(timeoutMilliseconds: 200)
            let socket = try JournaldSocket(path: receiver.path)
            for _ in 0..<100 { socket.send(Array("MESSAGE=fill\n".utf8)) }
            let dropped = socket.droppedCount
            #expect(dropped > 0)
            var queued = 0
            while receiver.receive() != nil { queued += 1 }  // drain what the kernel kept
            #expect(queued == socket.sentCount)
            #expect(socket.send(Array("MESSAGE=after\n".utf8)))
            let datagram = try #require(receiver.receive())
            #expect(String(decoding: datagram.bytes, as: UTF8.self) == "MESSAGE=after\nSTREAM_CONFIG_DROPPED_BEFORE=\(dropped)\n")
            #expect(socket.send(Array("MESSAGE=next\n".utf8)))
            #expect(String(decoding: try #require(receiver.receive()).bytes, as: UTF8.self) == "MESSAGE=next\n")
        }
    }

    @Test func missingSocketIsCountedNotFatal() async throws {
        try await offThePool {
            let socket = try JournaldSocket(path: "/tmp/sc-logtest-does-not-exist/socket")
            #expect(!socket.send(Array("MESSAGE=x\n".utf8)))
            #expect(socket.droppedCount == 1)
            #expect(socket.lastErrorNumber == ENOENT)
        }
    }

    @Test func pathTooLongIsRejected() {
        let path = "/tmp/" + String(repeating: "p", count: 120)
        #expect(throws: JournaldSocketError.pathTooLong(path)) { try JournaldSocket(path: path) }
    }

    /// `probe` is what `RelayLogging` uses to skip a stale socket file left by a stopped journald.
    @Test func probeSeesBoundAndStaleSockets() async throws {
        try await offThePool {
            var receiver: LoggingDatagramReceiver? = try LoggingDatagramReceiver()
            let path = receiver!.path
            #expect(JournaldSocket.probe(path: path))
            // A socket file with nobody bound: create one and close it without unlinking.
            let stalePath = receiver!.directory + "/stale"
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            var address = JournaldSocket.makeAddress(stalePath)!
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            close(fd)
            #expect(!JournaldSocket.probe(path: stalePath))
            unlink(stalePath)
            receiver = nil
            #expect(!JournaldSocket.probe(path: path))
        }
    }
}
