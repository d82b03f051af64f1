// Every command README.md and the man pages show is run (DocExamples in TestSupport says which
// blocks and how), and README's five steps set up a real Netdata 1.37.1 parent and child that
// stream: first in plaintext (steps 2 and 3), then over TLS with the parent's certificate
// verified (step 4); doctor (step 5) then accepts the child, and both files lint clean.

import Foundation
import TestSupport
import Testing

@Suite("README and man page commands, run against real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .serialized,
       .timeLimit(.minutes(10)))
struct DocExamplesInteropTests {
    static let packageRoot = StreamConfigCLI.packageRoot()

    /// A host for the reference examples: the files they name as already there.
    static func fixtureHost(_ root: URL) async throws -> DocRunner.Host {
        let host = DocRunner.Host(root: root.path)
        let fm = FileManager.default
        for dir in [host.etc + "/ssl", host.log, root.path + "/var/lib/netdata/registry", root.path + "/root"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: NetdataLab.stockConfigDir + "/stream.conf", toPath: host.etc + "/stream.conf")
        // Debian's own netdata.conf (netdata-core), as on a fresh install.
        let debian = "/etc/netdata/netdata.conf"
        if fm.fileExists(atPath: debian) { try fm.copyItem(atPath: debian, toPath: host.etc + "/netdata.conf") } else {
            try Data("[global]\n".utf8).write(to: URL(fileURLWithPath: host.etc + "/netdata.conf"))
        }
        try Data((UUID().uuidString.lowercased() + "\n").utf8).write(to: root.appendingPathComponent("var/lib/netdata/registry/netdata.public.unique.id"))
        try Data((UUID().uuidString.lowercased() + "\n").utf8).write(to: root.appendingPathComponent("root/parent.key"))
        for log in ["error.log", "access.log"] { _ = fm.createFile(atPath: "\(host.log)/\(log)", contents: Data()) }
        // The parent's certificate, as copied to a child: made by tls init.
        let tls = root.appendingPathComponent("parent-tls").path
        let made = try await StreamConfigCLI.run(["tls", "init", "--dir", tls, "--name", "parent.example"])
        guard made.status == 0 else { throw LabError("tls init for the fixtures: \(made)") }
        try fm.copyItem(atPath: tls + "/stream.crt", toPath: host.etc + "/ssl/parent.crt")
        try fm.copyItem(atPath: tls + "/stream.crt", toPath: host.etc + "/parent.pem")
        // A fleet file and its hosts' files in the working directory (`fleet check fleet.yaml`).
        for name in ["fleet.yaml", "hosts"] {
            try fm.copyItem(at: packageRoot.appendingPathComponent("fixtures/fleet/\(name)"), to: root.appendingPathComponent(name))
        }
        return host
    }

    /// The child's entry in the parent's `mirrored_hosts_status`, over http or (after step 4) https.
    static func childStreams(_ child: String, at parent: NetdataInstance) async -> Bool {
        for url in ["\(parent.baseURL)/api/v1/info", "https://\(parent.address)/api/v1/info"] {
            guard let r = try? await Command.run("/usr/bin/curl", ["-fsSk", "-m", "2", url], timeout: .seconds(5)), r.status == 0,
                  let info = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
                  let hosts = info["mirrored_hosts_status"] as? [[String: Any]] else { continue }
            if hosts.contains(where: { $0["hostname"] as? String == child && $0["reachable"] as? Bool == true }) { return true }
        }
        return false
    }

    struct Tally {
        var run = 0, commands = 0
        var skipped: [String] = []
    }

