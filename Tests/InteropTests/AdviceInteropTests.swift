// Every netdata.conf line stream-config tells a user to write (Advice.swift) applied to a real
// Netdata 1.37.1 parent: it starts, serves what the line promises (TLS only, TLS and plaintext,
// a TLS-only streaming port), and a real child streams to it. The broken form the tool used to
// print (`^SSL` right after the port) is shown to stop Netdata, and lint and doctor say so.

import Foundation
import StreamConfig
import Testing

private let apiKey = "a1d71ce0-5e7b-4c1a-9f0e-0123456789ab"

@Suite("advice vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .serialized, .timeLimit(.minutes(5)))
struct AdviceInteropTests {
    /// A parent whose `[web]` has the advised `bind to` (for `listen`), `allow streaming from`,
    /// and the TLS files from `tls init` as the advised `ssl key` / `ssl certificate` lines.
    struct AdvisedParent {
        var instance: NetdataInstance
        var certificate: String
        /// Where children stream (the TLS-only port for `.streamingPortTLSForced`).
        var streamingAddress: String
    }

    func advisedParent(_ lab: NetdataLab, _ listen: Advice.Listen?, tag: String, bindTo custom: String? = nil, tls: Bool = true) async throws -> AdvisedParent {
        let parent = try lab.instance(hostname: "advice-\(tag)-parent", streamConf: "[\(apiKey)]\n    type = api\n    enabled = yes\n")
        let ssl = parent.etcDir.appendingPathComponent("ssl").path
        let made = try await StreamConfigCLI.run(["tls", "init", "--dir", ssl, "--name", "localhost", "127.0.0.1", "--days", "2"])
        #expect(made.status == 0, "\(made)")
        let streamingAddress = listen == .streamingPortTLSForced ? "127.0.0.1:\(try FreePort.pick())" : parent.address
        let bind = custom ?? Advice.bindTo(listen ?? .everything, address: parent.address, streamingAddress: streamingAddress)
        let web = ([bind, Advice.allowStreamingFrom()] + (tls ? [Advice.sslKey("\(ssl)/stream.key"), Advice.sslCertificate("\(ssl)/stream.crt")] : []))
            .map { "    \($0)\n" }.joined()
        let conf = try String(contentsOf: parent.netdataConfURL, encoding: .utf8)
            .replacingOccurrences(of: "    bind to = \(parent.address)\n", with: "")
            .replacingOccurrences(of: "    allow streaming from = *\n", with: web)
        #expect(conf.contains(web))
        try Data(conf.utf8).write(to: parent.netdataConfURL)
        return AdvisedParent(instance: parent, certificate: "\(ssl)/stream.crt", streamingAddress: streamingAddress)
    }

    /// `doctor` from a child's point of view: the code of the STREAM step (doctor names it by
    /// HOST:PORT, without `:SSL`).
    func doctorCode(_ lab: NetdataLab, destination: String, caFile: String?, tag: String) async throws -> (CommandResult, String?) {
        let conf = lab.root.appendingPathComponent("doctor-\(tag).conf")
        var text = "[stream]\n    enabled = yes\n    destination = \(destination)\n    api key = \(apiKey)\n    timeout seconds = 10\n"
        if let caFile { text += "    CAfile = \(caFile)\n" }
        try Data(text.utf8).write(to: conf)
        let result = try await StreamConfigCLI.run(["doctor", "--config", conf.path, "--format", "json", "--target", "1.37",
                                                    "--hostname", "advice-doctor-\(tag)", "--machine-guid", UUID().uuidString.lowercased()])
        let items = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [[String: Any]] ?? []
        let step = destination.hasSuffix(":SSL") ? String(destination.dropLast(4)) : destination
        return (result, items.first { $0["destination"] as? String == step }?["code"] as? String)
    }

    /// lint passes the advised netdata.conf: no error or warning (notes such as NC109, loopback
    /// only, and NC203 are true here); returns the codes it reported.
    @discardableResult
    func lintClean(_ file: URL) async throws -> [String] {
        let result = try await StreamConfigCLI.run(["lint", "--format", "gcc", "--target", "1.37", file.path])
        #expect(result.status == 0 && !result.stdout.contains(": error:") && !result.stdout.contains(": warning:"), "lint of an advised netdata.conf: \(result)")
        return result.stdout.split(separator: "\n").compactMap { $0.firstMatch(of: /\[([A-Z]+\d+)\]/).map { String($0.1) } }
    }

    func child(_ lab: NetdataLab, _ host: String, destination: String, caFile: String?) throws -> NetdataInstance {
        var conf = NetdataLab.childStreamConf(destination: destination, apiKey: apiKey)
        if let caFile { conf += "    CAfile = \(caFile)\n" }
        return try lab.instance(hostname: host, streamConf: conf)
    }

    /// doctor's plaintext STREAM gets `plainCode`; a real TLS child (CAfile = the parent's
    /// certificate) streams, as the parent's https API shows. Returns doctor's plaintext run.
    @discardableResult
    func expectOnlyTLSChildrenStream(_ lab: NetdataLab, _ p: AdvisedParent, tag: String, plainCode: String) async throws -> CommandResult {
        let (plain, code) = try await doctorCode(lab, destination: p.streamingAddress, caFile: nil, tag: "\(tag)-plain")
        #expect(plain.status == 1 && code == plainCode, "\(plain)")
        let host = "advice-\(tag)-child"
        let c = try child(lab, host, destination: "\(p.streamingAddress):SSL", caFile: p.certificate)
        try await c.start()
        #expect(await waitUntilStreaming(host, at: p.instance, caFile: p.certificate), "\(lab.logTails())")
        return plain
    }

    func plainStatus(_ url: String) async throws -> String {
        try await Command.run("/usr/bin/curl", ["-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", url], timeout: .seconds(5)).stdout
    }

    @Test func testPlainBindToStartsAndAChildStreams() async throws {
        try await NetdataLab.run { lab in
            let p = try await advisedParent(lab, .everything, tag: "plain", tls: false)
            try await lintClean(p.instance.netdataConfURL)
            try await p.instance.start()
            let c = try child(lab, "advice-plain-child", destination: p.streamingAddress, caFile: nil)
            try await c.start()
            #expect(await p.instance.waitUntilStreaming("advice-plain-child"), "\(lab.logTails())")
        }
    }

    @Test func testTLSForcedBindToRefusesPlaintextAndServesTLS() async throws {
        try await NetdataLab.run { lab in
            let p = try await advisedParent(lab, .tlsForced, tag: "forced")
            try await lintClean(p.instance.netdataConfURL)
            try await p.instance.start()
            #expect(try await httpsInfo(p.instance, caFile: p.certificate) != nil, "no https API\n\(lab.logTails())")
            #expect(try await plainStatus("\(p.instance.baseURL)/api/v1/info") == "301")
            // Plaintext STREAM refused; over TLS accepted.
            let (tls, tlsCode) = try await doctorCode(lab, destination: "\(p.streamingAddress):SSL", caFile: p.certificate, tag: "forced-tls")
            #expect(tls.status == 0 && tlsCode == "accepted", "\(tls)\n\(lab.logTails())")
            try await expectOnlyTLSChildrenStream(lab, p, tag: "forced", plainCode: "tls-expected")
        }
    }

    /// `^SSL=optional` serves plain HTTP without the redirect and TLS children stream; a 1.37.1
    /// parent with a certificate still answers no plaintext child (lint says so: NC203).
    @Test func testTLSOptionalBindToServesPlainHTTPAndTLSChildren() async throws {
        try await NetdataLab.run { lab in
            let p = try await advisedParent(lab, .tlsOptional, tag: "optional")
            #expect(try await lintClean(p.instance.netdataConfURL).contains("NC203"))
            try await p.instance.start()
            #expect(try await httpsInfo(p.instance, caFile: p.certificate) != nil, "no https API\n\(lab.logTails())")
            #expect(try await plainStatus("\(p.instance.baseURL)/api/v1/info") == "200", "plain HTTP is redirected")
            let tls = try child(lab, "advice-optional-tls", destination: "\(p.streamingAddress):SSL", caFile: p.certificate)
            try await tls.start()
            #expect(await p.instance.waitUntilStreaming("advice-optional-tls"), "\(lab.logTails())")
            let plain = try child(lab, "advice-optional-plain", destination: p.streamingAddress, caFile: nil)
            try await plain.start()
            #expect(await p.instance.waitForLog("cannot write to SSL connection - connection is not ready"), "\(lab.logTails())")
            #expect(await plain.waitForLog("remote netdata does not respond"), "\(lab.logTails())")
            #expect(await !p.instance.isReachable("advice-optional-plain"))
        }
    }

    /// With a certificate and no `^SSL` at all, the same: TLS children only on 1.37.1. A TLS
    /// child streams; then a plaintext STREAM gets no answer ("FAILED - CANNOT REPLY"). Once in a
    /// full run the 1.37.1 parent exited right after that reply failed: doctor then saw nothing
    /// listening, which this test accepts (and says) rather than hide; it may also exit just after
    /// doctor's probe was closed unanswered.
    @Test func testCertificateWithoutCaretAnswersOnlyTLSChildrenOn137() async throws {
        try await NetdataLab.run { lab in
            let p = try await advisedParent(lab, .everything, tag: "default-tls")
            #expect(try await lintClean(p.instance.netdataConfURL).contains("NC203"))
            try await p.instance.start()
            #expect(try await plainStatus("\(p.instance.baseURL)/api/v1/info") == "301")
            let c = try child(lab, "advice-default-tls-child", destination: "\(p.streamingAddress):SSL", caFile: p.certificate)
            try await c.start()
            #expect(await waitUntilStreaming("advice-default-tls-child", at: p.instance, caFile: p.certificate), "\(lab.logTails())")
            let (plain, code) = try await doctorCode(lab, destination: p.streamingAddress, caFile: nil, tag: "default-tls-plain")
            #expect(await p.instance.waitForLog("'FAILED - CANNOT REPLY'", in: "access.log"), "\(lab.logTails())")
            #expect(p.instance.log().contains("cannot write to SSL connection - connection is not ready"))
            // What doctor saw decides the branch, not whether the parent runs now: it may exit
            // after doctor's probe was closed unanswered (seen in a clone's CI-style run).
            if code == "closed-without-answer" {
                #expect(plain.status == 1, "\(plain)")
                #expect(plain.stdout.contains("a 1.37.1 parent then answers only TLS children"), "\(plain)")
            } else {
                print("AdviceInteropTests: the 1.37.1 parent exited after failing to answer a plaintext child\n\(p.instance.logTails())")
                #expect(plain.status == 1 && code == "connection-refused" && !p.instance.isRunning, "\(plain)")
            }
        }
    }

    @Test func testStreamingPortOfItsOwnTakesOnlyTLS() async throws {
        try await NetdataLab.run { lab in
            let p = try await advisedParent(lab, .streamingPortTLSForced, tag: "split")
            try await lintClean(p.instance.netdataConfURL)
            try await p.instance.start()
            // The dashboard (loopback; with the certificate plain HTTP is redirected) shows the child
            // streamed over the TLS-only port.
            try await expectOnlyTLSChildrenStream(lab, p, tag: "split", plainCode: "tls-expected")
        }
    }

    /// What `tls init` printed before: Netdata 1.37.1 exits; lint (NC101) and doctor
    /// (`bind-to-unlistenable`) say so, and their fix is the advised line.
    @Test func testCaretRightAfterThePortStopsNetdata() async throws {
        try await NetdataLab.run { lab in
            let port = try FreePort.pick()
            let p = try await advisedParent(lab, nil, tag: "caret", bindTo: "bind to = 127.0.0.1:\(port)^SSL=force")
            let lint = try await StreamConfigCLI.run(["lint", "--format", "gcc", "--target", "1.37", p.instance.netdataConfURL.path])
            #expect(lint.status == 1 && lint.stdout.contains("error: [NC101]") && lint.stdout.contains("Cannot listen on any API socket"), "\(lint)")
            let human = try await StreamConfigCLI.run(["lint", "--target", "1.37", p.instance.netdataConfURL.path])
            #expect(human.stdout.contains(Advice.bindTo(.tlsForced, address: "127.0.0.1:\(port)")), "the fix is the advised line: \(human)")
            let doctor = try await StreamConfigCLI.run(["doctor", "--parent", "--config", p.instance.streamConfURL.path,
                                                        "--netdata-conf", p.instance.netdataConfURL.path, "--format", "json"])
            #expect(doctor.status == 1 && doctor.stdout.contains("\"bind-to-unlistenable\"") && !doctor.stdout.contains("\"tls-forced\""), "\(doctor)")
            await #expect(throws: LabError.self) { try await p.instance.start(timeout: .seconds(15)) }
            #expect(!p.instance.isRunning)
            #expect(p.instance.log().contains("'\(port)^SSL'") && p.instance.log().contains("Cannot listen on any API socket"), "\(p.instance.logTails())")
        }
    }

    /// NC201: `^SSL=force` without readable TLS files: Netdata starts and answers its dashboard
    /// in plaintext, but refuses every child (a plaintext STREAM gets HTTP 400, TLS is not served).
    @Test func testForcedPortWithoutCertificateRefusesEveryChild() async throws {
        try await NetdataLab.run { lab in
            let parent = try lab.instance(hostname: "advice-nocert-parent", streamConf: "[\(apiKey)]\n    type = api\n    enabled = yes\n")
            let conf = try String(contentsOf: parent.netdataConfURL, encoding: .utf8)
                .replacingOccurrences(of: "    bind to = \(parent.address)\n", with: "    \(Advice.bindTo(.tlsForced, address: parent.address))\n")
            try Data(conf.utf8).write(to: parent.netdataConfURL)
            let lint = try await StreamConfigCLI.run(["lint", "--format", "gcc", "--target", "1.37", parent.netdataConfURL.path])
            #expect(lint.status == 0 && lint.stdout.contains("warning: [NC201]") && lint.stdout.contains("refuses every child"), "\(lint)")
            try await parent.start()
            #expect(await parent.waitForLog("To use encryption it is necessary to set"), "\(parent.logTails())")
            #expect(try await plainStatus("\(parent.baseURL)/api/v1/info") == "200")
            let (plain, plainCode) = try await doctorCode(lab, destination: parent.address, caFile: nil, tag: "nocert-plain")
            #expect(plain.status == 1 && plainCode == "tls-expected", "\(plain)")
            let (tls, tlsCode) = try await doctorCode(lab, destination: "\(parent.address):SSL", caFile: nil, tag: "nocert-tls")
            #expect(tls.status == 1 && tlsCode != "accepted", "\(tls)")
        }
    }
}
