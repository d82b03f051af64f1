// NC111 against a real Netdata 1.37.1: a misspelt `[web]` is ignored whole, and the rename lint's
// hint asks for takes effect.

import Foundation
import Testing

@Suite("netdata.conf section names vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(2)))
struct NetdataConfSectionInteropTests {
    /// The lab's `[web]` (`bind to = 127.0.0.1:PORT`) written `[Web]`, with the port also in
    /// `[global] default port` so Netdata still serves it: Netdata ignores the section and
    /// listens on every address (127.0.0.2 answers). Renamed to `[web]`, as lint's hint says, it
    /// listens on 127.0.0.1 only.
    @Test func testAMisspeltWebSectionIsIgnoredAndTheRenameTakesEffect() async throws {
        try await NetdataLab.run { lab in
            let node = try lab.instance(hostname: "nc111", streamConf: "[stream]\n    enabled = no\n")
            let generated = try String(contentsOf: node.netdataConfURL, encoding: .utf8)
            try #require(generated.contains("\n[web]\n    bind to = 127.0.0.1:\(node.port)\n"), "the lab's [web] changed:\n\(generated)")
            let broken = generated.replacingOccurrences(of: "\n[web]\n", with: "\n[Web]\n")
                .replacingOccurrences(of: "[global]\n", with: "[global]\n    default port = \(node.port)\n")
            try broken.write(to: node.netdataConfURL, atomically: true, encoding: .utf8)
            let header = try #require(broken.components(separatedBy: "\n").firstIndex(of: "[Web]")) + 1

            let lint = try await StreamConfigCLI.run(["lint", node.netdataConfURL.path, "--target", "1.37"])
            let finding = lint.stdout.split(separator: "\n").first { $0.contains("NC111") }
            #expect(finding?.contains(":\(header):1:") == true && finding?.contains("did you mean [web]?") == true, "\(lint)")
            #expect(finding?.contains("rename the section to [web]") == true || lint.stdout.contains("rename the section to [web]"), "\(lint)")

            try await node.start()
            #expect(await answers("127.0.0.2", node.port), "a [Web] section was read: Netdata listens on 127.0.0.1 only\n\(node.logTails())")
            await node.stop()

            // The hint, applied.
            try broken.replacingOccurrences(of: "\n[Web]\n", with: "\n[web]\n").write(to: node.netdataConfURL, atomically: true, encoding: .utf8)
            let relint = try await StreamConfigCLI.run(["lint", node.netdataConfURL.path, "--target", "1.37"])
            #expect(!relint.stdout.contains("NC111"), "\(relint)")
            try await node.start()
            #expect(await answers("127.0.0.1", node.port))
            #expect(!(await answers("127.0.0.2", node.port)), "[web] bind to = 127.0.0.1 was not read\n\(node.logTails())")
        }
    }

    private func answers(_ address: String, _ port: Int) async -> Bool {
        (try? await HTTP.get("http://\(address):\(port)/api/v1/info"))?.status == 0
    }
}
