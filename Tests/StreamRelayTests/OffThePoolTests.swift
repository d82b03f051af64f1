import Foundation
import Testing
import TestSupport

/// `offThePool`, which the blocking socket suites run their bodies in.
@Suite struct OffThePoolTests {
    /// More bodies than the cooperative pool has threads block at once, each until all have
    /// arrived: on the pool they could not all run, and the wait would end at its deadline.
    @Test func blockingBodiesDoNotShareThePool() async throws {
        let parties = ProcessInfo.processInfo.activeProcessorCount + 2
        let arrived = NSCondition()
        nonisolated(unsafe) var count = 0
        let allMet = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<parties {
                group.addTask {
                    try await offThePool {
                        arrived.lock()
                        defer { arrived.unlock() }
                        count += 1
                        arrived.broadcast()
                        let deadline = Date(timeIntervalSinceNow: 10)
                        while count < parties {
                            if !arrived.wait(until: deadline) { return false }
                        }
                        return true
                    }
                }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(allMet, "\(parties) blocking bodies did not all run at once")
    }

    /// An expectation inside the body is recorded against the running test.
    @Test func expectationsInsideCountForTheTest() async throws {
        await withKnownIssue {
            try await offThePool { #expect(Bool(false), "recorded against this test") }
        }
    }
}
