import Foundation
import Testing
import TestSupport
@testable import StreamRelay

/// `LineWriter`: lines queued from any thread reach the descriptor whole, in each thread's order,
/// none lost, with a full queue waiting for the writer; `flush` waits for them and says when it
/// could not.
@Suite struct LineWriterTests {
    /// A pipe: (read end, write end), both close-on-exec.
    static func pipe() throws -> (CInt, CInt) {
        var fds: [CInt] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // no program a test starts inherits them
        return (fds[0], fds[1])
    }

    /// Everything from `fd` until EOF.
    static func readAll(_ fd: CInt) -> [UInt8] {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return all }
            all += chunk[0..<n]
        }
    }

    @Test func linesFromManyThreadsArriveWholeInOrderWithASmallQueue() async throws {
        let (readEnd, writeEnd) = try Self.pipe()
        defer { close(readEnd) }
        // A queue smaller than what the threads log: submitters wait for the writer.
        let writer = LineWriter(fd: writeEnd, maxEntries: 8)
        let threads = 4, lines = 400
        let reader = Task.detached { try await onOwnThread { Self.readAll(readEnd) } }
        try await onOwnThread {
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for line in 0..<lines {
                    let text = "thread=\(thread) line=\(line) \(String(repeating: "x", count: line % 50))\n"
                    if line % 2 == 0 {
                        writer.submit(Array(text.utf8))
                    } else {
                        writer.submit { $0.append(contentsOf: text.utf8) }  // rendered by the writer
                    }
                }
            }
        }
        #expect(writer.flush(timeout: 10), "everything written within 10 s")
        #expect(writer.backlog == 0)
        close(writeEnd)
        let text = String(decoding: try await reader.value, as: UTF8.self)
        let received = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(received.count == threads * lines)
        var next = [Int](repeating: 0, count: threads)
        for line in received {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let thread = Int(fields[0].dropFirst("thread=".count)),
                  let number = Int(fields[1].dropFirst("line=".count)) else {
                Issue.record("a torn line: \(line)")
                return
            }
            #expect(number == next[thread], "thread \(thread): line \(number) after \(next[thread] - 1)")
            #expect(fields.count == 3 || number % 50 == 0)
            next[thread] = number + 1
        }
        #expect(next == [Int](repeating: lines, count: threads))
    }

    @Test func flushSaysWhenTheDescriptorDoesNotTakeTheLines() async throws {
        let (readEnd, writeEnd) = try Self.pipe()
        defer { close(readEnd) }
        let writer = LineWriter(fd: writeEnd)
        // More than a pipe holds (64 KiB) with nobody reading: the writer is stuck in write(2).
        let line = Array((String(repeating: "y", count: 1023) + "\n").utf8)
        for _ in 0..<200 { writer.submit(line) }
        let flushed = try await onOwnThread { writer.flush(timeout: 0.3) }
        #expect(!flushed, "200 KiB cannot be in a 64 KiB pipe nobody reads")
        // Reading unblocks it: then everything arrives.
        let reader = Task.detached { try await onOwnThread { Self.readAll(readEnd) } }
        #expect(try await onOwnThread { writer.flush(timeout: 10) })
        close(writeEnd)
        let bytes = try await reader.value
        #expect(bytes.count == 200 * line.count)
    }
}
