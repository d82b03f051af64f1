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

/// A task executor with one thread of its own, for `offThePool`. Hand-written: neither the
/// standard library nor SwiftNIO offers a thread-backed `TaskExecutor` for tests to prefer.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []  // guarded by `condition`
    private var stopping = false  // guarded by `condition`

    init() {
        Thread { [self] in serve() }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the jobs already enqueued have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs a synchronous test body that blocks (socket reads with timeouts, deadline polls with
/// nanosleep) on a thread of its own, as `onOwnThread` does, but inside the calling task: task
/// locals stay, so `#expect` and `#require` in `body` are recorded against the running test.
/// On the cooperative pool (one thread per core, two in CI) such a body would stall every other
/// suite for as long as it blocks.
public func offThePool<T: Sendable>(_ body: () throws -> T) async throws -> T {
    let executor = DedicatedThreadExecutor()
    defer { executor.stop() }
    return try await withTaskExecutorPreference(executor) {
        try body()
    }
}
