import Foundation
import Testing
import TestSupport

/// Every input a fuzz target once failed on (fuzz/regressions/TARGET) and every seed
/// (fuzz/corpus/TARGET, and the rule fixtures for the config targets) is replayed through the
/// plain build of `stream-config-fuzz`, which checks the same properties as the fuzzer.
@Suite struct FuzzRegressionTests {
    static var binary: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("stream-config-fuzz").path
    }

    @Test(arguments: ["document", "lint", "handshake", "answers", "values", "tar", "fleet", "filter"])
    func testKnownInputsKeepTheirProperties(target: String) throws {
        let root = CLI.packageRoot
        var inputs = ["fuzz/regressions/\(target)", "fuzz/corpus/\(target)"]
        if target == "document" || target == "lint" { inputs.append("fixtures/rules") }
        if target == "fleet" { inputs.append("fixtures/fleet/fleet.yaml") }
        let existing = inputs.map { root.appendingPathComponent($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
        let result = try Spawn.run(Self.binary, [target] + existing, timeout: .seconds(120))
        let text = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        #expect(result.status == 0, "\(text)")
        #expect(text.contains("no failure"), "\(text)")
        #expect(!text.contains(": 0 inputs"), "nothing was replayed: \(text)")
    }
}