    /// Runs `blocks` in order; `after` is called with each block and what it restarted.
    static func run(_ blocks: [DocBlock], _ runner: DocRunner, tally: inout Tally,
                    after: (DocBlock, DocRunner.Outcome) async throws -> Void = { _, _ in }) async throws {
        var key: String? = nil
        for block in blocks {
            if case .skipped(let reason) = block.kind {
                #expect(!reason.isEmpty, "\(block): a block that is not run says why")
                tally.skipped.append("\(block): \(reason)")
                continue
            }
            if case .file = block.kind {
                _ = try runner.run(block, key: nil)
                continue
            }
            var allowed = block.allowedExits
            // Sample output of an example file: its findings (exit 1) are what the sample shows.
            if block.kind == .console { allowed.insert(1) }
            let currentKey = key
            let outcome = try await onOwnThread { try runner.run(block, key: currentKey) }
            tally.run += 1
            tally.commands += block.commands.count
            let unexpected = outcome.failures.filter { !allowed.contains($0.status) }
            #expect(outcome.finished && unexpected.isEmpty,
                    "\(block) [\(block.host)]: \(unexpected.map { "exit \($0.status): \($0.command)" })\n\(block.text)\n--- stdout\n\(outcome.stdout)\n--- stderr\n\(outcome.stderr)")
            key = DocRunner.lastKey(in: outcome.stdout) ?? key
            try await after(block, outcome)
        }
    }

    @Test func testEveryReadmeCommandRunsAndTheFiveStepsStream() async throws {
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = DocExamples.markdown(readme, document: "README.md")
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "doc-parent", streamConf: "")
            let child = try lab.instance(hostname: "doc-child", streamConf: "")
            // A fresh install: no stream.conf yet, so the commands start from the stock file.
            for instance in [parent, child] { try FileManager.default.removeItem(at: instance.streamConfURL) }
            let sandbox = lab.root.appendingPathComponent("docs")
            var hosts: [String: DocRunner.Host] = [:]
            for (name, instance) in [("parent", parent), ("child", child)] {
                let root = sandbox.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: root.appendingPathComponent("var/lib/netdata/registry"), withIntermediateDirectories: true)
                hosts[name] = DocRunner.Host(root: root.path, etc: instance.etcDir.path, log: instance.logDir.path)
            }
            hosts["local"] = try await Self.fixtureHost(sandbox.appendingPathComponent("local"))
            let runner = DocRunner(directory: sandbox.path, binary: StreamConfigCLI.binaryPath(), hosts: hosts,
                                   substitutions: [("10.1.0.5:19999", parent.address), ("10.1.*", "localhost")],
                                   scpHosts: ["10.1.0.5": "parent", "parent.example": "parent"])
            var tally = Tally()
            var streamed = 0
            try await Self.run(blocks, runner, tally: &tally) { block, outcome in
                for restarted in outcome.restarts {
                    guard let instance = ["parent": parent, "child": child][restarted] else { continue }
                    if instance.isRunning { try await instance.restart() } else { try await instance.start() }
                }
                if outcome.restarts.contains("child") {
                    let ok = await poll(timeout: .seconds(30)) { await Self.childStreams("doc-child", at: parent) }
                    #expect(ok, "after \(block) the child does not stream to the parent\n\(lab.logTails())")
                    if ok { streamed += 1 }
                }
            }
            // Steps 3 and 4 each ended with a child that streams (plaintext, then TLS).
            #expect(streamed == 2, "the child streamed after \(streamed) of README's 2 child restarts")
            let parentConf = try String(contentsOf: parent.netdataConfURL, encoding: .utf8)
            let childConf = try String(contentsOf: child.streamConfURL, encoding: .utf8)
            #expect(parentConf.contains("ssl certificate") && childConf.contains(":SSL") && childConf.contains("CAfile"), "step 4 set up TLS")
            for file in [parent.streamConfURL, child.streamConfURL] {
                let lint = try await StreamConfigCLI.run(["lint", "--target", "1.37", "--format", "gcc", file.path])
                #expect(lint.status == 0 && lint.stdout.isEmpty, "\(file.path) does not lint clean (no finding at all): \(lint)")
            }
            #expect(tally.run >= 18 && tally.skipped.count == 5, "ran \(tally.run) blocks (\(tally.commands) commands); not run: \(tally.skipped)")
            print("DocExamples README.md: \(tally.run) blocks, \(tally.commands) commands run; \(tally.skipped.count) not run:\n  " + tally.skipped.joined(separator: "\n  "))
        }
    }

    @Test func testEveryManPageCommandRuns() async throws {
        let lab = FileManager.default.temporaryDirectory.appendingPathComponent("doc-man-\(UUID().uuidString.prefix(8).lowercased())")
        defer { try? FileManager.default.removeItem(at: lab) }
        let runner = DocRunner(directory: lab.path, binary: StreamConfigCLI.binaryPath(),
                               hosts: ["man": try await Self.fixtureHost(lab.appendingPathComponent("man"))])
        var tally = Tally()
        for page in ["stream-config.1", "stream.conf.5"] {
            let text = try String(contentsOf: Self.packageRoot.appendingPathComponent("man/\(page)"), encoding: .utf8)
            try await Self.run(DocExamples.mdoc(text, document: "man/\(page)"), runner, tally: &tally)
        }
        #expect(tally.run >= 4, "ran \(tally.run) man page blocks (\(tally.commands) commands); not run: \(tally.skipped)")
        print("DocExamples man pages: \(tally.run) blocks, \(tally.commands) commands run; \(tally.skipped.count) not run: \(tally.skipped)")
    }
}
