// The rewrite commands against real Netdata 1.37.1: a parent and a child configured only by
// `stream-config parent add-key` and `stream-config child set`, starting from the stock file.

import Foundation
import Testing

@Suite("rewrites vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(2)))
struct RewriteInteropTests {
    static let stock = StockFiles.v1

    @Test func testParentAddKeyAndChildSetStreamWithRealNetdata() async throws {
        try await NetdataLab.run { lab in
            let stockText = try String(contentsOf: Self.stock, encoding: .utf8)
            let parent = try lab.instance(hostname: "rw-parent", streamConf: stockText)
            let childHost = "rw-child"
            let child = try lab.instance(hostname: childHost, streamConf: stockText)

            // The parent: a new key, allowed from loopback only (Netdata calls 127.0.0.1 "localhost").
            let added = try await StreamConfigCLI.run(["parent", "add-key", "--file", parent.streamConfURL.path,
                                                       "--allow-from", "localhost", "--target", "1.37"])
            #expect(added.status == 0, "\(added)")
            let key = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.count == 36)

            // The child: streaming on, to the parent, with that key.
            let set = try await StreamConfigCLI.run(["child", "set", "--file", child.streamConfURL.path,
                                                     "--destination", parent.address, "--api-key", key, "--target", "1.37"])
            #expect(set.status == 0, "\(set)")

            // Both files still lint clean and kept every stock comment line.
            for file in [parent.streamConfURL, child.streamConfURL] {
                let (result, findings) = try await StreamConfigCLI.lint(file)
                #expect(!findings.contains { $0.severity == "error" }, "\(result)")
                let text = try String(contentsOf: file, encoding: .utf8)
                let stockComments = stockText.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
                #expect(stockComments.allSatisfy { text.contains($0) })
            }

            try await parent.start()
            try await child.start()
            #expect(await parent.waitUntilReachable(childHost), "\(childHost) not reachable at the parent\n\(lab.logTails())")
        }
    }
}
