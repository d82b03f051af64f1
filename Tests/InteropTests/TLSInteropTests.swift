// `stream-config tls init` against real Netdata 1.37.1 and Debian's openssl: a parent whose TLS
// is configured only by `tls init --netdata-conf`, children configured only by
// `child set --ssl --ca-file` (verification on), and the relay serving the same kind of files.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

private let apiKey = "5c0ffee0-1234-4abc-8def-0123456789ab"
private let relayParentKey = "11111111-2222-4333-8444-555555555555"

@Suite("tls init vs. real Netdata 1.37.1 and openssl", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(3)))
struct TLSInteropTests {
    static let stock = StockFiles.v1

    @Test func testParentFromTLSInitServesVerifiedTLSToChildFromChildSet() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "tls-parent", streamConf: "[\(apiKey)]\n    enabled = yes\n")
            let ssl = parent.etcDir.appendingPathComponent("ssl").path
            let cert = "\(ssl)/stream.crt", key = "\(ssl)/stream.key"

            // The parent: only `tls init --netdata-conf` adds TLS to the lab's netdata.conf.
            let confBefore = try String(contentsOf: parent.netdataConfURL, encoding: .utf8)
            #expect(!confBefore.contains("ssl"))
            let made = try await StreamConfigCLI.run(["tls", "init", "--dir", ssl, "--name", "localhost", "127.0.0.1",
                                                      "--days", "2", "--netdata-conf", parent.netdataConfURL.path])
            #expect(made.status == 0, "\(made)")
            let confAfter = try String(contentsOf: parent.netdataConfURL, encoding: .utf8)
            let before = confBefore.components(separatedBy: "\n"), after = confAfter.components(separatedBy: "\n")
            let anchor = try #require(before.firstIndex { $0.contains("allow streaming from = *") })
            #expect(after == Array(before[...anchor]) + ["    ssl key = \(key)", "    ssl certificate = \(cert)"] + Array(before[(anchor + 1)...]),
                    "netdata.conf changed beyond the two [web] lines:\n\(confAfter)")

            // Debian's openssl reads both files and accepts the certificate as its own CA.
            let text = try await openssl(["x509", "-noout", "-text", "-in", cert])
            #expect(text.status == 0 && text.stdout.contains("CA:TRUE"), "\(text)")
            #expect(try await openssl(["pkey", "-noout", "-in", key]).status == 0)
            let verify = try await openssl(["verify", "-purpose", "sslserver", "-CAfile", cert, cert])
            #expect(verify.status == 0 && verify.stdout.contains("OK"), "\(verify)")

            try await parent.start()

            // TLS on the web port, verified with the certificate as the only CA.
            let handshake = try await sClient(port: parent.port, caFile: cert)
            #expect(handshake.status == 0 && handshake.stdout.contains("Verify return code: 0 (ok)"), "\(handshake)")
            let fingerprint = try #require(made.stdout.split(separator: "\n").first { $0.contains("SHA-256 fingerprint:") }?
                .split(separator: " ").last.map(String.init))
            let served = try await openssl(["x509", "-noout", "-fingerprint", "-sha256"], stdin: handshake.stdout)
            #expect(served.stdout.uppercased().contains("FINGERPRINT=\(fingerprint)"), "served: \(served)")
            // Control: a certificate that is not the parent's does not verify it.
            let other = lab.root.appendingPathComponent("other-ssl").path
            #expect(try await StreamConfigCLI.run(["tls", "init", "--dir", other, "--name", "localhost", "127.0.0.1"]).status == 0)
            let wrong = try await sClient(port: parent.port, caFile: "\(other)/stream.crt")
            #expect(wrong.status != 0 && !wrong.stdout.contains("Verify return code: 0 (ok)"), "\(wrong)")
            // Netdata 1.37.1 with a certificate: API over https; plain HTTP is redirected (301).
            #expect(try await httpsInfo(parent, caFile: cert) != nil)
            let plain = try await Command.run("/usr/bin/curl", ["-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "\(parent.baseURL)/api/v1/info"])
            #expect(plain.stdout == "301 https://\(parent.address)/api/v1/info", "\(plain)")

            // The child: stock stream.conf, then only `child set --ssl --ca-file` (verification on).
            let stockText = try String(contentsOf: Self.stock, encoding: .utf8)
            let childHost = "tls-child"
            let child = try lab.instance(hostname: childHost, streamConf: stockText)
            let childCA = child.etcDir.appendingPathComponent("parent.crt")
            try FileManager.default.copyItem(atPath: cert, toPath: childCA.path)
            let set = try await StreamConfigCLI.run(["child", "set", "--file", child.streamConfURL.path, "--destination", parent.address,
                                                     "--ssl", "--ca-file", childCA.path, "--api-key", apiKey, "--target", "1.37"])
            #expect(set.status == 0, "\(set)")
            let childConf = try String(contentsOf: child.streamConfURL, encoding: .utf8)
            #expect(childConf.contains("destination = \(parent.address):SSL\n") && childConf.contains("CAfile = \(childCA.path)\n"), "\(childConf)")
            #expect(!childConf.contains("\n    ssl skip certificate verification = yes"), "\(childConf)")

            try await child.start()
            let start = ContinuousClock.now
            #expect(await waitUntilStreaming(childHost, at: parent, caFile: cert), "\(childHost) not streaming over TLS\n\(lab.logTails())")
            print("TLSInteropTests: \(childHost) streaming over verified TLS \(ContinuousClock.now - start) after start")
            #expect(!child.log().contains("certificate is not valid"), "\(child.logTail())")

            // Control: a child trusting another certificate is refused by its own verification.
            let strangerHost = "tls-stranger"
            let stranger = try lab.instance(hostname: strangerHost, streamConf: stockText)
            let set2 = try await StreamConfigCLI.run(["child", "set", "--file", stranger.streamConfURL.path, "--destination", parent.address,
                                                      "--ssl", "--ca-file", "\(other)/stream.crt", "--api-key", apiKey, "--target", "1.37"])
            #expect(set2.status == 0, "\(set2)")
            try await stranger.start()
            #expect(await stranger.waitForLog("Closing the stream connection, because the server SSL certificate is not valid."),
                    "the stranger child did not reject the certificate\n\(stranger.logTails())")
            let listed = try #require(try await httpsInfo(parent, caFile: cert)?["mirrored_hosts_status"] as? [[String: Any]])
            #expect(listed.contains { $0["hostname"] as? String == childHost })
            #expect(!listed.contains { $0["hostname"] as? String == strangerHost }, "\(listed)")
        }
    }

    /// Issue 17 item 7: children switched between `--skip-certificate-verification` and
    /// `--ca-file` with `child set` (the other mode's stock lines commented out in place) still
    /// stream over TLS to a real 1.37.1 parent: one ends verifying, one skipping verification.
    @Test func testChildSwitchedBetweenTLSModesStillStreams() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "tls-switch-parent", streamConf: "[\(apiKey)]\n    type = api\n    enabled = yes\n")
            let ssl = parent.etcDir.appendingPathComponent("ssl").path
            let cert = "\(ssl)/stream.crt"
            let made = try await StreamConfigCLI.run(["tls", "init", "--dir", ssl, "--name", "localhost", "127.0.0.1",
                                                      "--days", "2", "--netdata-conf", parent.netdataConfURL.path])
            #expect(made.status == 0, "\(made)")
            try await parent.start()

            let stockText = try String(contentsOf: Self.stock, encoding: .utf8)
            func child(_ host: String, modes: [[String]]) async throws -> (NetdataInstance, String) {
                let instance = try lab.instance(hostname: host, streamConf: stockText)
                let ca = instance.etcDir.appendingPathComponent("parent.crt").path
                try FileManager.default.copyItem(atPath: cert, toPath: ca)
                for mode in modes {
                    let set = try await StreamConfigCLI.run(["child", "set", "--file", instance.streamConfURL.path, "--destination", parent.address,
                                                             "--ssl", "--api-key", apiKey, "--target", "1.37"] + mode.map { $0 == "CA" ? ca : $0 })
                    #expect(set.status == 0, "\(host) \(mode): \(set)")
                }
                let conf = try String(contentsOf: instance.streamConfURL, encoding: .utf8)
                #expect(conf.components(separatedBy: "\n").count == stockText.components(separatedBy: "\n").count, "\(host): no line added or removed\n\(conf)")
                return (instance, conf)
            }
            let (verifying, verifyingConf) = try await child("tls-switch-verify", modes: [["--skip-certificate-verification"], ["--ca-file", "CA"]])
            #expect(verifyingConf.contains("\n    #ssl skip certificate verification = yes\n") && verifyingConf.contains("\n    CAfile = "), "\(verifyingConf)")
            let (skipping, skippingConf) = try await child("tls-switch-skip", modes: [["--ca-file", "CA"], ["--skip-certificate-verification"]])
            #expect(skippingConf.contains("\n    ssl skip certificate verification = yes\n") && skippingConf.contains("\n    #CAfile = "), "\(skippingConf)")

            try await verifying.start()
            try await skipping.start()
            for host in ["tls-switch-verify", "tls-switch-skip"] {
                #expect(await waitUntilStreaming(host, at: parent, caFile: cert), "\(host) not streaming over TLS\n\(lab.logTails())")
            }
            #expect(!verifying.log().contains("certificate is not valid"), "\(verifying.logTail())")
        }
    }

    @Test func testRelayServesTLSWithTLSInitFiles() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "tls-relay-parent", streamConf: "[\(relayParentKey)]\n    enabled = yes\n")
            try await parent.start()
            let ssl = lab.root.appendingPathComponent("relay-ssl").path
            let cert = "\(ssl)/stream.crt", key = "\(ssl)/stream.key"
            let made = try await StreamConfigCLI.run(["tls", "init", "--dir", ssl, "--name", "localhost", "127.0.0.1", "--days", "2"])
            #expect(made.status == 0, "\(made)")

            let relay = try await lab.startRelay(streamConf: """
                [stream]
                    enabled = no

                [\(apiKey)]
                    type = api
                    enabled = yes
                    allow from = localhost
                    default proxy enabled = yes
                    default proxy destination = \(parent.address)
                    default proxy api key = \(relayParentKey)

                """, arguments: ["--tls-certificate", cert, "--tls-key", key])
            #expect(await relay.waitForLog("(plaintext and TLS)"), "\(relay.log())")
            let handshake = try await sClient(port: relay.port, caFile: cert)
            #expect(handshake.status == 0 && handshake.stdout.contains("Verify return code: 0 (ok)"), "\(handshake)\n\(relay.log())")

            let host = "tls-relayed"
            let child = try lab.instance(hostname: host, streamConf: try String(contentsOf: Self.stock, encoding: .utf8))
            let set = try await StreamConfigCLI.run(["child", "set", "--file", child.streamConfURL.path, "--destination", relay.address,
                                                     "--ssl", "--ca-file", cert, "--api-key", apiKey, "--target", "1.37"])
            #expect(set.status == 0, "\(set)")
            try await child.start()
            #expect(await parent.waitUntilStreaming(host), "\(host) not streaming through the TLS relay\n\(lab.logTails())")
            #expect(relay.log().contains("ND_SRC_TRANSPORT=https"), "the child leg was not TLS\n\(relay.log())")
            #expect(!child.log().contains("certificate is not valid"), "\(child.logTail())")
        }
    }

    /// Certificate rotation without a restart: SIGHUP serves the renewed files to the next
    /// child; files that do not fit together keep the running certificate.
    @Test func testRelayReloadsItsCertificateOnSIGHUP() async throws {
        try await NetdataLab.run { lab in
            func made(_ name: String, days: Int) async throws -> (dir: String, fingerprint: String) {
                let dir = lab.root.appendingPathComponent(name).path
                let result = try await StreamConfigCLI.run(["tls", "init", "--dir", dir, "--name", "localhost", "127.0.0.1", "--days", "\(days)"])
                #expect(result.status == 0, "\(result)")
                let fingerprint = try #require(result.stdout.split(separator: "\n").first { $0.contains("SHA-256 fingerprint:") }?
                    .split(separator: " ").last.map(String.init))
                return (dir, fingerprint)
            }
            func served(_ relay: RelayUnderTest, caFile: String) async throws -> String {
                let handshake = try await sClient(port: relay.port, caFile: caFile)
                guard handshake.status == 0, handshake.stdout.contains("Verify return code: 0 (ok)") else { return "no verified handshake: \(handshake)" }
                return try await openssl(["x509", "-noout", "-fingerprint", "-sha256"], stdin: handshake.stdout).stdout.uppercased()
            }
            let old = try await made("old-ssl", days: 2), new = try await made("new-ssl", days: 90)
            let live = lab.root.appendingPathComponent("live-ssl")
            try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
            let cert = live.appendingPathComponent("stream.crt"), key = live.appendingPathComponent("stream.key")
            func install(certificateFrom: String, keyFrom: String) throws {
                try writeFile(cert, try Data(contentsOf: URL(fileURLWithPath: "\(certificateFrom)/stream.crt")))
                try writeFile(key, try Data(contentsOf: URL(fileURLWithPath: "\(keyFrom)/stream.key")), mode: 0o600)
            }
            try install(certificateFrom: old.dir, keyFrom: old.dir)

            let relay = try await lab.startRelay(streamConf: "[\(apiKey)]\n    type = api\n    enabled = yes\n    default proxy enabled = yes\n    default proxy destination = 127.0.0.1:1\n    default proxy api key = \(relayParentKey)\n",
                                                 arguments: ["--tls-certificate", cert.path, "--tls-key", key.path])
            #expect(await relay.waitForLog("(plaintext and TLS)"), "\(relay.log())")
            #expect(relay.log().contains("SHA-256 \(old.fingerprint)"), "the served certificate is not logged\n\(relay.log())")
            #expect(relay.log().contains("left): replace the files and send SIGHUP"), "no expiry warning for a 2-day certificate\n\(relay.log())")
            #expect(try await served(relay, caFile: "\(old.dir)/stream.crt").contains("FINGERPRINT=\(old.fingerprint)"))

            // Renewed files, then SIGHUP: the next handshake gets the new certificate.
            try install(certificateFrom: new.dir, keyFrom: new.dir)
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("SIGHUP: reloaded the TLS certificate"), "\(relay.log())")
            #expect(relay.log().contains("SHA-256 \(new.fingerprint)"), "\(relay.log())")
            #expect(try await served(relay, caFile: "\(new.dir)/stream.crt").contains("FINGERPRINT=\(new.fingerprint)"))

            // A key that is not the certificate's: logged, and the running certificate stays.
            try install(certificateFrom: old.dir, keyFrom: new.dir)
            relay.signal(SIGHUP)
            #expect(await relay.waitForLog("keeping the running certificate"), "\(relay.log())")
            #expect(relay.log().contains("is not the private key of"), "\(relay.log())")
            #expect(try await served(relay, caFile: "\(new.dir)/stream.crt").contains("FINGERPRINT=\(new.fingerprint)"))
            #expect(relay.process.isRunning)

            // The same files at start: a clear refusal (exit 1), not a relay that fails every handshake.
            let refused = try await StreamConfigCLI.run(["relay", "--config", relay.confURL.path, "--listen", "127.0.0.1:\(try FreePort.pick())",
                                                         "--tls-certificate", cert.path, "--tls-key", key.path])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("cannot load --tls-certificate/--tls-key") && refused.stderr.contains("is not the private key of"), "\(refused)")
        }
    }
}

