// Every stream.conf line stream-config tells a user to write (StreamAdvice.swift) applied to real
// Netdata 1.37.1 agents: the documented stanzas, with the lab's addresses and keys in their
// placeholders, start and stream, and a fix (doctor's for a refused key, for a plaintext child
// of a TLS parent) turns a refused child into one that streams when exactly its lines are applied.
// Two Netdata runs: a plain parent/proxy/grandparent chain, and a TLS parent with a relay.

import Foundation
import StreamConfig
import Testing

@Suite("stream.conf advice vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .serialized, .timeLimit(.minutes(5)))
struct AdviceStreamConfInteropTests {
    typealias Example = StreamAdvice.Example
    /// The key of a second section on the proxy, whose children it keeps.
    static let keptKey = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
    static let relayKey = "11111111-2222-4333-8444-555555555555"

    /// `[header]` and the advice lines, indented as the documentation shows them.
    func stanza(_ header: String, _ lines: [String]) -> String {
        "[\(header)]\n" + lines.map { "    \($0)\n" }.joined() + "\n"
    }

    /// doctor (child mode, 1.37 child) for a child whose `[stream]` is `lines`: its STREAM step.
    func doctor(_ lab: NetdataLab, _ lines: [String], destination: String, tag: String) async throws -> (CommandResult, [String: Any]?) {
        let conf = lab.root.appendingPathComponent("doctor-\(tag).conf")
        try Data(stanza("stream", lines + ["timeout seconds = 10"]).utf8).write(to: conf)
        let result = try await StreamConfigCLI.run(["doctor", "--config", conf.path, "--format", "json", "--target", "1.37",
                                                    "--hostname", "sadv-doctor-\(tag)", "--machine-guid", UUID().uuidString.lowercased()])
        let items = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [[String: Any]] ?? []
        return (result, items.first { $0["destination"] as? String == destination })
    }

    func lint(_ file: URL) async throws -> CommandResult {
        try await StreamConfigCLI.run(["lint", "--target", "1.37", "--show-secrets", file.path])
    }

    /// A grandparent with the documented parent key (1.37 spelling); a proxy that first lacks
    /// `enabled = yes` (lint SC306 and doctor's key-refused name the lines), then gets exactly
    /// doctor's lines, a key whose children it keeps (lint SC704's line) and a machine section it
    /// keeps (the documented one), their `allow from` as lint's SC601 and SC609 hints write it.
    /// Child A is forwarded to the grandparent; B (the machine) and C (the kept key) stream to
    /// the proxy only. The children's `[stream]` carry the SC706, SC607 and SC411-style lines.
    @Test func testKeyProxyAndMachineAdviceOnAChain() async throws {
        try await NetdataLab.run { lab in
            let grandparent = try lab.instance(hostname: "sadv-grandparent",
                                               streamConf: stanza(Example.grandparentKey, StreamAdvice.parentKey(.v1_37, allowFrom: Example.children)),
                                               dbMode: "dbengine")
            let gLint = try await lint(grandparent.streamConfURL)
            #expect(gLint.status == 0 && !gLint.stdout.contains("warning"), "\(gLint)")
            try await grandparent.start()

            let proxyStream = stanza("stream", StreamAdvice.child(destinations: [grandparent.address], apiKey: Example.grandparentKey)
                                                 + [StreamAdvice.builtInTimeout(.v1_37)])
            let proxy = try lab.instance(hostname: "sadv-proxy", streamConf: proxyStream + stanza(Example.key, [StreamAdvice.typeAPI]))
            let before = try await lint(proxy.streamConfURL)
            #expect(before.stdout.contains("[SC306]") && before.stdout.contains("`\(StreamAdvice.enableKey)`"), "\(before)")
            try await proxy.start()
            let childLines = StreamAdvice.child(destinations: [proxy.address], apiKey: Example.key)
            let (refused, step) = try await doctor(lab, childLines, destination: proxy.address, tag: "refused")
            let fix = step?["fix"] as? String ?? ""
            #expect(refused.status == 1 && step?["code"] as? String == "key-refused", "\(refused)")
            let advised = StreamAdvice.keySection(allowFrom: "localhost")
            #expect(advised.allSatisfy { fix.contains("`\($0)`") }, "doctor's fix names the lines applied next: \(fix)")

            // Exactly the advised lines, plus a kept key and the documented machine section, with
            // lint's corrections for patterns that refused a loopback child (SC601, SC609).
            let bGUID = UUID().uuidString.lowercased()
            let kept = StreamAdvice.keySection() + [StreamAdvice.noProxy(.v1_37, machine: false), StreamAdvice.allowEveryoneElse("allow from", "!10.1.2.3")]
            let machine = StreamAdvice.machineKept + [StreamAdvice.allowLocalhostToo("allow from", "127.*")]
            let fixed = proxyStream + stanza(Example.key, advised) + stanza(Self.keptKey, kept) + stanza(bGUID, machine)
            try proxy.writeStreamConf(fixed)
            let after = try await lint(proxy.streamConfURL)
            #expect(after.status == 0 && after.stdout.contains("[SC704]") && after.stdout.contains("`\(StreamAdvice.noProxy(.v1_37, machine: false))`"), "\(after)")
            await proxy.stop()
            try await proxy.start()
            let (accepted, acceptedStep) = try await doctor(lab, childLines, destination: proxy.address, tag: "fixed")
            #expect(accepted.status == 0 && acceptedStep?["code"] as? String == "accepted", "\(accepted)\n\(lab.logTails())")

            let a = try lab.instance(hostname: "sadv-a", streamConf: stanza("stream", childLines + [StreamAdvice.stockTimeout137,
                                                                                                  StreamAdvice.allowEveryoneElse("send charts matching", "!apps.*")]))
            let b = try lab.instance(hostname: "sadv-b", streamConf: stanza("stream", childLines))
            let registry = b.dir.appendingPathComponent("lib/registry")
            try FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true)
            try writeFile(registry.appendingPathComponent("netdata.public.unique.id"), Data(bGUID.utf8))
            let c = try lab.instance(hostname: "sadv-c", streamConf: stanza("stream", StreamAdvice.child(destinations: [proxy.address], apiKey: Self.keptKey)
                                                                         + [StreamAdvice.sendEveryChart()]))
            for child in [a, b, c] { try await child.start() }
            for host in ["sadv-a", "sadv-b", "sadv-c"] {
                #expect(await proxy.waitUntilStreaming(host), "\(host) at the proxy\n\(lab.logTails())")
            }
            #expect(await grandparent.waitUntilStreaming("sadv-a"), "forwarded\n\(lab.logTails())")
            let mirrored = try await grandparent.info().mirrored_hosts ?? []
            #expect(!mirrored.contains("sadv-b") && !mirrored.contains("sadv-c"), "kept on the proxy: \(mirrored)")
            #expect(try await proxy.mirroredHost("sadv-b")?.guid == bGUID)
        }
    }

    /// A TLS-only parent (Advice's netdata.conf lines): a plaintext child is `tls-expected`, and
    /// doctor's lines (`:SSL` entry, `CAfile`) make it stream; `ssl skip certificate verification
    /// = yes` (lab only) streams too; the README's relay config, with the lab's certificate and
    /// addresses, forwards a plaintext child to that parent.
    @Test func testTLSChildAdviceAndTheRelayExample() async throws {
        try await NetdataLab.run { lab in
            let p = try await AdviceInteropTests().advisedParent(lab, .tlsForced, tag: "sadv-tls")
            try p.instance.writeStreamConf(stanza(Example.key, StreamAdvice.keySection(allowFrom: "localhost")))
            try await p.instance.start()

            let plainLines = StreamAdvice.child(destinations: [p.streamingAddress], apiKey: Example.key)
            let (plain, step) = try await doctor(lab, plainLines, destination: p.streamingAddress, tag: "plain")
            let fix = step?["fix"] as? String ?? ""
            #expect(plain.status == 1 && step?["code"] as? String == "tls-expected", "\(plain)")
            #expect(fix.contains("`\(StreamAdvice.tlsEntry(p.streamingAddress))`") && fix.contains("`\(StreamAdvice.caFile(Example.parentCertificate))`"), "\(fix)")

            // doctor's lines, with the lab's copy of the parent's certificate as the documented path.
            let verified = StreamAdvice.child(destinations: [p.streamingAddress], apiKey: Example.key, tls: true, caFile: p.certificate)
            let d = try lab.instance(hostname: "sadv-d", streamConf: stanza("stream", verified))
            let unverified = StreamAdvice.child(destinations: [p.streamingAddress], apiKey: Example.key, tls: true) + [StreamAdvice.skipCertificateVerification]
            let e = try lab.instance(hostname: "sadv-e", streamConf: stanza("stream", unverified))
            let relay = try await lab.startRelay(streamConf: stanza("stream", StreamAdvice.relayStream(caFile: p.certificate))
                + stanza(Self.relayKey, StreamAdvice.relayKey(allowFrom: "localhost", parents: [StreamAdvice.tlsEntry(p.streamingAddress)], parentsKey: Example.key)))
            let f = try lab.instance(hostname: "sadv-f", streamConf: stanza("stream", StreamAdvice.child(destinations: [relay.address], apiKey: Self.relayKey)))
            for child in [d, e, f] { try await child.start() }
            for host in ["sadv-d", "sadv-e", "sadv-f"] {
                #expect(await waitUntilStreaming(host, at: p.instance, caFile: p.certificate), "\(host)\n\(lab.logTails())\n\(relay.log().suffix(2000))")
            }
        }
    }
}
