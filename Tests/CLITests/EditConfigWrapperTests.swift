import Foundation
import Testing
import TestSupport

/// scripts/edit-config, run as Netdata's users run edit-config: with no argument it prints its
/// usage and the files it can edit and exits 1 (as Netdata's script does), `--help` exits 0, and
/// without a terminal it never starts an editor (a job in cron or Ansible would hang in vi).
@Suite struct EditConfigWrapperTests {
    static let wrapper = CLI.packageRoot.appendingPathComponent("scripts/edit-config").path

    struct Setup {
        let dir: TempDir
        let user: String, stock: String
        /// The editor: it records that it ran, then appends a key section.
        let editor: String, ranMarker: String

        init() throws {
            dir = try TempDir()
            user = dir.path("etc")
            stock = dir.path("stock")
            for path in [user, stock + "/health.d"] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            try FileManager.default.copyItem(atPath: StockFiles.v1.path, toPath: "\(stock)/stream.conf")
            FileManager.default.createFile(atPath: "\(stock)/health.d/cpu.conf", contents: Data())
            ranMarker = dir.path("editor-ran")
            editor = try dir.file("editor.sh", """
                #!/bin/sh
                touch '\(ranMarker)'
                printf '\\n[0b7e2c0a-5c1f-4f4e-9d52-2f1f2b7d8e11]\\n    type = api\\n    enabled = yes\\n' >> "$1"

                """, mode: 0o755)
        }

        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["NETDATA_USER_CONFIG_DIR"] = user
            environment["NETDATA_STOCK_CONFIG_DIR"] = stock
            environment["STREAM_CONFIG_BIN"] = CLI.binary
            // Run by sh, not executed: a descriptor leaked into a process spawned meanwhile cannot make it "text file busy".
            environment["EDITOR"] = "/bin/sh \(editor)"
            environment["VISUAL"] = ""
            environment["NO_COLOR"] = "1"
            return environment
        }

        func run(_ executable: String, _ arguments: [String]) throws -> CLI.Result {
            let result = try Spawn.run(executable, arguments, environment: environment.map { "\($0.key)=\($0.value)" }, timeout: .seconds(60))
            return CLI.Result(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
                              stderr: String(decoding: result.stderr, as: UTF8.self))
        }
    }

    @Test func testNoArgumentPrintsUsageAndTheFilesAndExits1() async throws {
        try await offThePool {
            let setup = try Setup()
            let result = try setup.run("/bin/sh", [Self.wrapper])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("Usage:") && result.stderr.contains("FILE"), "\(result.stderr)")
            // The list of stock files, one a line, as `edit --list` finds them.
            let listed = result.stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(listed.contains("stream.conf") && listed.contains("health.d/cpu.conf"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: setup.ranMarker) && CLI.listingWithoutLockFiles(setup.user).isEmpty)
        }
    }

    @Test func testHelpPrintsUsageAndExits0() async throws {
        try await offThePool {
            let setup = try Setup()
            let result = try setup.run("/bin/sh", [Self.wrapper, "--help"])
            #expect(result.status == 0 && result.stdout.contains("Usage:") && result.stdout.contains("--list"), "\(result)")
            let list = try setup.run("/bin/sh", [Self.wrapper, "--list"])
            #expect(list.status == 0 && list.stdout == "health.d/cpu.conf\nstream.conf\n", "\(list)")
        }
    }

    /// Standard input and output are pipes here: the editor is not started, nothing changes.
    @Test func testWithoutATerminalNoEditorStarts() async throws {
        try await offThePool {
            let setup = try Setup()
            let result = try setup.run("/bin/sh", [Self.wrapper, "stream.conf"])
            #expect(result.status == 1 && result.stderr.contains("no terminal"), "\(result)")
            #expect(!FileManager.default.fileExists(atPath: setup.ranMarker), "the editor ran without a terminal")
            #expect(CLI.listingWithoutLockFiles(setup.user).isEmpty)
        }
    }

    /// Standard input on a terminal but standard output into a file (`edit-config stream.conf > log`): refused too.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func testOutputThatIsNotATerminalIsRefused() throws {
        let setup = try Setup()
        let log = setup.dir.path("out.log")
        let result = try setup.run("/usr/bin/script", ["-qec", "/bin/sh '\(Self.wrapper)' stream.conf > '\(log)'", "/dev/null"])
        #expect(result.status == 1 && result.stdout.contains("no terminal"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: setup.ranMarker) && CLI.listingWithoutLockFiles(setup.user).isEmpty)
    }

    /// On a terminal (a pseudo-terminal from util-linux `script`) the editor runs and the file is installed.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func testOnATerminalTheEditorRuns() throws {
        let setup = try Setup()
        let command = "/bin/sh '\(Self.wrapper)' stream.conf"
        let result = try setup.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(result)")
        #expect(FileManager.default.fileExists(atPath: setup.ranMarker))
        #expect(try String(contentsOfFile: "\(setup.user)/stream.conf", encoding: .utf8).contains("[0b7e2c0a-5c1f-4f4e-9d52-2f1f2b7d8e11]"))
    }
}
