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

