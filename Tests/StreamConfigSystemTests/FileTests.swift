import Glibc
import Testing
@testable import StreamConfigSystem

/// Atomic writes, the writers' lock, and reading only regular files of a bounded size.
@Suite struct FileTests {
    @Test func testANewFileIsWritten0640() throws {
        let dir = try Scratch()
        let existed = try AtomicFile.write(Array("a = 1\n".utf8), to: dir.path("new.conf"))
        #expect(!existed)
        #expect(dir.read("new.conf") == "a = 1\n")
        #expect(dir.mode("new.conf") == 0o640)
        #expect(dir.names() == ["new.conf"], "no temporary file is left")
    }

    @Test func testAReplacementKeepsModeAndOwner() throws {
        let dir = try Scratch()
        try dir.file("s.conf", "old\n", mode: 0o600)
        if geteuid() == 0 { chown(dir.path("s.conf"), 4321, 4322) }
        let existed = try AtomicFile.write(Array("new\n".utf8), to: dir.path("s.conf"))
        #expect(existed)
        #expect(dir.read("s.conf") == "new\n")
        #expect(dir.mode("s.conf") == 0o600)
        if geteuid() == 0 {
            let owner = try #require(dir.owner("s.conf"))
            #expect(owner.0 == 4321 && owner.1 == 4322)
        }
    }

    @Test func testAStagedFileNotCommittedChangesNothing() throws {
        let dir = try Scratch()
        try dir.file("s.conf", "old\n")
        do {
            let staged = try StagedFile(Array("new\n".utf8), for: dir.path("s.conf"))
            #expect(staged.replacesExisting)
            #expect(dir.names().count == 2)
        }
        #expect(dir.read("s.conf") == "old\n")
        #expect(dir.names() == ["s.conf"])
    }

    @Test func testStaleTemporaryFilesAreRemoved() throws {
        let dir = try Scratch()
        try dir.file(".s.conf.stream-config-abc123", "left by a killed writer")
        try dir.file("other", "kept")
        AtomicFile.removeStaleTemporaryFiles(for: dir.path("s.conf"))
        #expect(dir.names() == ["other"])
    }

    @Test func testASecondWriterIsBusy() throws {
        let dir = try Scratch()
        do {
            let lock = try FileLock(for: dir.path("s.conf"))
            #expect(dir.mode(".s.conf.lock") == 0o600)
            #expect(throws: StreamConfigError.busy("")) {
                _ = try FileLock(for: dir.path("s.conf"), timeoutSeconds: 0.2)
            }
            withExtendedLifetime(lock) {}
        }
        _ = try FileLock(for: dir.path("s.conf"), timeoutSeconds: 0.2)  // released
    }

    @Test func testALockFileOthersCanOpenIsMadePrivate() throws {
        let dir = try Scratch()
        try dir.file(".s.conf.lock", "", mode: 0o666)
        _ = try FileLock(for: dir.path("s.conf"))
        #expect(dir.mode(".s.conf.lock") == 0o600)
    }

    @Test func testOnlyRegularFilesAreRead() throws {
        let dir = try Scratch()
        #expect(mkfifo(dir.path("fifo"), 0o600) == 0)
        #expect(mkdir(dir.path("sub"), 0o755) == 0)
        for name in ["fifo", "sub"] {
            #expect {
                _ = try FileAccess.read(dir.path(name))
            } throws: { error in
                let error = error as? StreamConfigError
                return error?.code == .noInput && error?.message.contains("not a regular file") == true
            }
        }
        #expect(throws: StreamConfigError.noInput("")) { _ = try FileAccess.read(dir.path("missing")) }
        let link = dir.path("link")
        try dir.file("real", "x\n", mode: 0o640)
        symlink(dir.path("real"), link)
        #expect(try FileAccess.read(link).bytes == Array("x\n".utf8))
        #expect(try FileAccess.read(dir.path("real")).mode == 0o640)
        #expect(throws: StreamConfigError.noInput("")) { _ = try FileAccess.read(link, followLinks: false) }
    }

    @Test func testTheSizeCap() throws {
        let dir = try Scratch()
        try dir.file("big", String(repeating: "a", count: 3000))
        // The limit as `read` gets it from STREAM_CONFIG_MAX_FILE_SIZE (not set here: the
        // environment is the whole test process's).
        let fd = open(dir.path("big"), O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        #expect {
            _ = try FileAccess.readAll(fd, path: dir.path("big"), sizeHint: 3000, limit: 2048)
        } throws: { error in
            let error = error as? StreamConfigError
            return error?.code == .noInput && error?.message.contains("larger than 2 KiB") == true
        }
        #expect(FileAccess.parseSize("64M") == 64 << 20)
        #expect(FileAccess.parseSize("1g") == 1 << 30)
        #expect(FileAccess.parseSize("0") == nil && FileAccess.parseSize("-1") == nil && FileAccess.parseSize("K") == nil)
    }

    @Test func testALinkOutOfTheConfigDirectoryIsRefusedUnlessNamed() throws {
        let dir = try Scratch()
        let outside = try Scratch()
        try outside.file("s.conf", "x\n")
        #expect(mkdir(dir.path("etc"), 0o755) == 0)
        symlink(outside.path("s.conf"), dir.path("etc/stream.conf"))
        #expect(throws: StreamConfigError.cannotWrite("")) {
            _ = try WriteTarget.resolve(dir.path("etc/stream.conf"), configDirectory: dir.path("etc"), explicit: false)
        }
        var notes: [String] = []
        let target = try WriteTarget.resolve(dir.path("etc/stream.conf"), configDirectory: dir.path("etc"), explicit: true) { notes.append($0) }
        #expect(target == WriteTarget.realPath(outside.path("s.conf")))
        #expect(notes.count == 1 && notes[0].contains("is a link to"))
    }

    @Test func testTheStockDirectoryBesideAStaticInstall() throws {
        let dir = try Scratch()
        #expect(system("mkdir -p '\(dir.path)/opt/etc/netdata' '\(dir.path)/opt/usr/lib/netdata/conf.d'") == 0)
        let stock = ConfigDirectories.stockDirectory(user: dir.path("opt/etc/netdata"), prefix: nil)
        #expect(stock == WriteTarget.realPath(dir.path("opt/usr/lib/netdata/conf.d")))
        #expect(ConfigDirectories.stockDirectory(user: dir.path("none"), prefix: nil) == "/usr/lib/netdata/conf.d")
        let directories = ConfigDirectories(user: dir.path("opt/etc/netdata"), stock: stock)
        #expect(directories.effectiveFile().map(\.path) == nil)
        try dir.file("opt/usr/lib/netdata/conf.d/stream.conf", "")
        #expect(directories.effectiveFile()?.path == "\(stock)/stream.conf")
    }

    @Test func testErrorsAreEqualByCode() {
        #expect(StreamConfigError.busy("a") == StreamConfigError(.busy, "b", hint: "c"))
        #expect(StreamConfigError.busy("a") != StreamConfigError.refused("a"))
        #expect(StreamConfigError.Code.cannotWrite.description == "cannotWrite")
    }
}
