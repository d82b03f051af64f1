import Foundation
import TestSupport
import Testing

/// FL207 through the command: a verifying TLS child's collected CA file against the certificate
/// its parent serves (collected beside the parent's netdata.conf).
@Suite struct FleetTLSCheckTests {
    static let key = "6d0a2e8c-3b4f-4a5d-9c7e-9f8a0b1c2d03"

    @Test func testTheFixtureFlagsTheWrongCAFileAndNotTheRightOne() throws {
        let base = CLI.packageRoot.appendingPathComponent("fixtures/fleet").path
        let result = try CLI.run(["fleet", "check", "\(base)/fleet.yaml", "--format", "gcc"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(base)/hosts/web25/stream.conf:5:14: error: [FL207] "), "\(result.stdout)")
        #expect(result.stdout.contains("hosts/parent3/stream.crt"), "the message names the parent's certificate")
        #expect(!result.stdout.contains("hosts/web26/"), "web26 trusts parent3's own certificate")
        // FL208: web27 has no CAfile, and parent3's certificate is self-signed.
        #expect(result.stdout.contains("\(base)/hosts/web27/stream.conf:3:19: error: [FL208] "), "\(result.stdout)")
        let explain = try CLI.run(["fleet", "check", "--explain", "FL208"])
        #expect(explain.status == 0 && explain.stdout.contains("FL208 (error): no CA file for a self-signed parent"), "\(explain.stdout)")
    }

    /// `fleet render` refuses a TLS child without `ca_file` (exit 1, naming host, group and
    /// variable) and renders it once the group gives one.
    @Test func testRenderRefusesATLSChildWithoutCAFile() throws {
        let dir = try TempDir()
        func fleet(_ caFile: String) throws -> String {
            try dir.file("fleet.yaml", """
            vars: {netdata: 2}
            hosts:
              parent: {address: 10.1.0.5, tls_key: /etc/netdata/ssl/stream.key, tls_certificate: /etc/netdata/ssl/stream.crt}
            groups:
              web:
                vars: {streams_to: [parent]\(caFile)}
                hosts: {web1: {address: 10.1.0.11}}
            """)
        }
        let out = dir.url.appendingPathComponent("out").path
        let refused = try CLI.run(["fleet", "render", try fleet(""), "--out", out])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("`web1`") && refused.stderr.contains("`web`") && refused.stderr.contains("`ca_file`"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/hosts/web1/stream.conf"))
        let rendered = try CLI.run(["fleet", "render", try fleet(", ca_file: /etc/netdata/ssl/parent.crt"), "--out", out])
        #expect(rendered.status == 0, "\(rendered)")
        let stream = try String(contentsOfFile: out + "/hosts/web1/stream.conf", encoding: .utf8)
        #expect(stream.contains("CAfile = /etc/netdata/ssl/parent.crt") && stream.contains(":SSL"), "\(stream)")
    }

    /// A parent certificate signed by a CA (openssl): the CA's certificate in the child's CAfile
    /// verifies it; another CA's does not; a child that skips verification is not judged.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func testACertificateSignedByTheCAInTheChildsFileVerifies() throws {
        let dir = try TempDir()
        func openssl(_ arguments: [String]) throws {
            let r = try Spawn.run("/usr/bin/openssl", arguments, timeout: .seconds(60))
            try #require(r.status == 0, "openssl \(arguments): \(String(decoding: r.stderr, as: UTF8.self))")
        }
        for ca in ["ca", "other-ca"] {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.path("\(ca).key"),
                         "-out", dir.path("\(ca).crt"), "-days", "2", "-subj", "/CN=\(ca)"])
        }
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.path("leaf.key"),
                     "-out", dir.path("leaf.csr"), "-subj", "/CN=parent"])
        try FileManager.default.createDirectory(atPath: dir.path("hosts/p"), withIntermediateDirectories: true)
        try openssl(["x509", "-req", "-in", dir.path("leaf.csr"), "-CA", dir.path("ca.crt"), "-CAkey", dir.path("ca.key"),
                     "-CAcreateserial", "-out", dir.path("hosts/p/stream.crt"), "-days", "2"])
        _ = try dir.file("hosts/p/netdata.conf", "[web]\n    bind to = *:19999\n    ssl key = /etc/netdata/ssl/stream.key\n    ssl certificate = /etc/netdata/ssl/stream.crt\n")
        _ = try dir.file("hosts/p/stream.conf", "[stream]\n    enabled = no\n\n[\(Self.key)]\n    type = api\n    enabled = yes\n    allow from = 10.*\n")
        var hosts = "vars: {netdata: 1.37}\nhosts:\n  p: {address: 10.0.0.5}\n"
        for (child, ca, skip, address) in [("good", "ca", false, 11), ("bad", "other-ca", false, 12), ("skips", "other-ca", true, 13)] {
            try FileManager.default.copyItem(atPath: dir.path("\(ca).crt"), toPath: dir.path("hosts/\(child)/ca.crt").ensuringDirectory())
            _ = try dir.file("hosts/\(child)/stream.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.5:19999:SSL\n    api key = \(Self.key)\n    CAfile = /etc/netdata/ssl/ca.crt\n"
                             + (skip ? "    ssl skip certificate verification = yes\n" : ""))
            hosts += "  \(child): {address: 10.0.0.\(address)}\n"
        }
        let fleet = try dir.file("fleet.yaml", hosts)
        let result = try CLI.run(["fleet", "check", fleet, "--format", "gcc"])
        let fl207 = result.stdout.split(separator: "\n").filter { $0.contains("[FL207]") }
        #expect(fl207.count == 1 && fl207.first?.contains("hosts/bad/stream.conf:5:14") == true, "\(result.stdout)")
        #expect(result.status == 1)
    }
}

private extension String {
    /// Creates the file's directory; returns the path.
    func ensuringDirectory() throws -> String {
        try FileManager.default.createDirectory(atPath: (self as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return self
    }
}
