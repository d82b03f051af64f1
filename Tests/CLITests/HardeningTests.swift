import Foundation
import TestSupport
import Testing

/// Issue 13, files and secrets: what a hostile file, link, device or local user must not get
/// out of stream-config. Each test fails on the code before the fix.
@Suite struct HardeningTests {
    let keys = ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                "3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a", "4e5f6a7b-8c9d-4e0f-9a1b-3c4d5e6f7a8b"]

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func info(_ path: String, follow: Bool = false) -> stat? {
        var result = stat()
        return (follow ? stat(path, &result) : lstat(path, &result)) == 0 ? result : nil
    }

    func shell(_ command: String, asUser user: String? = nil) throws -> (status: Int32, output: String) {
        // Both streams into one, in the order written: the shell sends its stderr to its stdout.
        let result = try Spawn.run(user == nil ? "/bin/sh" : "/usr/bin/setpriv",
                                   (user.map { ["--reuid=\($0)", "--regid=\($0)", "--clear-groups", "/bin/sh"] } ?? []) + ["-c", "exec 2>&1\n" + command])
        return (result.status, String(decoding: result.stdout, as: UTF8.self))
    }

    // MARK: 6. Keys are never printed in full

    @Test func testLintMasksKeysInLinesNetdataDoesNotReadAsKeysAndShowsNonKeys() throws {
        let dir = try TempDir()
        let upper = keys[4].uppercased()
        let file = try dir.file("stream.conf", """
        [stream]
            enabled = yes
            destination = 10.0.0.1
            api_key = \(keys[0])
            api key: \(keys[1])
            API Key = \(keys[2])
        [\(keys[3])] # note
            type = api
        [steam]
            enabled = yes
        [API_KEY]
            enabled = yes
        [\(upper)]
            type = api
            enabled = yes

        """)
        for format in ["human", "gcc"] {
            let result = try CLI.run(["lint", "--format", format, file])
            let output = result.stdout + result.stderr
            for key in keys + [upper] {
                #expect(!output.contains(key) && !output.contains(key.lowercased()), "\(format): \(key) printed in full:\n\(output)")
            }
            #expect(output.contains("[3d4e5f6a…] # note"), "\(format): \(output)")
            #expect(output.contains("[steam]") && output.contains("[API_KEY]"), "\(format): non-keys are shown: \(output)")
        }
        let shown = try CLI.run(["lint", "--show-secrets", file])
        #expect(shown.stdout.contains(keys[0]) && shown.stdout.contains(keys[1]), "\(shown.stdout)")
    }

    @Test func testSetConfirmationsAndDryRunDiffsMaskTheKey() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.1\n")
        let set = try CLI.run(["set", "--file", file, "stream", "api key", keys[0]])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(!set.stderr.contains(keys[0]) && set.stderr.contains("0a1b2c3d…"), "\(set.stderr)")
        #expect(try text(file).contains("api key = \(keys[0])"))

        let dry = try CLI.run(["set", "--file", file, "--dry-run", "--force", "stream", "api_key", keys[1]])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("+    api_key = 1b2c3d4e…"), "\(dry.stdout)")
        #expect(!(dry.stdout + dry.stderr).contains(keys[1]))
        let shown = try CLI.run(["set", "--file", file, "--dry-run", "--force", "--show-secrets", "stream", "api_key", keys[1]])
        #expect(shown.stdout.contains(keys[1]))

        let machine = try CLI.run(["set", "--file", file, keys[2], "enabled", "yes", "--force"])
        #expect(!machine.stderr.contains(keys[2]), "\(machine.stderr)")
    }

    @Test func testEditsRejectionOutputMasksKeys() throws {
        let dir = try TempDir()
        let user = dir.path("etc")
        try FileManager.default.createDirectory(atPath: user, withIntermediateDirectories: true)
        _ = try dir.file("etc/stream.conf", "[stream]\n    enabled = no\n")
        let editor = try dir.file("bin/editor.sh", "#!/bin/sh\nprintf '    api key: \(keys[0])\\n[\(keys[1])] # note\\n    enabled = yes # note\\n' >> \"$1\"\n", mode: 0o755)
        let result = try CLI.run(["edit"], environment: ["NETDATA_USER_CONFIG_DIR": user, "EDITOR": "/bin/sh \(editor)", "VISUAL": ""])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("rejected"), "\(result.stderr)")
        for key in keys.prefix(2) { #expect(!(result.stdout + result.stderr).contains(key), "\(result.stderr)") }
    }

    // MARK: 7. Keys never need to be on a command line

    @Test func testKeysComeFromStandardInputAFileOrTheEnvironment() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n")
        let keyFile = try dir.file("key", "\(keys[1])\nignored second line\n", mode: 0o600)
        func apiKey() throws -> String? {
            try text(file).components(separatedBy: "\n").last { $0.hasPrefix("    api key = ") }.map { String($0.dropFirst(14)) }
        }
        let child = ["child", "set", "--file", file, "--destination", "10.0.0.1"]
        let stdin = try CLI.run(child + ["--api-key", "-"], stdin: Data("\(keys[0])\n".utf8))
        #expect(stdin.status == 0, "\(stdin.stderr)")
        #expect(try apiKey() == keys[0])
        let fromFile = try CLI.run(child + ["--api-key", "@\(keyFile)"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(try apiKey() == keys[1])
        let fromEnvironment = try CLI.run(child, environment: ["STREAM_CONFIG_API_KEY": keys[2]])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(try apiKey() == keys[2])
        let none = try CLI.run(child, environment: ["STREAM_CONFIG_API_KEY": ""])
        #expect(none.status == 64, "\(none.stderr)")
        let emptyLine = try CLI.run(child + ["--api-key", "-"], stdin: Data("\n".utf8))
        #expect(emptyLine.status == 64, "\(emptyLine.stderr)")

        let set = try CLI.run(["set", "--file", file, "stream", "api key", "-"], stdin: Data("\(keys[3])\n".utf8))
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try apiKey() == keys[3])

        let add = try CLI.run(["parent", "add-key", "--file", file, "--key", "-"], stdin: Data("\(keys[4])\n".utf8))
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout == "\(keys[4])\n")
        #expect(try text(file).contains("[\(keys[4])]"))
        let disable = try CLI.run(["parent", "disable-key", "--file", file, "-"], stdin: Data("\(keys[4])\n".utf8))
        #expect(disable.status == 0, "\(disable.stderr)")
        let remove = try CLI.run(["parent", "remove-key", "--file", file, "@\(try dir.file("key4", keys[4] + "\n"))"])
        #expect(remove.status == 0, "\(remove.stderr)")
        #expect(try !text(file).contains(keys[4]))
        let fromEnvironmentKey = try CLI.run(["parent", "add-key", "--file", file], environment: ["STREAM_CONFIG_API_KEY": keys[0]])
        #expect(fromEnvironmentKey.stdout == "\(keys[0])\n", "\(fromEnvironmentKey.stderr)")
    }

    /// While a writer waits for the lock, `ps` (its command line) shows no key.
    @Test func testAWriterWaitingForTheLockShowsNoKeyInPs() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n")
        let lockPath = dir.path(".stream.conf.lock")
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
        defer { close(lock) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["child", "set", "--file", file, "--destination", "10.0.0.1", "--api-key", "-"]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "STREAM_CONFIG_API_KEY")
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data("\(keys[0])\n".utf8))
        try input.fileHandleForWriting.close()
        let pid = process.processIdentifier
        // Waiting: it has the lock file open (the key was read before).
        try poll(until: "the writer to wait for the lock", deadline: 20) {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            return fds.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) == lockPath }
        }
        let commandLine = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")), as: UTF8.self)
        #expect(commandLine.contains("--api-key\u{0}-"), "\(commandLine)")
        #expect(!commandLine.contains(keys[0]))
        let ps = try shell("ps -ww -o args= -p \(pid)")
        #expect(ps.output.contains("child set") && !ps.output.contains(keys[0]), "\(ps.output)")

        flock(lock, LOCK_UN)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try text(file).contains("api key = \(keys[0])"))
    }

    // MARK: 8. Links

    @Test func testALinkedStreamConfIsWrittenThroughAndStaysALink() throws {
        let dir = try TempDir()
        let user = dir.path("etc")
        let inside = try dir.file("etc/real/stream.conf", "[stream]\n    enabled = no\n")
        let link = "\(user)/stream.conf"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real/stream.conf")
        let before = try #require(info(inside))
        let result = try CLI.run(["set", "stream", "enable compression", "no"], environment: ["NETDATA_USER_CONFIG_DIR": user])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("is a link to \(inside)"), "\(result.stderr)")
        #expect(info(link).map { $0.st_mode & S_IFMT } == S_IFLNK, "the link stays")
        #expect(try text(inside) == "[stream]\n    enabled = no\n    enable compression = no\n")
        #expect(info(inside).map { $0.st_ino } != before.st_ino, "replaced by rename in the target's directory")
        #expect(CLI.listingWithoutLockFiles(dir.path("etc/real")) == ["stream.conf"])
        #expect(CLI.listingWithoutLockFiles(user) == ["real", "stream.conf"])
    }

    @Test func testALinkLeavingTheConfigDirectoryIsRefusedUnlessNamedWithFile() throws {
        let dir = try TempDir()
        let user = dir.path("etc")
        try FileManager.default.createDirectory(atPath: user, withIntermediateDirectories: true)
        let outside = try dir.file("elsewhere/stream.conf", "[stream]\n    enabled = no\n")
        let link = "\(user)/stream.conf"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: outside)
        let environment = ["NETDATA_USER_CONFIG_DIR": user]
        let refused = try CLI.run(["set", "stream", "enable compression", "no"], environment: environment)
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains("outside") && refused.stderr.contains("--file"), "\(refused.stderr)")
        #expect(try text(outside) == "[stream]\n    enabled = no\n")
        let editRefused = try CLI.run(["edit"], environment: environment.merging(["EDITOR": "true", "VISUAL": ""]) { $1 })
        #expect(editRefused.status == 73, "\(editRefused.stderr)")

        let named = try CLI.run(["set", "--file", link, "stream", "enable compression", "no"], environment: environment)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(try text(outside) == "[stream]\n    enabled = no\n    enable compression = no\n")
        #expect(info(link).map { $0.st_mode & S_IFMT } == S_IFLNK)

        let dangling = dir.path("etc/dangling.conf")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: dir.path("missing/stream.conf"))
        let broken = try CLI.run(["set", "--file", dangling, "--create", "stream", "enable compression", "no"])
        #expect(broken.status == 66, "\(broken.stderr)")
        #expect(info(dangling).map { $0.st_mode & S_IFMT } == S_IFLNK)
    }

    @Test func testTLSInitWritesThroughALinkedNetdataConf() throws {
        let dir = try TempDir()
        let real = try dir.file("real/netdata.conf", "[web]\n    bind to = *\n")
        let link = dir.path("netdata.conf")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p", "--netdata-conf", link])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(info(link).map { $0.st_mode & S_IFMT } == S_IFLNK, "the link stays")
        let written = try text(real)
        #expect(written.contains("ssl key = \(dir.path("ssl"))/stream.key"), "\(written)")
    }

    // MARK: 9. Only regular files, of a sane size

    @Test func testFIFOsDevicesAndSocketsAreRefusedWithoutHanging() throws {
        let dir = try TempDir()
        let fifo = dir.path("stream.conf")
        #expect(mkfifo(fifo, 0o600) == 0)
        let lint = try CLI.run(["lint", fifo], timeout: .seconds(20))
        #expect(lint.status == 66 && lint.stderr.contains("FIFO"), "\(lint.status) \(lint.stderr)")
        let set = try CLI.run(["set", "--file", fifo, "stream", "enable compression", "no"], timeout: .seconds(20))
        #expect(set.status == 66, "\(set.stderr)")
        #expect(info(fifo).map { $0.st_mode & S_IFMT } == S_IFIFO)
        let edit = try CLI.run(["edit"], environment: ["NETDATA_USER_CONFIG_DIR": dir.url.path, "EDITOR": "true", "VISUAL": ""], timeout: .seconds(20))
        #expect(edit.status == 66, "\(edit.stderr)")

        let device = try CLI.run(["set", "--file", "/dev/null", "stream", "enable compression", "no"])
        #expect(device.status == 66 && device.stderr.contains("character device"), "\(device.stderr)")
        #expect(info("/dev/null").map { $0.st_mode & S_IFMT } == S_IFCHR, "never replaced by a file")

        let socketPath = dir.path("socket.conf")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in socketPath.utf8.enumerated() where index < buffer.count - 1 { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        let sock = try CLI.run(["lint", socketPath], timeout: .seconds(20))
        #expect(sock.status == 66 && sock.stderr.contains("socket"), "\(sock.stderr)")
    }

    @Test func testInputsOverTheSizeCapAreRefused() throws {
        let dir = try TempDir()
        let text = "[stream]\n    enabled = no\n" + String(repeating: "# padding padding padding padding\n", count: 64)
        let file = try dir.file("stream.conf", text)
        let small = ["STREAM_CONFIG_MAX_FILE_SIZE": "1K"]
        let lint = try CLI.run(["lint", file], environment: small)
        #expect(lint.status == 66 && lint.stderr.contains("larger than 1 KiB"), "\(lint.stderr)")
        let set = try CLI.run(["set", "--file", file, "stream", "enable compression", "no"], environment: small)
        #expect(set.status == 66, "\(set.stderr)")
        #expect(try self.text(file) == text)
        let stdin = try CLI.run(["lint", "-"], stdin: Data(text.utf8), environment: small)
        #expect(stdin.status == 66, "\(stdin.stderr)")
        #expect(try CLI.run(["lint", file], environment: ["STREAM_CONFIG_MAX_FILE_SIZE": "lots"]).status == 64)
        #expect(try CLI.run(["lint", file]).status == 0)

        // 100 MiB (sparse): over the default 64 MiB, refused before anything is read.
        let huge = dir.path("huge.conf")
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 100 << 20) == 0)
        let refused = try CLI.run(["lint", huge], timeout: .seconds(30))
        #expect(refused.status == 66 && refused.stderr.contains("larger than 64 MiB"), "\(refused.stderr)")
    }

    @Test func testLintFindingsAreCappedPerFile() throws {
        let dir = try TempDir()
        var text = "[stream]\n"
        for index in 0..<3000 { text += "    no such option \(index) = 1\n" }
        let file = try dir.file("stream.conf", text)
        let result = try CLI.run(["lint", "--format", "gcc", "--target", "2", file])
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1001, "\(lines.count) lines")
        #expect(lines.last?.contains("more findings not shown") == true, "\(lines.last ?? "")")
    }

    /// The cap is for printing: a rewrite still sees a new error after the first 1,000.
    @Test func testARewriteSeesANewErrorPastTheFindingCap() throws {
        let dir = try TempDir()
        let text = "[stream]\n" + String(repeating: "bad line\n", count: 1500) + "[\(keys[0])]\n    type = api\n    enabled = yes\n"
        let file = try dir.file("stream.conf", text)
        let result = try CLI.run(["set", "--file", file, keys[0], "enabled", "1"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("1 new lint error"), "\(result.stderr)")
        #expect(try self.text(file) == text)
    }

    // MARK: 10. The lock

    @Test func testAnotherUserCannotHoldTheWritersLock() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.url.path)
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n")
        // User nobody holds a lock on the directory (read access is enough for that).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        // One process (sh execs sleep with the locked descriptor), so killing it frees the lock.
        holder.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", "exec 9<\"$0\" && flock 9 && exec sleep 60", dir.url.path]
        let holderOutput = Pipe()
        holder.standardError = holderOutput
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        try poll(until: "nobody to hold the directory lock", deadline: 20) {
            guard holder.isRunning else {
                throw TestError(description: "the lock holder exited: \(String(decoding: holderOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            }
            return try shell("flock -n '\(dir.url.path)' true").status != 0
        }

        let started = Date()
        let set = try CLI.run(["set", "--file", file, "stream", "enable compression", "no"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(Date().timeIntervalSince(started) < 8, "did not wait for the other user's lock")
        let lockPath = dir.path(".stream.conf.lock")
        let lock = try #require(info(lockPath))
        #expect(lock.st_mode & 0o7777 == 0o600 && lock.st_uid == 0)
        let open = try shell("flock -n '\(lockPath)' true", asUser: "65534")
        #expect(open.status != 0 && open.output.contains("Permission denied"), "\(open.output)")
    }

    // MARK: 11. Empty patterns and names

    @Test func testEmptyAllowFromAndSectionNamesAreRefused() throws {
        let dir = try TempDir()
        let original = "[stream]\n    enabled = no\n[\(keys[1])]\n    type = api\n    enabled = yes\n"
        let file = try dir.file("stream.conf", original)
        let addKey = try CLI.run(["parent", "add-key", "--file", file, "--allow-from", ""])
        #expect(addKey.status == 64 && addKey.stderr.contains("everyone"), "\(addKey.stderr)")
        let addMachine = try CLI.run(["parent", "add-machine", "--file", file, keys[0], "--allow-from", " "])
        #expect(addMachine.status == 64, "\(addMachine.stderr)")
        let set = try CLI.run(["set", "--file", file, "", "enabled", "yes"])
        #expect(set.status == 64 && set.stderr.contains("empty"), "\(set.stderr)")
        let allow = try CLI.run(["set", "--file", file, keys[1], "allow from", ""])
        #expect(allow.status != 0 && allow.stderr.contains("everyone"), "\(allow.stderr)")
        #expect(try text(file) == original)
    }

    // MARK: 12. ACLs and owners

    @Test func testRewritesKeepExtendedACLs() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n", mode: 0o640)
        let set = try shell("setfacl -m u:nobody:r-- '\(file)' && setfacl -m g:daemon:rw- '\(file)'")
        try #require(set.status == 0, "setfacl: \(set.output) (the acl package is needed)")
        let before = try shell("getfacl -cp '\(file)'").output
        #expect(before.contains("user:nobody:r--"))
        let result = try CLI.run(["set", "--file", file, "stream", "enable compression", "no"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try text(file).contains("enable compression = no"))
        #expect(try shell("getfacl -cp '\(file)'").output == before)
    }

    @Test func testANonRootUserNeverChangesTheOwner() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.url.path)
        let original = "[stream]\n    enabled = no\n"
        let file = try dir.file("stream.conf", original, mode: 0o666)
        let result = try CLI.run(["set", "--file", file, "stream", "enable compression", "no"], asUser: "65534")
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("cannot keep its owner"), "\(result.stderr)")
        #expect(info(file)?.st_uid == 0)
        #expect(try text(file) == original)
        #expect(CLI.listingWithoutLockFiles(dir.url.path) == ["stream.conf"])
    }

    @Test func testTLSInitByANonRootUserKeepsNetdataConfsOwnerOrChangesNothing() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.url.path)
        let original = "[web]\n    bind to = *\n"
        let conf = try dir.file("netdata.conf", original, mode: 0o666)
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p", "--netdata-conf", conf], asUser: "65534")
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("cannot keep its owner"), "\(result.stderr)")
        #expect(info(conf)?.st_uid == 0)
        #expect(try text(conf) == original)
        #expect(!FileManager.default.fileExists(atPath: dir.path("ssl/stream.key")))
    }

    // MARK: 13. edit

    @Test(arguments: ["rm \"$1\" && ln -s SECRET \"$1\"", "rm \"$1\" && mkdir \"$1\""])
    func testAnEditorThatReplacesItsCopyGetsItRefused(_ replace: String) throws {
        let dir = try TempDir()
        let user = dir.path("etc")
        let original = "[stream]\n    enabled = no\n"
        let file = try dir.file("etc/stream.conf", original)
        let secret = try dir.file("secret.conf", "[stream]\n    enabled = no\n    enable compression = no\n", mode: 0o644)
        let editor = try dir.file("bin/editor.sh", "#!/bin/sh\n" + replace.replacingOccurrences(of: "SECRET", with: "'\(secret)'") + "\n", mode: 0o755)
        let result = try CLI.run(["edit"], environment: ["NETDATA_USER_CONFIG_DIR": user, "EDITOR": "/bin/sh \(editor)", "VISUAL": ""])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("was replaced by"), "\(result.stderr)")
        #expect(try text(file) == original)
        #expect(info(secret).map { $0.st_mode & 0o7777 } == 0o644, "never chmod through a link")
        #expect(CLI.listingWithoutLockFiles(user) == ["stream.conf"])
    }

    /// A full disk while installing: the edit is kept as `.rejected-*`, the file and its `.bak` stay.
    @Test func testAnInstallThatFailsKeepsTheEditAndTheBackup() throws {
        let dir = try TempDir()
        let user = dir.path("etc")
        try FileManager.default.createDirectory(atPath: user, withIntermediateDirectories: true)
        let mount = try shell("mount -t tmpfs -o size=96k,mode=0755 stream-config-test '\(user)'")
        try #require(mount.status == 0, "cannot mount a tmpfs: \(mount.output)")
        defer { _ = try? shell("umount '\(user)'") }
        // 40 KB: the file, the copy and the edit fit in 96 KiB, the staged replacement does not.
        let original = "[stream]\n    enabled = no\n" + String(repeating: "# " + String(repeating: "x", count: 77) + "\n", count: 500)
        let file = try dir.file("etc/stream.conf", original)
        let backup = try dir.file("etc/stream.conf.bak", "old backup\n")
        let editor = try dir.file("bin/editor.sh", "#!/bin/sh\necho '# my edit' >> \"$1\"\n", mode: 0o755)
        let result = try CLI.run(["edit"], environment: ["NETDATA_USER_CONFIG_DIR": user, "EDITOR": "/bin/sh \(editor)", "VISUAL": ""])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("No space left"), "\(result.stderr)")
        #expect(try text(file) == original)
        #expect(try text(backup) == "old backup\n")
        let rejected = CLI.listingWithoutLockFiles(user).filter { $0.hasPrefix("stream.conf.rejected-") }
        #expect(rejected.count == 1, "\(CLI.listingWithoutLockFiles(user))")
        if let name = rejected.first {
            #expect(try text("\(user)/\(name)") == original + "# my edit\n")
            #expect(result.stderr.contains("kept in \(user)/\(name)"), "\(result.stderr)")
        }
    }

    @Test func testSIGTERMEndsTheEditorsWholeProcessGroup() throws {
        let dir = try TempDir()
        let user = dir.path("etc")
        _ = try dir.file("etc/stream.conf", "[stream]\n    enabled = no\n")
        let pidFile = dir.path("helper.pid")
        let editor = try dir.file("bin/editor.sh", "#!/bin/sh\nsleep 120 &\necho $! > '\(pidFile).tmp'\nmv '\(pidFile).tmp' '\(pidFile)'\nwait\n", mode: 0o755)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["edit"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["NETDATA_USER_CONFIG_DIR": user, "EDITOR": "/bin/sh \(editor)", "VISUAL": ""]) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try poll(until: "the editor to start its helper", deadline: 30) { FileManager.default.fileExists(atPath: pidFile) }
        let helper = try #require(pid_t(try text(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(helper, SIGKILL) }
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(helper)/stat", encoding: .utf8) else { return false }
            return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
        }
        #expect(running(), "the helper runs before the signal")
        kill(process.processIdentifier, SIGTERM)
        // Gone, or a zombie waiting for a reaper: either way no longer running. (Checked before
        // waiting for `edit`: Foundation's wait also waits for the helper, which inherited a pipe.)
        try poll(until: "the editor's helper to end", deadline: 10) { !running() }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
    }

    // MARK: 14. Control bytes

    @Test func testControlBytesFromTheFileAreEscaped() throws {
        let dir = try TempDir()
        let file = try dir.file("a\u{1B}[31mred.conf", "[stream]\n    enabled = yes\u{1B}]0;owned\u{07}\n    bogus\u{1B}[2J = 1\n    x\u{9B}2J = 1\n")
        for format in ["human", "gcc"] {
            let result = try CLI.run(["lint", "--format", format, "--target", "2", file])
            let output = result.stdout + result.stderr
            #expect(!output.utf8.contains(0x1B) && !output.utf8.contains(0x07), "\(format): \(output.debugDescription)")
            #expect(!output.unicodeScalars.contains("\u{9B}"), "\(format)")
            #expect(output.contains("a\\u001b[31mred.conf"), "\(format): \(output)")
            if format == "human" { #expect(output.contains("yes\\u001b]0;owned\\u0007"), "\(output)") }
        }

        // edit's diff of what it installed.
        let user = dir.path("etc")
        _ = try dir.file("etc/stream.conf", "[stream]\n    enabled = no\n")
        let editor = try dir.file("bin/editor.sh", "#!/bin/sh\nprintf '# \\033]0;owned\\007\\n' >> \"$1\"\n", mode: 0o755)
        let edit = try CLI.run(["edit"], environment: ["NETDATA_USER_CONFIG_DIR": user, "EDITOR": "/bin/sh \(editor)", "VISUAL": ""])
        #expect(edit.status == 0, "\(edit.stderr)")
        #expect(edit.stdout.contains("+# \\u001b]0;owned\\u0007\n"), "\(edit.stdout.debugDescription)")
        #expect(!(edit.stdout + edit.stderr).utf8.contains(0x1B))
    }
}
