import Foundation
import TestSupport
import Testing

/// `stream-config edit` driven by scripted editors: without a terminal (pipes), and on a real
/// terminal inside tmux for the "What now?" prompt.
@Suite struct EditCommandTests {
    static let stock = StockFiles.newest
    static let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key (SC310)
    static let validSection = "\n[\(key)]\n    type = api\n    enabled = yes\n    allow from = 10.*\n"
    /// Netdata reads the value as `yes # note`, which is not a boolean: a lint error (SC108).
    static let invalidSection = "\n[\(key)]\n    type = api\n    enabled = yes # note\n"

    /// A user config directory (with a space in its path), a stock directory and a bin directory
    /// for scripted editors.
    struct Setup {
        let dir: TempDir
        let user: String
        let stock: String
        var stockBytes: Data

        init() throws {
            dir = try TempDir()
            user = dir.path("etc netdata")
            stock = dir.path("stock")
            stockBytes = try Data(contentsOf: EditCommandTests.stock)
            try FileManager.default.createDirectory(atPath: user, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: stock, withIntermediateDirectories: true)
            try stockBytes.write(to: URL(fileURLWithPath: "\(stock)/stream.conf"))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(stock)/stream.conf")
        }

        var userFile: String { "\(user)/stream.conf" }

        /// A scripted editor: the command `/bin/sh 'SCRIPT'` (run by sh, not executed, so a write
        /// descriptor leaked into a concurrently spawned process cannot make it "text file busy").
        /// `$1` (or the last argument) is the file to edit.
        func editor(_ name: String, _ body: String) throws -> String {
            "/bin/sh \(EditCommandTests.quoted(try script(name, body)))"
        }

        /// An executable script, for when the program name matters (`vi` gets `+LINE`).
        func script(_ name: String, _ body: String) throws -> String {
            let path = dir.path("bin/\(name)")
            try FileManager.default.createDirectory(atPath: dir.path("bin"), withIntermediateDirectories: true)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
            guard fd >= 0 else { throw TestError(description: "cannot create \(path)") }
            defer { close(fd) }
            let text = Array("#!/bin/sh\n\(body)\n".utf8)
            guard write(fd, text, text.count) == text.count else { throw TestError(description: "cannot write \(path)") }
            return path
        }

        /// An editor that appends `text` to the file.
        func appending(_ text: String, name: String = "append.sh") throws -> String {
            try editor(name, "cat >> \"$1\" <<'EOF'\n\(text)EOF")
        }

        func environment(editor: String) -> [String: String] {
            ["NETDATA_USER_CONFIG_DIR": user, "NETDATA_STOCK_CONFIG_DIR": stock, "EDITOR": editor, "VISUAL": ""]
        }

        func edit(_ arguments: [String] = [], editor: String) throws -> CLI.Result {
            try CLI.run(["edit"] + arguments, environment: environment(editor: editor))
        }

        /// The user directory's entries but the writers' lock file (left in place by design).
        func userEntries() throws -> [String] {
            CLI.listingWithoutLockFiles(user)
        }
    }

    static func quoted(_ path: String) -> String { "'\(path)'" }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    static func group(_ path: String) throws -> String? {
        try FileManager.default.attributesOfItem(atPath: path)[.groupOwnerAccountName] as? String
    }

    static var netdataGroupExists: Bool { getgrnam("netdata") != nil }

    // MARK: Without a terminal

