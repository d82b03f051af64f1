// `stream-config doctor` against real Netdata 1.37.1 parents: each failure a user meets gets
// its own diagnosis, and a working setup exits 0.

import Foundation
import StreamConfig
import Testing

@Suite("doctor vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(3)))
struct DoctorInteropTests {
    static let good = "11111111-2222-4333-8444-555555555555"
    static let disabled = "22222222-2222-4333-8444-555555555555"
    static let remoteOnly = "33333333-2222-4333-8444-555555555555"
    static let unknown = "44444444-2222-4333-8444-555555555555"

    struct Verdict: Decodable { var destination: String; var verdict: String; var code: String; var summary: String; var fix: String? }

    func doctor(_ lab: NetdataLab, destination: String, key: String, extra: [String] = [], tag: String) async throws -> (CommandResult, [Verdict]) {
        let conf = lab.root.appendingPathComponent("doctor-\(tag).conf")
        try Data("[stream]\n    enabled = yes\n    destination = \(destination)\n    api key = \(key)\n    timeout seconds = 10\n".utf8).write(to: conf)
        let result = try await StreamConfigCLI.run(["doctor", "--config", conf.path, "--format", "json", "--target", "1.37",
                                                    "--hostname", "doctor-\(tag)", "--machine-guid", UUID().uuidString.lowercased()] + extra)
        let verdicts = (try? JSONDecoder().decode([Verdict].self, from: Data(result.stdout.utf8))) ?? []
        return (result, verdicts)
    }

    @Test func testWorkingSetupAndEveryKeyRefusalAndNothingListening() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "doctor-parent", streamConf: """
                [\(Self.good)]
                    type = api
                    enabled = yes
                [\(Self.disabled)]
                    type = api
                    enabled = no
                [\(Self.remoteOnly)]
                    type = api
                    enabled = yes
                    allow from = 10.*

                """)
            try await parent.start()

            let (ok, okVerdicts) = try await doctor(lab, destination: parent.address, key: Self.good, tag: "good")
            #expect(ok.status == 0, "\(ok)\n\(lab.logTails())")
            #expect(okVerdicts.first { $0.destination == parent.address }?.code == "accepted", "\(ok)")
            // A 1.37 parent has no v3 API: a 2.x child's stream_info pre-flight gets a 404 and goes on.
            #expect(okVerdicts.first { $0.destination == "\(parent.address) stream_info" }?.code == "stream-info-v1", "\(ok)")

            for (key, tag) in [(Self.unknown, "unknown"), (Self.disabled, "disabled"), (Self.remoteOnly, "allowfrom")] {
                let (result, verdicts) = try await doctor(lab, destination: parent.address, key: key, tag: tag)
                #expect(result.status == 1, "\(tag): \(result)")
                let stream = verdicts.first { $0.destination == parent.address }
                #expect(stream?.code == "key-refused", "\(tag): \(result)")
                #expect(stream?.fix?.contains(StreamAdvice.allowFrom("localhost")) == true, "\(tag): \(result)")
            }
            // The parent confirms each refusal in its own log.
            #expect(await parent.waitForLog("KEY NOT ALLOWED FROM THIS IP", in: "access.log"), "\(lab.logTails())")
            #expect(parent.log().contains("API key '\(Self.disabled)' is not allowed"), "\(lab.logTails())")

            let unused = try FreePort.pick(address: "127.0.0.1")
            let (down, downVerdicts) = try await doctor(lab, destination: "127.0.0.1:\(unused) \(parent.address)", key: Self.good, tag: "failover")
            #expect(down.status == 1, "\(down)")
            #expect(downVerdicts.map(\.code) == ["connection-refused", "accepted", "stream-info-v1"], "\(down)")
        }
    }

    @Test func testPlainChildAgainstATLSOnlyPortIsToldToUseSSL() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "doctor-tls-parent", streamConf: "[\(Self.good)]\n    type = api\n    enabled = yes\n")
            let ssl = parent.etcDir.appendingPathComponent("ssl").path
            let made = try await StreamConfigCLI.run(["tls", "init", "--dir", ssl, "--name", "localhost", "127.0.0.1", "--netdata-conf", parent.netdataConfURL.path])
            #expect(made.status == 0, "\(made)")
            // Force TLS on the port (what Netdata's docs show for TLS-only parents).
            let conf = try String(contentsOf: parent.netdataConfURL, encoding: .utf8)
                .replacingOccurrences(of: "bind to = \(parent.address)\n",
                                      with: "bind to = \(parent.address)=dashboard|registry|badges|management|streaming|netdata.conf^SSL=force\n")
            try Data(conf.utf8).write(to: parent.netdataConfURL)
            try await parent.start()

            let (plain, plainVerdicts) = try await doctor(lab, destination: parent.address, key: Self.good, tag: "plain")
            #expect(plain.status == 1, "\(plain)\n\(lab.logTails())")
            let stream = plainVerdicts.first { $0.destination == parent.address }
            #expect(stream?.code == "tls-expected", "\(plain)")
            #expect(stream?.fix?.contains(":SSL") == true)

            let conf2 = lab.root.appendingPathComponent("doctor-tls.conf")
            try Data("[stream]\n    enabled = yes\n    destination = \(parent.address):SSL\n    api key = \(Self.good)\n    CAfile = \(ssl)/stream.crt\n    timeout seconds = 10\n".utf8).write(to: conf2)
            let verified = try await StreamConfigCLI.run(["doctor", "--config", conf2.path, "--target", "1.37", "--hostname", "doctor-tls",
                                                          "--machine-guid", UUID().uuidString.lowercased()])
            #expect(verified.status == 0, "\(verified)\n\(lab.logTails())")
            // What the parent presented: the certificate `tls init` made, with its expiry.
            let fingerprint = try #require(made.stdout.split(separator: "\n").first { $0.contains("SHA-256 fingerprint:") }?
                .split(separator: " ").last.map(String.init))
            let line = verified.stdout.split(separator: "\n").first { $0.contains("\(parent.address) certificate: CN=localhost") }
            #expect(line?.contains("SHA-256 \(fingerprint)") == true && line?.contains("days left") == true, "\(verified)")

            // A CAfile that does not vouch for the parent: refused, and doctor shows what the
            // parent presented, so that a wrong CAfile can be told from a wrong parent.
            let other = lab.root.appendingPathComponent("doctor-other-ssl").path
            #expect(try await StreamConfigCLI.run(["tls", "init", "--dir", other, "--name", "localhost"]).status == 0)
            let conf3 = lab.root.appendingPathComponent("doctor-tls-wrong-ca.conf")
            try Data("[stream]\n    enabled = yes\n    destination = \(parent.address):SSL\n    api key = \(Self.good)\n    CAfile = \(other)/stream.crt\n    timeout seconds = 10\n".utf8).write(to: conf3)
            let untrusted = try await StreamConfigCLI.run(["doctor", "--config", conf3.path, "--target", "1.37", "--hostname", "doctor-tls",
                                                           "--machine-guid", UUID().uuidString.lowercased(), "--format", "json"])
            #expect(untrusted.status == 1, "\(untrusted)")
            let items = try #require(try JSONSerialization.jsonObject(with: Data(untrusted.stdout.utf8)) as? [[String: Any]], "\(untrusted)")
            #expect(items.contains { $0["code"] as? String == "tls-failed" }, "\(untrusted)")
            let seen = items.first { $0["code"] as? String == "tls-certificate-untrusted" }
            #expect((seen?["summary"] as? String)?.contains("SHA-256 \(fingerprint)") == true, "\(untrusted)")
            #expect((seen?["summary"] as? String)?.contains("CAfile \(other)/stream.crt") == true, "\(untrusted)")
        }
    }

    @Test func testParentBoundToLoopbackSeenFromAnotherAddress() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "doctor-loopback-parent", streamConf: "[\(Self.good)]\n    type = api\n    enabled = yes\n")
            try await parent.start()
            // A child elsewhere reaches the parent's port on another address: nothing listens there.
            let (result, verdicts) = try await doctor(lab, destination: "127.0.0.2:\(parent.port)", key: Self.good, tag: "other-address")
            #expect(result.status == 1, "\(result)")
            #expect(verdicts.last?.code == "connection-refused", "\(result)")
            #expect(verdicts.last?.fix?.contains("bind to") == true)
            // On the parent, --parent names the cause.
            let check = try await StreamConfigCLI.run(["doctor", "--parent", "--config", parent.streamConfURL.path,
                                                       "--netdata-conf", parent.netdataConfURL.path, "--format", "json"])
            #expect(check.status == 1, "\(check)")
            #expect(check.stdout.contains("\"bound-to-loopback\""), "\(check)")
        }
    }
}
