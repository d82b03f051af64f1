// `lint --fix` against real Netdata 1.37.1: a child whose stream.conf has an inline comment after
// `enabled` and `:ssl` in the wrong case does not stream to a TLS-only parent; after `lint --fix`
// (and nothing else) it does.

import Foundation
import StreamConfig
import Testing

@Suite("lint --fix vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .serialized, .timeLimit(.minutes(5)))
struct FixInteropTests {
    @Test func testFixedChildStreamsWhereTheBrokenOneDidNot() async throws {
        try await NetdataLab.run { lab in
            let p = try await AdviceInteropTests().advisedParent(lab, .tlsForced, tag: "fix-tls")
            try p.instance.writeStreamConf("[\(StreamAdvice.Example.key)]\n" + StreamAdvice.keySection(allowFrom: "localhost").map { "    \($0)\n" }.joined())
            try await p.instance.start()

            let broken = """
                [stream]
                    enabled = yes # to the TLS parent
                    destination = \(p.streamingAddress):ssl
                    api key = \(StreamAdvice.Example.key)
                    \(StreamAdvice.skipCertificateVerification)

                """
            let child = try lab.instance(hostname: "fix-child", streamConf: broken)
            let lint = try await StreamConfigCLI.lint(child.streamConfURL, target: "1.37")
            #expect(Set(lint.findings.map(\.code)).isSuperset(of: ["SC108", "SC503"]), "\(lint.result)")
            try await child.start()
            // A bounded look, not synchronisation: the broken child must not appear in 10 s
            // (the fixed one appears in about 3 s).
            #expect(!(await waitUntilStreaming("fix-child", at: p.instance, caFile: p.certificate, timeout: .seconds(10))),
                    "the broken child streams?\n\(lab.logTails())")

            let fix = try await StreamConfigCLI.run(["lint", "--fix", "--target", "1.37", child.streamConfURL.path])
            #expect(fix.stderr.contains("fixed [SC108]") && fix.stderr.contains("fixed [SC503]"), "\(fix)")
            let fixed = try String(contentsOf: child.streamConfURL, encoding: .utf8)
            #expect(fixed.contains("    # to the TLS parent\n    enabled = yes\n") && fixed.contains("\(p.streamingAddress):SSL\n"), "\(fixed)")
            try await child.restart()
            #expect(await waitUntilStreaming("fix-child", at: p.instance, caFile: p.certificate), "after --fix\n\(lab.logTails())")
        }
    }
}