    @Test func testValidChangeIsInstalled0640KeepingEveryStockByte() throws {
        let setup = try Setup()
        let result = try setup.edit(editor: try setup.appending(Self.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        let installed = try Data(contentsOf: URL(fileURLWithPath: setup.userFile))
        #expect(installed == setup.stockBytes + Data(Self.validSection.utf8))
        #expect(try Self.mode(setup.userFile) == 0o640)
        if Self.netdataGroupExists { #expect(try Self.group(setup.userFile) == "netdata") }
        #expect(try setup.userEntries() == ["stream.conf"], "no temporary file, and no backup of a file that did not exist")
        #expect(result.stderr.contains("starting from the stock file"))
        #expect(result.stderr.contains("5 lines added, 0 removed (compared with the stock file)"))
        #expect(result.stdout.contains("+    enabled = yes\n"))
        #expect(result.stdout.contains("+[51f0c3a2…]"), "API keys are masked in the diff")
        #expect(result.stderr.contains("sudo systemctl restart netdata"))
    }

    @Test func testInvalidChangeIsRefusedAndTheRejectedCopyKept() throws {
        let setup = try Setup()
        try setup.stockBytes.write(to: URL(fileURLWithPath: setup.userFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: setup.userFile)
        let before = try Data(contentsOf: URL(fileURLWithPath: setup.userFile))

        let result = try setup.edit(editor: try setup.appending(Self.invalidSection))
        #expect(result.status == 1)
        #expect(result.stderr.contains("[SC108]"))
        #expect(result.stderr.contains("refused: the edit has 1 lint error; \(setup.userFile) was not changed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.userFile)) == before)

        let kept = try #require(result.stderr.firstMatch(of: /your edit is kept in (.+) \(mode 0600\)/)).1
        let rejected = String(kept)
        #expect(rejected.hasPrefix("\(setup.userFile).rejected-"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: rejected)) == before + Data(Self.invalidSection.utf8))
        #expect(try Self.mode(rejected) == 0o600)
        #expect(result.stderr.contains("\(rejected):"), "findings name the rejected copy, so FILE:LINE opens it")
        #expect(try setup.userEntries() == ["stream.conf", URL(fileURLWithPath: rejected).lastPathComponent], "no temporary file, no backup")
    }

    @Test func testBackupKeepsThePreviousVersionWithItsMode() throws {
        let setup = try Setup()
        let first = "[stream]\n    enabled = no\n"
        try Data(first.utf8).write(to: URL(fileURLWithPath: setup.userFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: setup.userFile)
        let editor = try setup.appending(Self.validSection)

        let once = try setup.edit(editor: editor)
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stderr.contains("the previous version is in \(setup.userFile).bak"))
        #expect(try String(contentsOfFile: "\(setup.userFile).bak", encoding: .utf8) == first)
        #expect(try Self.mode("\(setup.userFile).bak") == 0o640)

        let twice = try setup.edit(editor: try setup.appending("# second\n", name: "second.sh"))
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(try String(contentsOfFile: "\(setup.userFile).bak", encoding: .utf8) == first + Self.validSection, "overwritten each time")
        #expect(try setup.userEntries() == ["stream.conf", "stream.conf.bak"])
    }

    @Test func testWorldReadableStreamConfIsInstalled0640() throws {
        let setup = try Setup()
        try Data("[stream]\n    enabled = no\n".utf8).write(to: URL(fileURLWithPath: setup.userFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: setup.userFile)
        let result = try setup.edit(editor: try setup.appending(Self.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.mode(setup.userFile) == 0o640)
        if Self.netdataGroupExists { #expect(try Self.group(setup.userFile) == "netdata", "so Netdata can still read it") }
        #expect(result.stderr.contains("mode 644 -> 640"))
        #expect(try Self.mode("\(setup.userFile).bak") == 0o640, "the backup holds the same keys: not world-readable either")
    }

    @Test func testEditorWithArgumentsGetsThePathSafely() throws {
        let setup = try Setup()
        let editor = try setup.editor("my editor.sh", """
        [ "$1" = --tag ] && [ "$2" = "two words" ] || exit 9
        printf '# tagged: %s\\n' "$2" >> "$3"
        """)
        let result = try setup.edit(editor: "\(editor) --tag 'two words'")
        #expect(result.status == 0, "\(result.stderr)")
        let installed = try String(contentsOfFile: setup.userFile, encoding: .utf8)
        #expect(installed.hasSuffix("\n# tagged: two words\n"))
    }

    @Test func testEditorChoiceOrder() throws {
        let setup = try Setup()
        var environment = setup.environment(editor: try setup.appending("# EDITOR\n", name: "e.sh"))
        environment["VISUAL"] = try setup.appending("# VISUAL\n", name: "v.sh")
        #expect(try CLI.run(["edit"], environment: environment).status == 0)
        #expect(try String(contentsOfFile: setup.userFile, encoding: .utf8).hasSuffix("# VISUAL\n"))
        let option = try setup.appending("# OPTION\n", name: "o.sh")
        #expect(try CLI.run(["edit", "--editor", option, "stream.conf"], environment: environment).status == 0)
        #expect(try String(contentsOfFile: setup.userFile, encoding: .utf8).hasSuffix("# VISUAL\n# OPTION\n"))
    }

    @Test func testEditorFailureInstallsNothing() throws {
        let setup = try Setup()
        try setup.stockBytes.write(to: URL(fileURLWithPath: setup.userFile))
        let editor = try setup.editor("fail.sh", "echo '# half-done' >> \"$1\"\nexit 3")
        let result = try setup.edit(editor: editor)
        #expect(result.status == 1)
        #expect(result.stderr.contains("exited with status 3; nothing installed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.userFile)) == setup.stockBytes)
        #expect(try setup.userEntries() == ["stream.conf"])

        let missing = try setup.edit(editor: "/nonexistent/editor")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("could not be run (exit status 127"))
    }

    @Test func testUnchangedFileInstallsNothing() throws {
        let setup = try Setup()
        let result = try setup.edit(editor: "true")
        #expect(result.status == 0)
        #expect(result.stderr.contains("no changes; \(setup.userFile) was not touched"))
        #expect(try setup.userEntries().isEmpty, "the stock file is not even copied")
    }

    @Test func testOtherFilesAreInstalledWithoutValidation() throws {
        let setup = try Setup()
        try FileManager.default.createDirectory(atPath: "\(setup.stock)/go.d", withIntermediateDirectories: true)
        try Data("jobs:\n".utf8).write(to: URL(fileURLWithPath: "\(setup.stock)/go.d/nginx.conf"))
        let result = try setup.edit(["go.d/nginx.conf"], editor: try setup.appending("  - name: local\n"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("not validated: stream-config only checks stream.conf"))
        #expect(try String(contentsOfFile: "\(setup.user)/go.d/nginx.conf", encoding: .utf8) == "jobs:\n  - name: local\n")
        #expect(try Self.mode("\(setup.user)/go.d/nginx.conf") == 0o640)

        let again = try setup.edit(["--file", "\(setup.user)/go.d/nginx.conf"], editor: try setup.appending("# more\n", name: "more.sh"))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: "\(setup.user)/go.d/nginx.conf.bak", encoding: .utf8) == "jobs:\n  - name: local\n")
        #expect(CLI.listingWithoutLockFiles("\(setup.user)/go.d") == ["nginx.conf", "nginx.conf.bak"])
    }

    @Test func testEditConfigWrapperDefaultsToItsOwnDirectory() throws {
        let setup = try Setup()
        try Data().write(to: URL(fileURLWithPath: "\(setup.user)/netdata.conf"))
        let wrapper = "\(setup.user)/edit-config"
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent("scripts/edit-config").path, toPath: wrapper)
        // No terminal here: the wrapper runs only an editor named with --editor (EditConfigWrapperTests).
        var environment = setup.environment(editor: "false")
        environment["NETDATA_USER_CONFIG_DIR"] = ""
        environment["STREAM_CONFIG_BIN"] = CLI.binary
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let result = try Spawn.run("/bin/sh", [wrapper, "--editor", try setup.appending("# via edit-config\n"), "stream.conf"],
                                   environment: merged.map { "\($0.key)=\($0.value)" })
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        #expect(try String(contentsOfFile: setup.userFile, encoding: .utf8).hasSuffix("\n# via edit-config\n"))
    }

    @Test func testListPrintsEveryStockFile() throws {
        let setup = try Setup()
        try FileManager.default.createDirectory(atPath: "\(setup.stock)/go.d", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: "\(setup.stock)/go.d/nginx.conf"))
        let result = try setup.edit(["--list"], editor: "false")
        #expect(result.status == 0)
        #expect(result.stdout == "go.d/nginx.conf\nstream.conf\n")
    }

    @Test(arguments: [["/etc/passwd"], [".environment"], ["go.d/../../x.conf"], ["--file", "/tmp/stream.conf"], ["--file", "../stream.conf"]])
    func testRefusedNames(_ arguments: [String]) throws {
        let setup = try Setup()
        let result = try setup.edit(arguments, editor: try setup.appending("# never\n"))
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("refusing to edit"))
        #expect(try setup.userEntries().isEmpty)
    }

    @Test func testMissingFilesAndDirectoriesFailClearly() throws {
        let setup = try Setup()
        let editor = try setup.appending("# never\n")
        let missing = try setup.edit(["nope.conf"], editor: editor)
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("File 'nope.conf' is not found in '\(setup.stock)'"))

        var environment = setup.environment(editor: editor)
        environment["NETDATA_USER_CONFIG_DIR"] = setup.dir.path("absent")
        let noDirectory = try CLI.run(["edit"], environment: environment)
        #expect(noDirectory.status == 73)
        #expect(noDirectory.stderr.contains("the user config directory \(setup.dir.path("absent")) does not exist"))

        let readOnly = try CLI.run(["edit"], environment: setup.environment(editor: editor), asUser: "65534")
        #expect(readOnly.status == 73, "\(readOnly.stderr)")
        #expect(readOnly.stderr.contains("Cannot write to directory \(setup.user)"))
    }

    @Test func testSignalsWhileTheEditorRunsLeaveNoTemporaryFile() throws {
        let setup = try Setup()
        let started = setup.dir.path("started"), proceed = setup.dir.path("proceed")
        // An editor that waits: until told to go on (then it edits), or until its file is removed.
        let editor = try setup.editor("wait.sh", """
        touch \(Self.quoted(started))
        waited=0
        while [ -e "$1" ] && [ ! -e \(Self.quoted(proceed)) ] && [ $waited -lt 1000 ]; do sleep 0.02; waited=$((waited + 1)); done
        [ -e "$1" ] && echo '# after SIGINT' >> "$1"
        exit 0
        """)
        func start() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["edit"]
            process.environment = ProcessInfo.processInfo.environment.merging(setup.environment(editor: editor)) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: setup.dir.path("stderr"), contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: setup.dir.path("stderr")))
            try process.run()
            try poll(until: "the editor to start", deadline: 30) { FileManager.default.fileExists(atPath: started) || !process.isRunning }
            guard FileManager.default.fileExists(atPath: started) else {
                throw TestError(description: "edit exited before the editor ran: \(try String(contentsOfFile: setup.dir.path("stderr"), encoding: .utf8))")
            }
            try FileManager.default.removeItem(atPath: started)
            return process
        }

        // SIGTERM: the copy is removed, nothing is installed, and we die of the signal.
        let terminated = try start()
        kill(terminated.processIdentifier, SIGTERM)
        terminated.waitUntilExit()
        let messages = (try? String(contentsOfFile: setup.dir.path("stderr"), encoding: .utf8)) ?? ""
        #expect(terminated.terminationReason == .uncaughtSignal && terminated.terminationStatus == SIGTERM, "\(terminated.terminationReason) \(terminated.terminationStatus): \(messages)")
        #expect(try setup.userEntries().isEmpty)

        // SIGINT goes to the editor (on a terminal); ours is ignored while it runs.
        let interrupted = try start()
        kill(interrupted.processIdentifier, SIGINT)
        try Data().write(to: URL(fileURLWithPath: proceed))
        interrupted.waitUntilExit()
        #expect(interrupted.terminationReason == .exit && interrupted.terminationStatus == 0)
        #expect(try String(contentsOfFile: setup.userFile, encoding: .utf8).hasSuffix("# after SIGINT\n"))
        #expect(try setup.userEntries() == ["stream.conf"])
    }

    /// A static install keeps its stock files beside the user directory
    /// (/opt/netdata/etc/netdata and /opt/netdata/usr/lib/netdata/conf.d); NETDATA_PREFIX names
    /// another root. Both are found without NETDATA_STOCK_CONFIG_DIR, as edit-config 2.x finds them.
    @Test func testStockDirectoryIsFoundBesideAStaticInstallsUserDirectory() throws {
        let dir = try TempDir()
        let user = dir.path("opt/netdata/etc/netdata")
        let stock = dir.path("opt/netdata/usr/lib/netdata/conf.d")
        let prefixed = dir.path("other/usr/lib/netdata/conf.d")
        for directory in [user, stock, prefixed] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let stockBytes = try Data(contentsOf: Self.stock)
        try stockBytes.write(to: URL(fileURLWithPath: "\(stock)/stream.conf"))
        try Data("# prefixed\n".utf8).write(to: URL(fileURLWithPath: "\(prefixed)/stream.conf"))
        let setup = try Setup()
        let editor = try setup.appending(Self.validSection)
        let environment = ["NETDATA_USER_CONFIG_DIR": user, "NETDATA_STOCK_CONFIG_DIR": "", "NETDATA_PREFIX": "", "EDITOR": editor, "VISUAL": ""]

        let list = try CLI.run(["edit", "--list"], environment: environment)
        #expect(list.status == 0 && list.stdout == "stream.conf\n", "\(list.stdout)\(list.stderr)")
        let lint = try CLI.run(["lint"], environment: environment)
        #expect(lint.stderr.contains("\(stock)/stream.conf") || lint.stdout.contains("\(stock)/stream.conf"), "\(lint.stdout)\(lint.stderr)")

        var withPrefix = environment
        withPrefix["NETDATA_PREFIX"] = dir.path("other")
        let prefixedEdit = try CLI.run(["edit"], environment: withPrefix)
        #expect(prefixedEdit.status == 0, "\(prefixedEdit.stderr)")
        #expect(prefixedEdit.stderr.contains("starting from the stock file \(prefixed)/stream.conf"), "\(prefixedEdit.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(user)/stream.conf")) == Data(("# prefixed\n" + Self.validSection).utf8))
    }

    // MARK: On a terminal (tmux)

    /// A scripted `vi` (so `+LINE` is passed): the first run adds an inline comment, a lint
    /// error; later runs remove it. Every run logs its arguments.
    func scriptedVi(_ setup: Setup) throws -> String {
        let count = setup.dir.path("runs"), log = setup.dir.path("arguments")
        return try setup.script("vi", """
        runs=$(cat \(Self.quoted(count)) 2>/dev/null || echo 0)
        runs=$((runs + 1))
        echo "$runs" > \(Self.quoted(count))
        echo "$*" >> \(Self.quoted(log))
        for file; do :; done
        if [ "$runs" = 1 ]; then
            printf '\\n[\(Self.key)]\\n    type = api\\n    enabled = yes # note\\n' >> "$file"
        else
            sed -i 's/ # note$//' "$file"
        fi
        """)
    }

    @Test func testTerminalPromptEditAgainFixesAndInstalls() throws {
        let setup = try Setup()
        let vi = try scriptedVi(setup)
        let tmux = try Tmux(in: setup.dir, command: "\(CLI.binary) edit", environment: setup.environment(editor: vi))
        defer { tmux.kill() }

        let prompt = try tmux.waitFor("What now?")
        let errorLine = setup.stockBytes.filter { $0 == 10 }.count + 4
        #expect(prompt.contains("stream.conf:\(errorLine):19: error[SC108]"))
        #expect(prompt.contains("(e) edit again at line \(errorLine)"))
        #expect(!FileManager.default.fileExists(atPath: setup.userFile), "nothing installed while asking")
        try tmux.send("e", "Enter")

        let screen = try tmux.waitFor("EDIT-EXIT=")
        #expect(screen.contains("EDIT-EXIT=0"), "\(screen)")
        #expect(screen.contains("installed \(setup.userFile)"))
        let fixed = "\n[\(Self.key)]\n    type = api\n    enabled = yes\n"
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.userFile)) == setup.stockBytes + Data(fixed.utf8))
        let arguments = try String(contentsOfFile: setup.dir.path("arguments"), encoding: .utf8).split(separator: "\n")
        #expect(arguments.count == 2)
        #expect(arguments.last?.hasPrefix("+\(errorLine) ") == true, "reopened at the first error")
        #expect(try setup.userEntries() == ["stream.conf"])
        #expect(try CLI.run(["lint", setup.userFile]).status == 0)
    }

    @Test func testTerminalPromptShowsTheDiffAndDiscardsUnlessInstallIsConfirmed() throws {
        let setup = try Setup()
        let vi = try scriptedVi(setup)
        try setup.stockBytes.write(to: URL(fileURLWithPath: setup.userFile))
        let before = try Data(contentsOf: URL(fileURLWithPath: setup.userFile))
        let tmux = try Tmux(in: setup.dir, command: "\(CLI.binary) edit", environment: setup.environment(editor: vi))
        defer { tmux.kill() }

        _ = try tmux.waitFor("What now?")
        try tmux.send("d", "Enter")
        #expect(try tmux.waitFor("+    enabled = yes # note").contains("+++ your edit"))
        try tmux.send("i", "Enter")
        _ = try tmux.waitFor("[y/N]")
        try tmux.send("n", "Enter")  // not confirmed: back to the question
        try tmux.waitFor { $0.components(separatedBy: "What now?").count == 4 }
        try tmux.send("x", "Enter")
        let screen = try tmux.waitFor("EDIT-EXIT=")
        #expect(screen.contains("EDIT-EXIT=1"))
        #expect(screen.contains("discarded; \(setup.userFile) was not changed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.userFile)) == before)
        #expect(try setup.userEntries() == ["stream.conf"])
    }

    @Test func testTerminalInstallAnywayWhenConfirmed() throws {
        let setup = try Setup()
        let vi = try scriptedVi(setup)
        try setup.stockBytes.write(to: URL(fileURLWithPath: setup.userFile))
        let tmux = try Tmux(in: setup.dir, command: "\(CLI.binary) edit", environment: setup.environment(editor: vi))
        defer { tmux.kill() }

        _ = try tmux.waitFor("What now?")
        try tmux.send("i", "Enter")
        _ = try tmux.waitFor("[y/N]")
        try tmux.send("y", "Enter")
        let screen = try tmux.waitFor("EDIT-EXIT=")
        #expect(screen.contains("EDIT-EXIT=0"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.userFile)) == setup.stockBytes + Data(Self.invalidSection.utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(setup.userFile).bak")) == setup.stockBytes)
        #expect(try setup.userEntries() == ["stream.conf", "stream.conf.bak"])
    }
}

