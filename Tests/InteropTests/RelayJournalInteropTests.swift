// The relay's troubleshooting logs in a real journald for the `netdata` namespace, found with
// `journalctl --namespace=netdata MESSAGE_ID=...` as Netdata's documentation tells users to do.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("relay logs in journald", .enabled(if: NetdataLab.shouldRun), .serialized, .timeLimit(.minutes(2)))
struct RelayJournalInteropTests {
    static let socketPath = "/run/systemd/journal.netdata/socket"
    static let childKey = "abababab-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    static let parentKey = "cdcdcdcd-2222-4333-8444-555555555555"

    static func journaldAnswers() -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in socketPath.utf8.enumerated() where i < buffer.count - 1 { buffer[i] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }

    /// Entries of `journalctl --namespace=netdata` with this MESSAGE_ID and child hostname.
    func entries(messageID: String, host: String) async throws -> [[String: Any]] {
        let result = try await Command.run("/usr/bin/journalctl", ["--namespace=netdata", "MESSAGE_ID=\(messageID)", "ND_NIDL_NODE=\(host)", "-o", "json", "--no-pager", "--all"])
        return result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A journald for the `netdata` namespace, started here (by PID, stopped by the lab) unless
    /// one answers. The socket file outlives a stopped journald, so connect to find out.
    static func ensureJournald(_ lab: NetdataLab) async throws {
        if !journaldAnswers() {
            _ = try lab.spawn(name: "journald-netdata", executable: "/lib/systemd/systemd-journald", arguments: ["netdata"], environment: [:])
            #expect(await poll(timeout: .seconds(10)) { journaldAnswers() }, "journald did not serve \(socketPath)")
        }
    }

    /// A burst far beyond the 10 datagrams the kernel queues for journald: 400 refused children
    /// from 40 clients at once, one admission entry each. All 400 must be in the journal.
    @Test func testABurstOfRefusalsIsNotLost() async throws {
        try await NetdataLab.run { lab in
            try await Self.ensureJournald(lab)
            // All 400 come from 127.0.0.1, up to 400 at once: above the per-address limit of
            // unfinished requests (128), which would close some before their request is read, with
            // no refusal to log. This test is about the journal keeping every line, so it lifts it.
            let relay = try await lab.startRelay(streamConf: "[\(Self.childKey)]\n    type = api\n    enabled = no\n",
                                                 arguments: ["--max-handshakes-per-address", "1000"], environment: [:])
            let host = "journal-burst-\(Int.random(in: 1000...9999))"
            let port = relay.port
            let request = "STREAM key=\(Self.childKey)&hostname=\(host)&machine_guid=0f6c3a2e-8d41-41ee-9b0a-525400123456&ver=16376 HTTP/1.1\r\n\r\n"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await onOwnThread {
                            var open: [RawSocket] = []
                            for _ in 0..<10 {
                                let socket = try RawSocket(port: port, timeout: .seconds(10))
                                socket.send(request)
                                open.append(socket)
                            }
                            for socket in open { _ = socket.receiveAll() }
                        }
                    }
                }
                try await group.waitForAll()
            }
            var count = 0
            let all = await poll(timeout: .seconds(20), interval: .milliseconds(500)) {
                count = (try? await entries(messageID: "ed4cdb8f1beb4ad3b57cb3cae2d162fa", host: host).count) ?? 0
                return count >= 400
            }
            #expect(all && count == 400, "journalctl has \(count) of 400 refusals for \(host)\nrelay:\n\(relay.log().suffix(2000))")
        }
    }

    @Test func testAdmissionAndUpstreamEntriesAreInTheNetdataNamespace() async throws {
        try await NetdataLab.run { lab in
            try await Self.ensureJournald(lab)
            let parent = try lab.instance(hostname: "journal-parent", streamConf: "[\(Self.parentKey)]\n    type = api\n    enabled = yes\n")
            try await parent.start()
            let relay = try await lab.startRelay(streamConf: """
                [stream]
                    enabled = no
                [\(Self.childKey)]
                    type = api
                    enabled = yes
                    default proxy enabled = yes
                    default proxy destination = \(parent.address)
                    default proxy api key = \(Self.parentKey)

                """, environment: [:])
            let host = "journal-child-\(Int.random(in: 1000...9999))"
            let child = try lab.child(host, destination: relay.address, apiKey: Self.childKey)
            try await child.start()
            #expect(await parent.waitUntilStreaming(host), "\(host) not streaming\n\(lab.logTails())")

            var admission: [[String: Any]] = []
            var upstream: [[String: Any]] = []
            let found = await poll(timeout: .seconds(15)) {
                admission = (try? await entries(messageID: "ed4cdb8f1beb4ad3b57cb3cae2d162fa", host: host)) ?? []
                upstream = (try? await entries(messageID: "6e2e3839067648968b646045dbf28d66", host: host)) ?? []
                return !admission.isEmpty && !upstream.isEmpty
            }
            #expect(found, "journalctl found \(admission.count) admission and \(upstream.count) upstream entries for \(host)\nrelay:\n\(relay.log())")
            if let entry = admission.first {
                #expect(entry["ND_SRC_IP"] as? String == "127.0.0.1", "\(entry)")
                #expect((entry["MESSAGE"] as? String)?.isEmpty == false)
            }
            if let entry = upstream.first {
                #expect((entry["ND_DESTINATION"] as? String)?.contains(parent.address) == true || "\(entry)".contains(String(parent.port)), "\(entry)")
            }
            let all = "\(admission)\(upstream)"
            #expect(!all.contains(Self.childKey) && !all.contains(Self.parentKey), "a full API key reached the journal")
        }
    }
}
