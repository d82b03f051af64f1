import Glibc
import StreamConfig
import Testing
@testable import StreamConfigSystem

/// The file `edit` works on, the copy the editor gets, and a whole session driven by a script.
@Suite struct EditTargetTests {
    func directories(_ dir: Scratch) throws -> ConfigDirectories {
        #expect(system("mkdir -p '\(dir.path)/etc' '\(dir.path)/stock/go.d'") == 0)
        try dir.file("stock/stream.conf", "[stream]\n    enabled = no\n")
        try dir.file("stock/go.d/nginx.conf", "jobs: []\n")
        return ConfigDirectories(user: dir.path("etc"), stock: dir.path("stock"))
    }

    @Test(arguments: ["/etc/passwd", ".hidden", "../x", "a/../../b", ""])
    func testNamesOutOfTheDirectoryAreRefused(name: String) {
        #expect(throws: StreamConfigError.usage("")) { try EditTarget.checkName(name) }
    }

    @Test func testANewFileStartsFromTheStockCopy() throws {
        let dir = try Scratch()
        let target = try EditTarget.resolve(argument: nil, file: nil, directories: try directories(dir))
        #expect(target.name == "stream.conf" && target.isStreamConf && !target.exists)
        #expect(target.path == dir.path("etc/stream.conf") && target.stockPath == dir.path("stock/stream.conf"))
        #expect(try target.readStock().bytes == Array("[stream]\n    enabled = no\n".utf8))
        #expect(target.restartCommand == "sudo systemctl restart netdata")
    }

    @Test func testASubdirectoryIsMadeAndAnAbsoluteFileMustBeUnderTheUserDirectory() throws {
        let dir = try Scratch()
        let directories = try directories(dir)
        let target = try EditTarget.resolve(argument: "go.d/nginx.conf", file: nil, directories: directories)
        #expect(!target.isStreamConf && FileSystem.isDirectory(dir.path("etc/go.d")))
        let named = try EditTarget.resolve(argument: nil, file: dir.path("etc/stream.conf"), directories: directories)
        #expect(named.name == "stream.conf")
        #expect(throws: StreamConfigError.usage("")) { _ = try EditTarget.resolve(argument: nil, file: "/tmp/x.conf", directories: directories) }
        #expect(throws: StreamConfigError.usage("")) { _ = try EditTarget.resolve(argument: "a", file: "b", directories: directories) }
        #expect(throws: StreamConfigError.noInput("")) { _ = try EditTarget.resolve(argument: "nothing.conf", file: nil, directories: directories) }
    }

    @Test func testTheStockListing() throws {
        let dir = try Scratch()
        let listing = try StockListing.list(try directories(dir), container: nil)
        #expect(listing.names == ["go.d/nginx.conf", "stream.conf"] && listing.container == nil)
        #expect(throws: StreamConfigError.noInput("")) {
            _ = try StockListing.list(ConfigDirectories(user: dir.path("etc"), stock: dir.path("none")), container: nil)
        }
    }

    @Test func testTheEditorsCopyIsPrivateAndARejectedOneIsKept() throws {
        let dir = try Scratch()
        let copy = try EditCopy(for: dir.path("stream.conf"), bytes: Array("x = 1\n".utf8))
        let name = String(copy.path.split(separator: "/").last!)
        #expect(name.hasPrefix(".stream.conf.stream-config-edit-"))
        #expect(dir.mode(name) == 0o600)
        #expect(try copy.read() == Array("x = 1\n".utf8))
        let rejected = try copy.keepRejected(next: dir.path("stream.conf"))
        #expect(rejected.hasPrefix(dir.path("stream.conf.rejected-")))
        #expect(dir.names() == [String(rejected.split(separator: "/").last!)])
    }

    @Test func testACopyReplacedByALinkIsRefused() throws {
        let dir = try Scratch()
        try dir.file("secret", "s\n")
        let copy = try EditCopy(for: dir.path("stream.conf"), bytes: [])
        defer { copy.remove() }
        unlink(copy.path)
        symlink(dir.path("secret"), copy.path)
        #expect(throws: StreamConfigError.refused("")) { _ = try copy.read() }
    }

    @Test func testEditorsThatTakeALineNumber() {
        #expect(EditorCommand(command: "vim -u NONE").takesLineNumber)
        #expect(EditorCommand(command: "/bin/nano").takesLineNumber)
        #expect(!EditorCommand(command: "/bin/cat").takesLineNumber)
    }

    /// A conversation that never has a terminal, recording what it was told.
    final class Script: EditConversation {
        var said: [String] = []
        var shown: [LintReport] = []
        var canAsk: Bool { false }
        func say(_ text: String) { said.append(text) }
        func hint(_ text: String) { said.append("hint: \(text)") }
        func show(_ report: LintReport, _ document: Document) { shown.append(report) }
        func showDiff(_ text: String, toOutput: Bool) { said.append("diff") }
        func ask(errors: Int, line: Int?, file: String) -> EditAnswer { .discard }
    }

    @Test func testASessionInstallsAnEditThatLintsAndKeepsOneThatDoesNot() throws {
        let dir = try Scratch()
        let directories = try directories(dir)
        let target = try EditTarget.resolve(argument: nil, file: nil, directories: directories)
        let good = EditorCommand(command: "sed -i 's/enabled = no/enabled = no # off/; s/ # off//; $a # edited'")
        let script = Script()
        #expect(try EditSession(file: target, editor: good, lintTarget: .v1_37).run(script) == .installed, "\(script.said)")
        #expect(dir.read("etc/stream.conf") == "[stream]\n    enabled = no\n# edited\n")
        #expect(dir.mode("etc/stream.conf") == 0o640)
        #expect(script.said.contains { $0.hasPrefix("installed \(target.path)") })

        let existing = try EditTarget.resolve(argument: nil, file: nil, directories: directories)
        let bad = EditorCommand(command: "sed -i 's/enabled = no/enabled = maybe/'")
        let refused = Script()
        #expect(try EditSession(file: existing, editor: bad, lintTarget: .v1_37).run(refused) == .refused)
        #expect(dir.read("etc/stream.conf") == "[stream]\n    enabled = no\n# edited\n")
        #expect(refused.shown.first?.diagnostics.contains { $0.code == "SC401" } == true)
        let kept = refused.said.first { $0.hasPrefix("your edit is kept in ") }
        #expect(kept != nil, "\(refused.said)")
    }
}
