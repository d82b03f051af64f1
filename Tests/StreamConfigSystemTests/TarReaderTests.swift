import Foundation
import Testing
import StreamConfigSystem
import TestSupport

/// `TarReader` on archives made by GNU tar, as `docker cp NAME:PATH -` streams them.
@Suite struct TarReaderTests {
    /// A one-file archive of `contents` made by tar in `format` (gnu, ustar, posix).
    func archive(format: String, name: String = "stream.conf", contents: String = "[stream]\n", link: String? = nil) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-tar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(name).path
        if let link {
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: link)
        } else {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        }
        let tar = try Spawn.run("/bin/tar", ["-C", directory.path, "--format=\(format)", "--numeric-owner", "--owner=201", "--group=202",
                                             "-cf", "-", name], timeout: .seconds(30))
        return tar.stdout
    }

    @Test(arguments: ["gnu", "ustar", "posix"])
    func testReadsTheFileItsOwnerAndMode(format: String) throws {
        let entry = try TarReader.single(try archive(format: format, contents: "[stream]\n    enabled = yes\n"))
        #expect(entry.name == "stream.conf")
        #expect(entry.isRegularFile)
        #expect(String(decoding: entry.data, as: UTF8.self) == "[stream]\n    enabled = yes\n")
        #expect(entry.uid == 201 && entry.gid == 202)
    }

    @Test func testALongNameIsRead() throws {
        let name = String(repeating: "n", count: 150) + ".conf"
        #expect(try TarReader.single(try archive(format: "gnu", name: name)).name == name)
        #expect(try TarReader.single(try archive(format: "posix", name: name)).name == name)
    }

    @Test func testALinkIsReportedNotFollowed() throws {
        let entry = try TarReader.single(try archive(format: "gnu", link: "/etc/shadow"))
        #expect(!entry.isRegularFile)
        #expect(entry.kindDescription == "a symbolic link to /etc/shadow")
        #expect(entry.data.isEmpty)
    }

    @Test func testTruncatedAndGarbageInputIsAProblem() throws {
        // The 9 data bytes end at 521: cut inside them, and inside the header.
        let good = try archive(format: "gnu")
        #expect(throws: TarReader.Problem.self) { try TarReader.single(Array(good.prefix(515))) }
        #expect(throws: TarReader.Problem.self) { try TarReader.single(Array(good.prefix(300))) }
        #expect(throws: TarReader.Problem.self) { try TarReader.single(Array(repeating: 0x41, count: 1024)) }
        #expect(throws: TarReader.Problem.self) { try TarReader.single([]) }
    }
}
