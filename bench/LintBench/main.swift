// Lint throughput, in process: parse (Document + Ini) and the full lint of generated files,
// and the unified diff `edit` prints (the same file with one option changed in its middle).
// Usage: lint-bench [SECTIONS] [ITERATIONS] [ONLY]   (prints one line per measurement;
// ONLY runs just the measurement of that name, e.g. for a profile)
import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A parent file with `sections` API key sections, each with realistic options.
func generate(sections: Int) -> [UInt8] {
    var text = "[stream]\n    enabled = no\n\n"
    for i in 0..<sections {
        let hex = String(i, radix: 16)
        let key = String(repeating: "0", count: 8 - hex.count) + hex + "-2222-4333-8444-555555555555"
        text += "# child group \(i)\n[\(key)]\n    type = api\n    enabled = yes\n    allow from = !10.1.2.3 10.* localhost\n    db = dbengine\n    proxy enabled = no\n\n"
    }
    return Array(text.utf8)
}

func fixed(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return String(scaled)
}

let only = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : nil

func measure(_ label: String, bytes: Int, iterations: Int, _ body: () -> Void) {
    if let only, only != label { return }
    body()  // warm-up
    var best = Double.infinity
    for _ in 0..<iterations {
        let start = now()
        body()
        best = min(best, now() - start)
    }
    let mb = Double(bytes) / 1_000_000
    print("\(label)\tbytes=\(bytes)\tbest_ms=\(fixed(best * 1000))\tMB/s=\(fixed(mb / best))")
}

let sections = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let iterations = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 5 : 5
let bytes = generate(sections: sections)
measure("document", bytes: bytes.count, iterations: iterations) { _ = Document(bytes: bytes) }
measure("document+ini", bytes: bytes.count, iterations: iterations) { _ = Ini(Document(bytes: bytes)) }
measure("lint", bytes: bytes.count, iterations: iterations) {
    let report = Linter.lint(bytes: bytes, file: "bench")  // target inferred, as `stream-config lint` does
    precondition(report.diagnostics.isEmpty, "the generated file must lint clean: \(report.diagnostics.prefix(3))")
}
let changed = String(decoding: bytes, as: UTF8.self)
    .replacing("# child group \(sections / 2)\n", with: "# child group \(sections / 2) (changed)\n")
let before = Document(bytes: bytes), after = Document(changed)
measure("diff", bytes: bytes.count, iterations: iterations) {
    let output = UnifiedDiff.make(old: before, new: after, oldLabel: "a", newLabel: "b")
    precondition(output.contains("(changed)"), "the diff must show the change")
}
