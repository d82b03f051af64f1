import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that never calls accept(2): the kernel completes every
/// connection, and nobody ever answers. Closed on deinit.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw TestError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, length) == 0 && listen(socketFD, 16) == 0 && getsockname(socketFD, $0, &length) == 0
            }
        }
        guard bound else {
            let error = TestError(description: "bind/listen: \(String(cString: strerror(errno)))")
            close(socketFD)
            throw error
        }
        fd = socketFD
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// What each client that connected sent, in order (their connections are still in the
    /// backlog, even after the clients closed them); empty when nobody connected.
    func requests() -> [String] {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var sent: [String] = []
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return sent }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(client, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            close(client)
            sent.append(n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : "")
        }
    }

    deinit { close(fd) }
}

/// `doctor` from the command line: how long it takes and what it says when a parent stays
/// silent, and which files it reads by default.
@Suite struct DoctorCommandTests {
    static let key = "5c7e9a1b-3d2f-4e6a-8b0c-1d2e3f4a5b6c"
    static let guid = "0f6c3a2e-8d41-41ee-9b0a-525400123456"

    /// A listener that accepts and never answers: one timeout, not three, and the words say
    /// there was no answer, not that the parent closed the connection.
    @Test func testASilentParentCostsOneTimeoutAndIsNoAnswer() async throws {
        try await offThePool {
            let listener = try SilentListener()
            let dir = try TempDir()
            let conf = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 127.0.0.1:\(listener.port)\n    api key = \(Self.key)\n")
            // Three attempts (what doctor used to do) would take 9 s.
            let timeout = 3
            let clock = ContinuousClock()
            let started = clock.now
            let result = try CLI.run(["doctor", "--config", conf, "--target", "1.37", "--machine-guid", Self.guid, "--hostname", "silent-test",
                                      "--timeout", String(timeout), "--format", "json"])
            let elapsed = clock.now - started
            #expect(result.status == 1, "\(result)")
            #expect(elapsed >= .seconds(timeout) && elapsed < .seconds(2 * timeout), "took \(elapsed) with --timeout \(timeout)")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result)")
            let step = try #require(items.first { $0["destination"] as? String == "127.0.0.1:\(listener.port)" }, "\(result)")
            #expect(step["code"] as? String == "no-answer", "\(result)")
            let summary = step["summary"] as? String ?? ""
            #expect(summary.hasPrefix("no answer from 127.0.0.1:\(listener.port) within \(timeout) s") && !summary.contains("closed"), "\(summary)")
            // The human form starts the line with FAIL.
            let human = try CLI.run(["doctor", "--config", conf, "--target", "1.37", "--machine-guid", Self.guid, "--timeout", "1"])
            #expect(human.stdout.hasPrefix("FAIL 127.0.0.1:\(listener.port): no answer from"), "\(human)")
        }
    }

    @Test func testTimeoutAndMachineGUIDAreChecked() async throws {
        try await offThePool {
            let zero = try CLI.run(["doctor", "--timeout", "0"])
            #expect(zero.status == 64 && zero.stderr.contains("--timeout must be positive"), "\(zero)")
            let guid = try CLI.run(["doctor", "--machine-guid", "not-a-guid"])
            #expect(guid.status == 64 && guid.stderr.contains("--machine-guid must be a GUID"), "\(guid)")
        }
    }

    /// `doctor --parent` with no file options reads netdata.conf from the configuration
    /// directory, and stream.conf from netdata.conf's `[directories] config`; Debian's stock line
    /// is named by FILE:LINE with the line to write there.
    @Test func testParentReadsNetdataConfFromTheConfigDirectoryAndStreamConfFromItsDirectoriesConfig() async throws {
        try await offThePool {
            let dir = try TempDir()
            let other = dir.url.appendingPathComponent("elsewhere").path
            // The configuration directory holds a stream.conf with no key; the one Netdata reads
            // (`[directories] config`) has one.
            try dir.file("etc/stream.conf", "[stream]\n    enabled = no\n")
            try dir.file("elsewhere/stream.conf", "[\(Self.key)]\n    type = api\n    enabled = yes\n")
            let netdataConf = try dir.file("etc/netdata.conf", "# Debian's first lines\n[global]\n    run as user = netdata\n    bind socket to IP = 127.0.0.1\n[directories]\n    config = \(other)\n")
            let result = try CLI.run(["doctor", "--parent", "--format", "json"], environment: ["NETDATA_USER_CONFIG_DIR": dir.url.appendingPathComponent("etc").path])
            #expect(result.status == 1, "\(result)")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result)")
            #expect(items.map { $0["code"] as? String } == ["keys", "bound-to-loopback"], "\(result)")
            let loopback = try #require(items.last)
            #expect((loopback["summary"] as? String)?.hasPrefix("\(netdataConf):4: `bind socket to IP = 127.0.0.1`") == true, "\(result)")
            #expect(loopback["fix"] as? String == "in \(netdataConf), change line 4 to `bind socket to IP = *`, then restart Netdata", "\(result)")
            #expect(loopback["verdict"] as? String == "misconfigured")
        }
    }

    /// Without the child's machine GUID no STREAM request is sent; doctor says why and still
    /// checks that the destination answers (a GET).
    @Test func testNoMachineGUIDMeansNoStreamRequest() async throws {
        try await offThePool {
            let listener = try SilentListener()
            let dir = try TempDir()
            let conf = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 127.0.0.1:\(listener.port)\n    api key = \(Self.key)\n")
            let netdataConf = try dir.file("netdata.conf", "[global]\n    hostname = no-guid\n[directories]\n    registry = \(dir.url.path)/registry\n")
            let result = try CLI.run(["doctor", "--config", conf, "--netdata-conf", netdataConf, "--target", "1.37", "--timeout", "1"])
            #expect(result.status == 1, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("FAIL identity: the key was not tried: \(dir.url.path)/registry/netdata.public.unique.id does not exist") == true, "\(result)")
            #expect(result.stdout.contains("--machine-guid"), "\(result)")
            // What reached the "parent", on every connection: a GET of stream_info, never a STREAM request.
            let requests = listener.requests()
            #expect(!requests.isEmpty, "nothing connected")
            #expect(requests.contains { $0.hasPrefix("GET /api/v3/stream_info?machine_guid=00000000-0000-0000-0000-000000000000 ") }, "\(requests)")
            #expect(!requests.contains { $0.hasPrefix("STREAM") }, "\(requests)")
        }
    }
}
