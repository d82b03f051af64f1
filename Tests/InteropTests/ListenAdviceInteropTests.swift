// The oldest name for where Netdata listens, `[global] bind to`, and `[global] port`, against a
// real Netdata 1.37.1 in a network namespace of the test's own: it listens where WebListen says,
// lint (NC109) and `doctor --parent` name the line, and the line they advise makes it listen on
// every address at the same port.

import Foundation
import StreamConfig
import Testing

@Suite("[global] bind to and port vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .serialized, .timeLimit(.minutes(3)))
struct ListenAdviceInteropTests {
    static let key = "6a0f2c4e-8b1d-4f3a-9c5e-7d2b1a0e9f82"

    @Test func testGlobalBindToIsReadAndTheAdvisedLineListensEverywhere() async throws {
        if let why = NetdataLab.namespacesWaived {
            print("ListenAdviceInteropTests: skipped, scripts/test.sh found no network namespaces here: \(why)")
            return
        }
        let unshare = try await Command.run("/usr/bin/unshare", ["--net", "--", "/bin/true"])
        try #require(unshare.status == 0, "network namespaces are needed (the parent listens on every address in one of its own): \(unshare)")
        let doctorTests = DoctorTruthInteropTests()
        try await NetdataLab.run { lab in
            let instance = try lab.instance(hostname: "listen-global-parent", streamConf: "[\(Self.key)]\n    type = api\n    enabled = yes\n")
            // The lab's [web] lines out; the old names in [global]: loopback only, the port from `[global] port`.
            var lines = try String(contentsOf: instance.netdataConfURL, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.removeAll { $0.hasPrefix("    bind to = ") || $0.hasPrefix("    default port = ") }
            let global = try #require(lines.firstIndex(of: "[global]"))
            lines.insert(contentsOf: ["    bind to = 127.0.0.1", "    port = \(instance.port)"], at: global + 1)
            try Data(lines.joined(separator: "\n").utf8).write(to: instance.netdataConfURL)
            let conf = instance.netdataConfURL.path
            let listen = WebListen(Ini(Document(bytes: Array(try Data(contentsOf: instance.netdataConfURL)))))
            #expect(listen.bindName == "[global] bind to" && listen.defaultPort == instance.port)

            var parent = try await doctorTests.startNamespaced(lab, instance, name: "global-bind-parent")
            let remote = "127.0.0.2:\(instance.port)"
            #expect(!(await parent.answers(at: remote)), "1.37.1 did not honour `[global] bind to = 127.0.0.1`")

            let lint = try await StreamConfigCLI.run(["lint", "--kind", "netdata", "--target", "1.37", "--format", "json", conf])
            let hint = try #require(lint.stdout.firstMatch(of: /"hint" : "on a parent, listen on every address: ([^"]+)"/), "\(lint)")
            let doctor = try await StreamConfigCLI.run(["doctor", "--parent", "--netdata-conf", conf, "--format", "json"])
            let loopback = try #require(DoctorTruthInteropTests.verdicts(doctor).first { $0.code == "bound-to-loopback" }, "\(doctor)")
            #expect(loopback.fix == "\(hint.1), then restart Netdata", "lint and doctor advise differently: \(hint.1) / \(loopback.fix ?? "")")

            // Apply the fix as a user would: that line, replaced by the one advised.
            let line = try #require(String(hint.1).firstMatch(of: /change line (\d+) to `([^`]+)`/))
            let index = try #require(Int(line.1)) - 1
            #expect(String(line.2) == "bind to = *")
            lines[index] = "    " + String(line.2)
            try Data(lines.joined(separator: "\n").utf8).write(to: instance.netdataConfURL)

            await parent.process.stop()
            parent = try await doctorTests.startNamespaced(lab, instance, name: "global-bind-parent-fixed")
            #expect(await parent.answers(at: remote), "the parent does not listen at \(remote) after the fix\n\(lab.logTails())")
            let recheck = try await StreamConfigCLI.run(["lint", "--kind", "netdata", "--target", "1.37", "--format", "json", conf])
            #expect(!recheck.stdout.contains("NC109"), "\(recheck)")
            await parent.process.stop()
        }
    }
}
