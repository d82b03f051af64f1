import Glibc
import Testing
@testable import StreamConfigSystem

/// Several files replaced as one change, and `tls init`'s whole transaction.
@Suite struct TLSFileSetTests {
    @Test func testStagedFilesAppearOnlyOnCommit() throws {
        let dir = try Scratch()
        try dir.file("b", "old b\n", mode: 0o640)
        let set = TLSFileSet()
        try set.makeDirectory(dir.path("new/deeper"))
        try set.stage(Array("a\n".utf8), to: dir.path("new/deeper/a"), ownership: AtomicFile.Ownership(uid: geteuid(), gid: getegid(), mode: 0o600))
        try set.stage(Array("new b\n".utf8), to: dir.path("b"), ownership: AtomicFile.Ownership(uid: geteuid(), gid: getegid(), mode: 0o640))
        #expect(dir.read("b") == "old b\n")
        #expect(dir.read("new/deeper/a") == nil)
        try set.commit()
        #expect(dir.read("b") == "new b\n" && dir.read("new/deeper/a") == "a\n")
        #expect(dir.mode("new/deeper/a") == 0o600)
        #expect(dir.names() == ["b", "new"], "no temporary or backup file is left")
    }

    @Test func testADiscardedSetRemovesWhatItMade() throws {
        let dir = try Scratch()
        do {
            let set = TLSFileSet()
            try set.makeDirectory(dir.path("ssl"))
            try set.stage(Array("k\n".utf8), to: dir.path("ssl/k"), ownership: AtomicFile.Ownership(uid: geteuid(), gid: getegid(), mode: 0o600))
        }
        #expect(dir.names().isEmpty)
    }

    @Test func testTLSInitWritesKeyCertificateAndNetdataConfTogether() throws {
        let dir = try Scratch()
        let conf = try dir.file("netdata.conf", "[web]\n    bind to = *\n")
        let request = TLSSetup.Request(directory: dir.path("ssl"), names: [.dns("p")], days: 10, netdataConf: conf)
        let done = try TLSSetup.run(request, configDirectory: dir.path)
        #expect(dir.mode("ssl/stream.key") == 0o600 && dir.mode("ssl/stream.crt") == 0o644)
        #expect(dir.read("netdata.conf") == "[web]\n    bind to = *\n    ssl key = \(request.keyPath)\n    ssl certificate = \(request.certificatePath)\n")
        #expect(done.netdataConf?.edit.changed == true)
        #expect(try TLSInspect.certificates(in: Array((dir.read("ssl/stream.crt") ?? "").utf8), path: "c")[0].der == done.generated.der)
        // Again: refused without --force, nothing changed.
        #expect(throws: StreamConfigError.refused("")) { _ = try TLSSetup.run(request, configDirectory: dir.path) }
    }

    @Test func testAMisreadNetdataConfWritesNothing() throws {
        let dir = try Scratch()
        let conf = try dir.file("netdata.conf", "[web\n    bind to = *\n")
        let request = TLSSetup.Request(directory: dir.path("ssl"), names: [.dns("p")], netdataConf: conf)
        #expect {
            _ = try TLSSetup.run(request, configDirectory: dir.path)
        } throws: { error in
            let error = error as? StreamConfigError
            return error?.code == .refused && error?.details.count == 2 && error?.details.first?.hasPrefix("\(conf):1: error: '[web' is not a section header") == true
        }
        #expect(dir.names() == [".netdata.conf.lock", "netdata.conf"])
    }
}