// MARK: - openssl and https helpers

func openssl(_ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
    guard let stdin else { return try await Command.run("/usr/bin/openssl", arguments, timeout: .seconds(30)) }
    // Command.run gives the process /dev/null as stdin: pass the text through a file instead.
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("tls-in-\(UUID().uuidString)")
    try writeFile(input, Data(stdin.utf8))
    defer { try? FileManager.default.removeItem(at: input) }
    return try await Command.run("/usr/bin/openssl", arguments + ["-in", input.path], timeout: .seconds(30))
}

/// `openssl s_client` handshake with `caFile` as the only trust anchor; stdin is /dev/null, so
/// it disconnects right after the handshake. Exit status 0 only if the chain verified.
func sClient(port: Int, caFile: String) async throws -> CommandResult {
    try await Command.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", caFile,
                                               "-verify_return_error", "-no_ign_eof"], timeout: .seconds(20))
}

/// GET over https with curl, verifying the server with `caFile` (and the name 127.0.0.1).
func httpsGet(_ instance: NetdataInstance, _ path: String, caFile: String) async -> String? {
    guard let r = try? await Command.run("/usr/bin/curl", ["-fsS", "-m", "2", "--cacert", caFile, "https://\(instance.address)\(path)"],
                                         timeout: .seconds(5)), r.status == 0 else { return nil }
    return r.stdout
}

