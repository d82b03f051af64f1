import Foundation

/// Evaluates `condition` every `interval` until it is true or `timeout` passes.
public func poll(timeout: Duration, interval: Duration = .milliseconds(100),
                 _ condition: () async throws -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if (try? await condition()) == true { return true }
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Runs blocking work (socket reads with multi-second timeouts, a paced simulated child) on a
/// thread of its own. On the cooperative pool, which has one thread per core (two in CI), it
/// would stall every other suite's polls for as long as it blocks.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
