import Glibc
import StreamConfig
import Testing
@testable import StreamConfigSystem

/// The write path of every change: what it writes, when it writes nothing, and what it returns.
@Suite struct FileRewriteTests {
    static let key = "f191f19e-4ad4-4069-b94b-b1e4ab797ffc"
    let directories = ConfigDirectories(user: "/nonexistent-user", stock: "/nonexistent-stock")

    func rename(_ source: RewriteSource) -> (Document, Int) {
        (Document(source.document.renderedString.replacingOccurrences(of: "timeout seconds", with: "timeout")), 1)
    }

    @Test func testAChangeIsWrittenKeepingTheModeWithAMaskedDiff() throws {
        let dir = try Scratch()
        let file = try dir.file("s.conf", "[stream]\n    api key = \(Self.key)\n    timeout seconds = 60\n", mode: 0o600)
        let outcome = try FileRewrite.apply(file: file, directories: directories, create: false, write: true, showSecrets: false,
                                            note: { _ in }, change: rename)
        #expect(outcome.written && outcome.isChange && outcome.result == 1)
        #expect(dir.read("s.conf") == "[stream]\n    api key = \(Self.key)\n    timeout = 60\n")
        #expect(dir.mode("s.conf") == 0o600)
        let diff = try #require(outcome.diff)
        #expect(diff.contains("+    timeout = 60") && !diff.contains(Self.key))
    }

    @Test func testADryRunARefusalAndNoChangeWriteNothing() throws {
        let dir = try Scratch()
        let text = "[stream]\n    timeout seconds = 60\n"
        let file = try dir.file("s.conf", text, mode: 0o640)
        let dry = try FileRewrite.apply(file: file, directories: directories, create: false, write: false, showSecrets: false,
                                        note: { _ in }, change: rename)
        #expect(!dry.written && dry.isChange && dir.read("s.conf") == text)
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try FileRewrite.apply(file: file, directories: directories, create: false, write: true, showSecrets: false,
                                  note: { _ in }, change: rename, approve: { _, _ in throw Refused() })
        }
        #expect(dir.read("s.conf") == text)
        let same = try FileRewrite.apply(file: file, directories: directories, create: false, write: true, showSecrets: false,
                                         note: { _ in }, change: { ($0.document, 0) })
        #expect(!same.written && !same.isChange && same.diff == nil)
    }

    @Test func testAMissingNamedFileIsAnErrorUnlessCreated() throws {
        let dir = try Scratch()
        #expect(throws: StreamConfigError.self) {
            try FileRewrite.apply(file: dir.path("new.conf"), directories: directories, create: false, write: true, showSecrets: false,
                                  note: { _ in }, change: { ($0.document, 0) })
        }
        let created = try FileRewrite.apply(file: dir.path("new.conf"), directories: directories, create: true, write: true, showSecrets: false,
                                            note: { _ in }, change: { _ in (Document("[stream]\n"), 0) })
        #expect(created.created && created.written && dir.read("new.conf") == "[stream]\n")
    }
}
