import Foundation
import Testing
import TestSupport

/// README's shape: the build and test commands come first (CI runs exactly the second), then
/// Netdata's five steps in order, before the reference; every block with commands is either run
/// by DocExamplesInteropTests or says why not.
@Suite struct DocStructureTests {
    static let readme = (try? String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    @Test func testTheFirstTwoCommandsBuildAndTestAndCIRunsTheSecond() throws {
        let commands = DocExamples.markdown(Self.readme, document: "README.md").flatMap(\.commands)
        #expect(commands.prefix(2) == ["./scripts/run.sh lint /etc/netdata/stream.conf", "./scripts/test.sh"], "\(commands.prefix(2))")
        let ci = try String(contentsOf: CLI.packageRoot.appendingPathComponent(".ci/run"), encoding: .utf8)
        let ciCommands = ci.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("set ") && !$0.hasPrefix("cd ") }
        #expect(ciCommands == ["./scripts/test.sh"], "\(ciCommands)")
    }

    /// Open stream.conf, the parent's key, the child, TLS, troubleshooting: in this order, each
    /// with its command, before `## Install` and the command reference.
    @Test func testTheFiveStepsComeInNetdatasOrderBeforeTheReference() throws {
        let text = Self.readme
        let steps = ["**1. Open stream.conf**", "**2. On the parent: an API key.**", "**3. On each child: stream to the parent.**", "**4. TLS.**", "**5. Troubleshoot.**"]
        let positions = steps.map { text.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(zip(steps, positions).filter { $0.1 == nil }.map(\.0))")
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted(), "the steps are out of order")
        let reference = try #require(text.range(of: "\n## Install\n")?.lowerBound)
        #expect(found.allSatisfy { $0 < reference })
        let blocks = DocExamples.markdown(text, document: "README.md")
        let stepCommands = blocks.filter { $0.host == "parent" || $0.host == "child" }.flatMap(\.commands)
        for command in ["stream-config edit stream.conf", "stream-config parent add-key", "stream-config child set", "stream-config tls init",
                        "--ssl --ca-file", "stream-config doctor", "journalctl --namespace=netdata MESSAGE_ID=ed4cdb8f1beb4ad3b57cb3cae2d162fa"] {
            #expect(stepCommands.contains { $0.contains(command) }, "no step runs \(command)")
        }
    }

    @Test func testEveryBlockIsRunOrSaysWhyNot() throws {
        for (document, blocks) in [("README.md", DocExamples.markdown(Self.readme, document: "README.md")),
                                   ("man/stream-config.1", DocExamples.mdoc(try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/stream-config.1"), encoding: .utf8), document: "man"))] {
            #expect(!blocks.isEmpty, "\(document)")
            for block in blocks {
                if case .skipped(let reason) = block.kind { #expect(reason.count > 10, "\(block): a skipped block gives its reason") }
                if case .file = block.kind { continue }
                #expect(!block.commands.isEmpty, "\(block) holds no command")
            }
        }
        // The parser itself: annotations, console prompts, continuations.
        let sample = "<!-- doc-test: host=child stdin=key exit=1 -->\n```sh\nsudo a \\\n  --b\n# c\nd\n```\n```console\n$ e\nout\n```\n<!-- doc-test: skip: needs root -->\n```sh\nf\n```\n```yaml\ng: 1\n```\n"
        let parsed = DocExamples.markdown(sample, document: "s")
        #expect(parsed.count == 3)
        #expect(parsed[0].host == "child" && parsed[0].stdinKey && parsed[0].allowedExits == [0, 1] && parsed[0].commands == ["sudo a --b", "d"])
        #expect(parsed[1].kind == .console && parsed[1].commands == ["e"])
        #expect(parsed[2].kind == .skipped(reason: "needs root"))
    }
}
