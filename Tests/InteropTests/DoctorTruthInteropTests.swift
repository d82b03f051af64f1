// `doctor` tells the truth against real Netdata 1.37.1 (issue 17, items 9-12): a parent with
// Debian's own stock netdata.conf is found bound to loopback, at the exact line, and the line
// doctor suggests makes it listen where a remote child connects; a probe without the child's
// machine GUID leaves no node on the parent; an accepted probe ends as soon as the prompt is read.

import Foundation
import StreamConfig
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("doctor tells the truth vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .serialized, .timeLimit(.minutes(4)))
struct DoctorTruthInteropTests {
    static let key = "6a0f2c4e-8b1d-4f3a-9c5e-7d2b1a0e9f81"
    /// Debian's stock netdata.conf, as netdata-core installs it (a conffile: `dpkg -L netdata-core`).
    static let stockNetdataConf = ProcessInfo.processInfo.environment["STREAM_CONFIG_STOCK_NETDATA_CONF"] ?? "/etc/netdata/netdata.conf"

    struct Verdict: Decodable { var destination: String; var verdict: String; var code: String; var summary: String; var fix: String? }

    static func verdicts(_ result: CommandResult) -> [Verdict] {
        (try? JSONDecoder().decode([Verdict].self, from: Data(result.stdout.utf8))) ?? []
    }

    func childConf(_ lab: NetdataLab, destination: String, tag: String) throws -> URL {
        let conf = lab.root.appendingPathComponent("doctor-\(tag).conf")
        try Data("[stream]\n    enabled = yes\n    destination = \(destination)\n    api key = \(Self.key)\n    timeout seconds = 10\n".utf8).write(to: conf)
        return conf
    }

    // MARK: item 9: Debian's stock netdata.conf, in a network namespace of the test's own

    /// A parent that runs in a network namespace of its own (only its loopback: 127.0.0.0/8),
    /// so that a line listening on every address exposes nothing. Stopped by PID (the lab stops
    /// it too); the namespace goes away with its last process.
    struct NamespacedParent {
        var process: LabProcess
        var port: Int

        /// Runs `arguments` inside the namespace.
        func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandResult {
            try await Command.run("/usr/bin/nsenter", ["-t", String(process.pid), "-n", "--", executable] + arguments, timeout: timeout)
        }

        func answers(at address: String) async -> Bool {
            (try? await run("/usr/bin/curl", ["-fsS", "-m", "2", "http://\(address)/api/v1/info"], timeout: .seconds(5)))?.status == 0
        }
    }

    func startNamespaced(_ lab: NetdataLab, _ instance: NetdataInstance, name: String) async throws -> NamespacedParent {
        let command = "ip link set lo up && exec \(NetdataLab.netdataPath) -D -c '\(instance.netdataConfURL.path)' -P '\(instance.dir.path)/run/netdata.pid.nd'"
        let process = try lab.spawn(name: name, executable: "/usr/bin/unshare", arguments: ["--net", "--", "/bin/sh", "-c", command],
                                    environment: ["DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"])
        let parent = NamespacedParent(process: process, port: instance.port)
        let up = await poll(timeout: .seconds(30)) {
            guard process.isRunning else { return true }
            return await parent.answers(at: "127.0.0.1:\(instance.port)")
        }
        try #require(up && process.isRunning, "netdata in its namespace did not answer on 127.0.0.1:\(instance.port)\n\(lab.logTails())")
        return parent
    }

    @Test func testDebianStockNetdataConfIsNamedAtItsLineAndTheAdvisedLineLetsRemoteChildrenIn() async throws {
        guard FileManager.default.fileExists(atPath: Self.stockNetdataConf) else {
            try #require(!NetdataLab.interopRequired, "\(Self.stockNetdataConf) is missing: install netdata-core (scripts/deps.sh)")
            print("DoctorTruthInteropTests: skipped, \(Self.stockNetdataConf) is missing (netdata-core is not installed)")
            return
        }
        if let why = NetdataLab.namespacesWaived {
            print("DoctorTruthInteropTests: skipped, scripts/test.sh found no network namespaces here: \(why)")
            return
        }
        let unshare = try await Command.run("/usr/bin/unshare", ["--net", "--", "/bin/true"])
        try #require(unshare.status == 0, "network namespaces are needed (the parent listens on every address in one of its own): \(unshare)")
        let stock = try String(contentsOfFile: Self.stockNetdataConf, encoding: .utf8)
        let stockLines = stock.split(separator: "\n", omittingEmptySubsequences: false)
        let bindLine = try #require(stockLines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "bind socket to IP = 127.0.0.1" },
                                    "Debian's stock netdata.conf no longer says `bind socket to IP = 127.0.0.1`") + 1

        try await NetdataLab.run { lab in
            let instance = try lab.instance(hostname: "doctor-debian-parent", streamConf: "[\(Self.key)]\n    type = api\n    enabled = yes\n")
            // Debian's file first, byte for byte; then what a private instance needs (its own
            // directories, port and logs), without a `[web] bind to` of its own.
            let lab137 = try String(contentsOf: instance.netdataConfURL, encoding: .utf8)
                .replacingOccurrences(of: "    bind to = \(instance.address)\n", with: "")
            #expect(!lab137.contains("bind to"))
            try Data((stock + (stock.hasSuffix("\n") ? "" : "\n") + lab137).utf8).write(to: instance.netdataConfURL)
            let conf = instance.netdataConfURL.path

            var parent = try await startNamespaced(lab, instance, name: "debian-parent")
            // A remote child (another address of the namespace's loopback) is refused: 1.37.1
            // honours `[global] bind socket to IP`.
            let remote = "127.0.0.2:\(instance.port)"
            let child = try childConf(lab, destination: remote, tag: "debian-remote")
            let doctorArgs = ["doctor", "--config", child.path, "--format", "json", "--target", "1.37", "--hostname", "doctor-remote",
                              "--machine-guid", UUID().uuidString.lowercased()]
            let before = try await parent.run(StreamConfigCLI.binaryPath(), doctorArgs)
            #expect(before.status == 1 && Self.verdicts(before).first { $0.destination == remote }?.code == "connection-refused", "\(before)")

            // On the parent, with no --config: stream.conf is found through `[directories] config`.
            let check = try await StreamConfigCLI.run(["doctor", "--parent", "--netdata-conf", conf, "--format", "json"])
            #expect(check.status == 1, "\(check)")
            let verdicts = Self.verdicts(check)
            #expect(verdicts.first?.code == "keys", "stream.conf not found through [directories] config: \(check)")
            let loopback = try #require(verdicts.first { $0.code == "bound-to-loopback" }, "\(check)")
            #expect(loopback.summary.hasPrefix("\(conf):\(bindLine): `bind socket to IP = 127.0.0.1`"), "\(loopback.summary)")
            let advised = Advice.listenOnEveryAddress(replacing: "bind socket to IP", value: "127.0.0.1")
            #expect(loopback.fix == "in \(conf), change line \(bindLine) to `\(advised)`, then restart Netdata", "\(loopback.fix ?? "")")

            // Apply the fix as a user would: that line, replaced by the one doctor printed.
            let fix = try #require(loopback.fix)
            let line = try #require(fix.firstMatch(of: /change line (\d+) to `([^`]+)`/), "\(fix)")
            var lines = try String(contentsOfFile: conf, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let index = try #require(Int(line.1)) - 1
            lines[index] = String(lines[index].prefix { $0 == " " || $0 == "\t" }) + String(line.2)
            try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: conf))

            await parent.process.stop()
            parent = try await startNamespaced(lab, instance, name: "debian-parent-fixed")
            #expect(await parent.answers(at: remote), "the parent does not listen at \(remote) after the fix\n\(lab.logTails())")
            let after = try await parent.run(StreamConfigCLI.binaryPath(), doctorArgs)
            #expect(after.status == 0 && Self.verdicts(after).first { $0.destination == remote }?.code == "accepted", "\(after)\n\(lab.logTails())")
            let recheck = try await StreamConfigCLI.run(["doctor", "--parent", "--netdata-conf", conf, "--format", "json"])
            #expect(recheck.status == 0 && !Self.verdicts(recheck).contains { $0.code == "bound-to-loopback" }, "\(recheck)")
            await parent.process.stop()
        }
    }

    // MARK: item 10: no ghost nodes

    @Test func testWithoutTheChildsGUIDNoNodeIsLeftOnTheParent() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "doctor-ghost-parent", streamConf: "[\(Self.key)]\n    type = api\n    enabled = yes\n")
            try await parent.start()
            let conf = try childConf(lab, destination: parent.address, tag: "ghost")

            // Why: a STREAM request with a made-up GUID (what doctor used to send) leaves a node
            // the parent keeps, never reachable.
            let madeUp = UUID().uuidString.lowercased()
            let old = try await StreamConfigCLI.run(["doctor", "--config", conf.path, "--target", "1.37", "--hostname", "doctor-made-up-guid",
                                                     "--machine-guid", madeUp])
            #expect(old.status == 0, "\(old)")
            let ghost = await poll(timeout: .seconds(10)) { (try? await parent.mirroredHost("doctor-made-up-guid"))??.reachable == false }
            let afterMadeUp = try? await parent.info()
            #expect(ghost, "a STREAM probe with a made-up GUID left no node? \(String(describing: afterMadeUp))")

            // Without the child's registry file: no STREAM request, only a GET; no node.
            let registry = lab.root.appendingPathComponent("child-registry")
            try FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true)
            let netdataConf = lab.root.appendingPathComponent("child-netdata.conf")
            try Data("[global]\n    hostname = doctor-no-guid\n[directories]\n    registry = \(registry.path)\n".utf8).write(to: netdataConf)
            let hostsBefore = try await parent.info().mirrored_hosts ?? []
            let none = try await StreamConfigCLI.run(["doctor", "--config", conf.path, "--netdata-conf", netdataConf.path, "--target", "1.37", "--format", "json"])
            #expect(none.status == 1, "\(none)")
            let verdicts = Self.verdicts(none)
            #expect(verdicts.map(\.code) == ["machine-guid-unknown", "reachable"], "\(none)")
            #expect(verdicts.first?.summary.contains("\(registry.path)/netdata.public.unique.id does not exist") == true, "\(none)")
            let info = try await parent.info()
            #expect((info.mirrored_hosts ?? []) == hostsBefore, "\(info)")
            #expect(info.mirrored_hosts_status?.contains { $0.hostname == "doctor-no-guid" } == false, "\(info)")
            #expect(!parent.log("access.log").contains("doctor-no-guid"))

            // With the child's registry file: its real GUID, which is the node the parent would
            // hold for this child anyway.
            let real = UUID().uuidString.lowercased()
            try Data("\(real)\n".utf8).write(to: registry.appendingPathComponent("netdata.public.unique.id"))
            let found = try await StreamConfigCLI.run(["doctor", "--config", conf.path, "--netdata-conf", netdataConf.path, "--target", "1.37", "--format", "json"])
            #expect(found.status == 0 && Self.verdicts(found).first?.code == "accepted", "\(found)")
            let node = await poll(timeout: .seconds(10)) { (try? await parent.mirroredHost("doctor-no-guid"))??.guid == real }
            let afterReal = try? await parent.info()
            #expect(node, "\(String(describing: afterReal))")
        }
    }

    // MARK: item 11 and 12: timing, and plain and TLS probes agree

    /// An accepting parent keeps the connection open after its prompt: doctor reads the prompt
    /// and ends, well before its 10 s timeout. Over TLS, the same parent's answers get the same
    /// verdicts as over plaintext.
    @Test func testAnAcceptedProbeEndsAtTheAnswerAndTLSAgreesWithPlain() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "doctor-timing-parent", streamConf: "[\(Self.key)]\n    type = api\n    enabled = yes\n")
            let ssl = parent.etcDir.appendingPathComponent("ssl").path
            let made = try await StreamConfigCLI.run(["tls", "init", "--dir", ssl, "--name", "localhost", "127.0.0.1", "--netdata-conf", parent.netdataConfURL.path])
            #expect(made.status == 0, "\(made)")
            try await parent.start()

            let tlsConf = lab.root.appendingPathComponent("doctor-timing-tls.conf")
            try Data("[stream]\n    enabled = yes\n    destination = \(parent.address):SSL\n    api key = \(Self.key)\n    CAfile = \(ssl)/stream.crt\n    timeout seconds = 10\n".utf8).write(to: tlsConf)
            let clock = ContinuousClock()
            let started = clock.now
            let tls = try await StreamConfigCLI.run(["doctor", "--config", tlsConf.path, "--format", "json", "--target", "1.37", "--hostname", "doctor-timing",
                                                     "--machine-guid", UUID().uuidString.lowercased()])
            let elapsed = clock.now - started
            #expect(tls.status == 0, "\(tls)\n\(lab.logTails())")
            #expect(elapsed < .seconds(5), "an accepted TLS probe took \(elapsed) of its 10 s timeout")
            let tlsVerdicts = Self.verdicts(tls)
            #expect(tlsVerdicts.first { $0.destination == parent.address }?.code == "accepted", "\(tls)")
            #expect(tlsVerdicts.filter { $0.verdict == "accepted" }.allSatisfy { $0.fix == nil }, "\(tls)")

            // The 1.37.1 parent answers the pre-flight over TLS with its 404: the same
            // verdict and code as a plaintext 404 (a 1.x parent), not "no answer".
            let info = tlsVerdicts.first { $0.destination == "\(parent.address) stream_info" }
            #expect(info?.code == "stream-info-v1" && info?.verdict == "accepted", "\(tls)")
            let other = try lab.instance(hostname: "doctor-timing-plain-parent", streamConf: "[\(Self.key)]\n    type = api\n    enabled = yes\n")
            try await other.start()
            let plainConf = try childConf(lab, destination: other.address, tag: "timing-plain")
            let startedPlain = clock.now
            let plain = try await StreamConfigCLI.run(["doctor", "--config", plainConf.path, "--format", "json", "--target", "1.37", "--hostname", "doctor-timing-plain",
                                                       "--machine-guid", UUID().uuidString.lowercased()])
            let plainElapsed = clock.now - startedPlain
            #expect(plain.status == 0 && plainElapsed < .seconds(5), "took \(plainElapsed)\n\(plain)")
            let plainInfo = Self.verdicts(plain).first { $0.destination == "\(other.address) stream_info" }
            #expect(plainInfo?.code == info?.code && plainInfo?.verdict == info?.verdict, "plain \(plain)\nTLS \(tls)")
        }
    }
}
