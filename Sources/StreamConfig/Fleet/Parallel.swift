import Dispatch

/// Independent work on every core: `fleet check` lints and reads tens of thousands of small
/// files, one host at a time each, and the machine has more than one core.
public enum Parallel {
    /// `transform(0..<count)` in order, computed in chunks on Dispatch's worker threads.
    public static func map<T: Sendable>(_ count: Int, _ transform: @Sendable (Int) -> T) -> [T] {
        guard count > 1 else { return (0..<count).map(transform) }
        var results = [T?](repeating: nil, count: count)
        let chunks = min(count, 64)
        results.withUnsafeMutableBufferPointer { buffer in
            // Each index is written by exactly one chunk, and read only after all have finished.
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var index = chunk * count / chunks
                let end = (chunk + 1) * count / chunks
                while index < end {
                    out[index] = transform(index)
                    index += 1
                }
            }
        }
        return results.map { $0! }
    }
}