/// Polls `condition` until it holds or `deadline` seconds pass.
/// A tmux server of its own (socket in the test's directory) running one command on a 200x50 terminal.
private struct Tmux {
    let socket: String

    init(in dir: TempDir, command: String, environment: [String: String]) throws {
        socket = dir.path("tmux.socket")
        let assignments = environment.map { "\($0.key)='\($0.value)'" }.sorted().joined(separator: " ")
        let script = "env NO_COLOR=1 \(assignments) \(command); echo EDIT-EXIT=$?; sleep 120"
        let status = try spawnWithNoBlockedSignals(["/usr/bin/tmux", "-S", socket, "-f", "/dev/null",
                                                    "new-session", "-d", "-x", "200", "-y", "50", "-s", "edit", script])
        guard status == 0 else { throw TestError(description: "tmux new-session failed (status \(status))") }
    }

    /// Starts the tmux server the way a shell would. Test code runs on dispatch threads, which
    /// block most signals, and a child inherits that mask: the panes would then ignore the
    /// SIGHUP of kill-server. The server also gets no pipe of ours to hold open.
    private func spawnWithNoBlockedSignals(_ arguments: [String]) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        Spawn.inheritNothingElse(&actions)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else { return -result }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        String(decoding: try Spawn.run("/usr/bin/tmux", ["-S", socket, "-f", "/dev/null"] + arguments, timeout: .seconds(60)).stdout, as: UTF8.self)
    }

    /// The whole pane, scrollback included.
    func screen() throws -> String { try run(["capture-pane", "-p", "-J", "-S", "-", "-t", "edit"]) }

    func send(_ keys: String...) throws { try run(["send-keys", "-t", "edit"] + keys) }

    @discardableResult
    func waitFor(_ text: String, deadline: TimeInterval = 30) throws -> String {
        try waitFor(deadline: deadline) { $0.contains(text) }
    }

    @discardableResult
    func waitFor(deadline: TimeInterval = 30, _ condition: (String) -> Bool) throws -> String {
        var last = ""
        do {
            try poll(until: "the terminal", deadline: deadline) {
                last = try screen()
                return condition(last)
            }
        } catch {
            Issue.record("screen so far:\n\(last)")
            throw error
        }
        return last
    }

    func kill() { _ = try? run(["kill-server"]) }
}
