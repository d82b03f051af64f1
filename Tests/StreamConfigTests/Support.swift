import Foundation
import TestSupport
@testable import StreamConfig

enum Paths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("fixtures")
    static let stockV1 = StockFiles.v1
    static let stockV2 = StockFiles.v2

    static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }
}

func lint(_ text: String, target: NetdataTarget? = nil) -> LintReport {
    Linter.lint(bytes: Array(text.utf8), file: "t.conf", options: LintOptions(target: target))
}

/// `CODE LINE:COL` for each finding, sorted: compact to compare.
func findings(_ report: LintReport) -> [String] {
    report.diagnostics.map { "\($0.code) \($0.line):\($0.column)" }.sorted()
}

func codes(_ report: LintReport) -> Set<String> { Set(report.diagnostics.map(\.code)) }

/// A small deterministic RNG so property tests reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
