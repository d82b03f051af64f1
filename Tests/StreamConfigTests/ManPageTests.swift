import Foundation
import Testing
import TestSupport
@testable import StreamConfig

/// The man pages are checked by mandoc and kept in step with the rule catalog.
@Suite struct ManPageTests {
    static let man = Paths.packageRoot.appendingPathComponent("man")

    static var mandoc: String? {
        ["/usr/bin/mandoc", "/usr/local/bin/mandoc"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: mandoc != nil || ProcessInfo.processInfo.environment["STREAM_CONFIG_REQUIRE_INTEROP"] == "1"),
          arguments: ["stream-config.1", "stream.conf.5"])
    func testMandocLintIsClean(_ page: String) throws {
        let result = try Spawn.run(try #require(Self.mandoc, "mandoc is not installed"),
                                   ["-T", "lint", "-W", "warning", Self.man.appendingPathComponent(page).path], timeout: .seconds(60))
        let text = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        #expect(result.status == 0 && text.isEmpty, "\(text)")
    }

    @Test func testEveryDiagnosticCodeIsDocumentedWithItsSeverity() throws {
        let page = try String(contentsOf: Self.man.appendingPathComponent("stream-config.1"), encoding: .utf8)
        for rule in Rules.all {
            #expect(page.contains(".It Sy \(rule.code) Pq \(rule.severity.rawValue)"), "\(rule.code) missing from stream-config(1) DIAGNOSTICS")
        }
    }

    @Test func testEveryOptionOfBothLinesIsInStreamConf5() throws {
        let page = try String(contentsOf: Self.man.appendingPathComponent("stream.conf.5"), encoding: .utf8)
        for schema in [Schema.v1, Schema.v2] {
            for name in schema.allNames {
                #expect(page.contains(name), "\(name) (\(schema.target.rawValue)) missing from stream.conf(5)")
            }
        }
    }
}
