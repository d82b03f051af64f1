import Logging
import Synchronization
import Testing
@testable import StreamRelay

@Suite struct LoggingLogfmtTests {
    @Test func lineFormatIsExact() {
        let line = LogfmtLogHandler.formatLine(
            timestamp: (seconds: 1_764_020_700, nanoseconds: 123_456_789),
            level: .warning,
            message: "STREAM RCV 'child1': rejecting \"bad\" key",
            label: "stream-config.relay",
            metadata: [
                "MESSAGE_ID": "\(RelayMessageID.childConnection)",
                "nd_src_ip": "127.0.0.1",
                "empty": "",
                "path": "a b",
                "multi": "x\ny\tz\u{1b}",
                "eq": "k=v",
                "bad key": "1",
            ])
        #expect(line == """
            ts=2025-11-24T21:45:00.123Z level=warning msg="STREAM RCV 'child1': rejecting \\"bad\\" key" \
            logger=stream-config.relay MESSAGE_ID=ed4cdb8f1beb4ad3b57cb3cae2d162fa bad_key=1 empty="" eq="k=v" \
            multi="x\\ny\\tz\\u001b" nd_src_ip=127.0.0.1 path="a b"

            """)
    }

    @Test func nonASCIIPassesThroughAndKeysAreSanitisedPerCharacter() {
        #expect(LogfmtLogHandler.quoted("naïve") == "naïve")
        #expect(LogfmtLogHandler.quoted("é x") == "\"é x\"")
        #expect(LogfmtLogHandler.quoted("\u{7F}") == "\"\\u007f\"")
        #expect(LogfmtLogHandler.sanitisedKey("clé ok") == "cl__ok")
        #expect(LogfmtLogHandler.sanitisedKey("") == "_")
        #expect(LogfmtLogHandler.rfc3339((seconds: 1_764_020_700, nanoseconds: 999_999_999)) == "2025-11-24T21:45:00.999Z")
        #expect(LogfmtLogHandler.rfc3339((seconds: 0, nanoseconds: -5_000_000)) == "1970-01-01T00:00:00.0-5Z")  // as before
    }

    @Test func timestampsArePadded() {
        #expect(LogfmtLogHandler.rfc3339((seconds: 0, nanoseconds: 5_000_000)) == "1970-01-01T00:00:00.005Z")
    }

    @Test func handlerWritesOneLinePerEntry() {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "t") { label in
            LogfmtLogHandler(label: label, write: { line in lines.withLock { $0.append(line) } })
        }
        logger[metadataKey: "node"] = "child1"
        logger.info("first", metadata: ["node": "override"])
        logger.debug("filtered")
        logger.error("second\nline")
        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().firstIndex(of: "\n") == nil })
        #expect(written[0].contains(" level=info msg=\"first\" logger=t node=override\n"))
        #expect(written[1].contains(" level=error msg=\"second\\nline\" logger=t node=child1\n"))
    }
}