func httpsInfo(_ instance: NetdataInstance, caFile: String) async throws -> [String: Any]? {
    guard let body = await httpsGet(instance, "/api/v1/info", caFile: caFile) else { return nil }
    return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
}

/// `mirrored_hosts_status` entry of `host` (over https), nil when not listed.
func hostStatus(_ host: String, at instance: NetdataInstance, caFile: String) async -> [String: Any]? {
    guard let info = try? await httpsInfo(instance, caFile: caFile),
          let hosts = info["mirrored_hosts_status"] as? [[String: Any]] else { return nil }
    return hosts.first { $0["hostname"] as? String == host }
}

/// Polls (over https) until `host` is reachable at `instance` with fresh system.cpu values.
func waitUntilStreaming(_ host: String, at instance: NetdataInstance, caFile: String,
                                timeout: Duration = .seconds(30)) async -> Bool {
    await poll(timeout: timeout, interval: .milliseconds(200)) {
        guard await hostStatus(host, at: instance, caFile: caFile)?["reachable"] as? Bool == true,
              let body = await httpsGet(instance, "/host/\(host)/api/v1/data?chart=system.cpu&after=-10&format=json&options=jsonwrap", caFile: caFile),
              let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let result = json["result"] as? [String: Any], let rows = result["data"] as? [[Any]] else { return false }
        let now = Int(Date().timeIntervalSince1970)
        return rows.contains { row in
            guard let t = row.first as? Int, now - t <= 10 else { return false }
            return row.dropFirst().contains { !($0 is NSNull) }
        }
    }
}
