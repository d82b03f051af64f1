import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The test runners' spawners (`Spawn.run`, and the lab's agents through the same action):
/// every suite shares one process, so a program one test starts must not inherit the sockets
/// another test holds, or a peer waits for a close that program keeps from happening.
@Suite struct SpawnInheritanceTests {
    @Test func aProgramInheritsOnlyItsStandardDescriptors() throws {
        // Made without close-on-exec on purpose: inherited unless the spawner closes it.
        // Numbered 100 or above, so it cannot be the one `ls` opens to list them.
        let made = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(made >= 0)
        let leaky = fcntl(made, F_DUPFD, 100)
        close(made)
        try #require(leaky >= 100)
        defer { close(leaky) }
        let result = try Spawn.run("/bin/sh", ["-c", "ls /proc/self/fd"])
        try #require(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let inherited = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        // 0-2, plus the descriptor `ls` opens for /proc/self/fd itself (3).
        #expect(inherited.contains(0) && !inherited.contains(leaky), "descriptors of the child: \(inherited)")
        #expect(inherited.allSatisfy { $0 <= 3 }, "descriptors of the child: \(inherited)")
    }
}
