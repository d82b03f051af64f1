// `stream-config tls init` / `tls show`: generation, permissions, refusal, show/match, the
// netdata.conf edit bytes, and what Debian's openssl makes of the files.

import Foundation
import TestSupport
import Testing
import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TLSCommandTests {
    static let openssl = "/usr/bin/openssl"
    static var hasOpenSSL: Bool { FileManager.default.isExecutableFile(atPath: openssl) }

    // MARK: helpers

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func info(_ path: String) -> stat? {
        var s = stat()
        return stat(path, &s) == 0 ? s : nil
    }

    func mode(_ path: String) -> Int { Int((info(path)?.st_mode ?? 0) & 0o7777) }

    /// The `SHA-256 fingerprint: XX:..` that `tls init` printed.
    func fingerprint(in output: String) -> String? {
        output.split(separator: "\n").first { $0.contains("SHA-256 fingerprint:") }
            .map { String($0.split(separator: " ").last!) }
    }

    func runOpenSSL(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try Spawn.run(Self.openssl, arguments, timeout: .seconds(60))
        return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    /// Files in `dir` (names) but the writers' lock files, for "nothing was left behind" checks.
    func listing(_ dir: String) -> [String] { CLI.listingWithoutLockFiles(dir) }

    // MARK: generation

    @Test func testInitWritesKeyAndCertificateWithModesOwnerAndInstructions() throws {
        let dir = try TempDir()
        let ssl = dir.path("ssl")
        let result = try CLI.run(["tls", "init", "--dir", ssl, "--days", "30", "--name", "parent.example", "127.0.0.1", "::1"])
        #expect(result.status == 0, "\(result.stderr)")
        let key = "\(ssl)/stream.key", cert = "\(ssl)/stream.crt"
        #expect(mode(key) == 0o600)
        #expect(mode(cert) == 0o644)
        if let netdata = getpwnam("netdata") {
            #expect(info(key)?.st_uid == netdata.pointee.pw_uid && info(cert)?.st_uid == netdata.pointee.pw_uid)
            #expect(info(key)?.st_gid == netdata.pointee.pw_gid)
            #expect(result.stderr.contains("owner netdata"))
        }
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        #expect(keyText.hasPrefix("-----BEGIN PRIVATE KEY-----\n") && keyText.hasSuffix("-----END PRIVATE KEY-----\n"))
        let certText = try String(contentsOfFile: cert, encoding: .utf8)
        #expect(certText.hasPrefix("-----BEGIN CERTIFICATE-----\n") && certText.hasSuffix("-----END CERTIFICATE-----\n"))
        // No temporary files left next to them.
        #expect(listing(ssl) == ["stream.crt", "stream.key"])

        let out = result.stdout
        #expect(out.contains("names:       DNS:parent.example, IP:127.0.0.1, IP:::1"))
        #expect(out.contains("(30 days)"))
        #expect(fingerprint(in: out)?.range(of: "^([0-9A-F]{2}:){31}[0-9A-F]{2}$", options: .regularExpression) != nil, "\(out)")
        // The child's side: --ca-file is the recommended path; skipping verification is lab-only.
        #expect(out.contains("stream-config child set --destination parent.example:19999 --ssl --ca-file /etc/netdata/ssl/parent.crt"))
        #expect(out.contains("Lab only: --skip-certificate-verification"))
        #expect(out.contains("ssl key = \(key)") && out.contains("ssl certificate = \(cert)"))
        #expect(out.contains("--tls-certificate \(cert) --tls-key \(key)"))
        // The TLS-only line is Advice's (proven on real Netdata); never `^SSL` right after the port.
        #expect(out.contains("    \(Advice.bindTo(.tlsForced))\n"), "\(out)")
        #expect(!out.contains(":19999^SSL"), "\(out)")
    }

    @Test func testDefaultsUseTheUserConfigDirectoryAndThisHost() throws {
        let dir = try TempDir()
        let result = try CLI.run(["tls", "init"], environment: ["NETDATA_USER_CONFIG_DIR": dir.path("etc")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(listing(dir.path("etc/ssl")) == ["stream.crt", "stream.key"])
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let expected = host == "localhost" ? "DNS:localhost, IP:127.0.0.1" : "DNS:\(host), DNS:localhost, IP:127.0.0.1"
        #expect(result.stdout.contains("names:       \(expected)\n"), "\(result.stdout)")
        #expect(result.stdout.contains("(825 days)"))
    }

    @Test(.enabled(if: TLSCommandTests.hasOpenSSL))
    func testOpenSSLReadsAndVerifiesTheFiles() throws {
        let dir = try TempDir()
        let ssl = dir.path("ssl")
        let result = try CLI.run(["tls", "init", "--dir", ssl, "--days", "30", "--name", "localhost", "127.0.0.1", "::1"])
        #expect(result.status == 0, "\(result.stderr)")
        let key = "\(ssl)/stream.key", cert = "\(ssl)/stream.crt"

        let text = try runOpenSSL(["x509", "-noout", "-text", "-in", cert])
        #expect(text.status == 0, "\(text.output)")
        for needle in ["Version: 3 (0x2)", "ecdsa-with-SHA256", "Subject: CN = localhost", "Issuer: CN = localhost",
                       "X509v3 Basic Constraints: critical", "CA:TRUE", "X509v3 Key Usage: critical",
                       "Digital Signature, Certificate Sign", "TLS Web Server Authentication",
                       "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
                       "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier", "NIST CURVE: P-256"] {
            #expect(text.output.contains(needle), "openssl x509 -text lacks \(needle):\n\(text.output)")
        }
        let pkey = try runOpenSSL(["pkey", "-in", key, "-noout"])
        #expect(pkey.status == 0, "\(pkey.output)")
        // The certificate is a trust anchor for itself, as a TLS server certificate, strictly.
        let verify = try runOpenSSL(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", cert,
                                     "-verify_ip", "127.0.0.1", "-verify_hostname", "localhost", cert])
        #expect(verify.status == 0 && verify.output.contains("\(cert): OK"), "\(verify.output)")
        // The key belongs to the certificate.
        let fromKey = try runOpenSSL(["pkey", "-in", key, "-pubout"])
        let fromCert = try runOpenSSL(["x509", "-in", cert, "-noout", "-pubkey"])
        #expect(fromKey.status == 0 && fromKey.output == fromCert.output)
        // The fingerprint we print is openssl's.
        let sha = try runOpenSSL(["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
        let printed = try #require(fingerprint(in: result.stdout))
        #expect(sha.output.uppercased().contains("FINGERPRINT=\(printed)"), "\(sha.output) vs \(printed)")
        // Valid for the days asked: still valid in 29 days, not in 31.
        #expect(try runOpenSSL(["x509", "-in", cert, "-noout", "-checkend", "\(29 * 86400)"]).status == 0)
        #expect(try runOpenSSL(["x509", "-in", cert, "-noout", "-checkend", "\(31 * 86400)"]).status != 0)
    }

    @Test func testEveryRunMakesANewKey() throws {
        let dir = try TempDir()
        #expect(try CLI.run(["tls", "init", "--dir", dir.path("a"), "--name", "x"]).status == 0)
        #expect(try CLI.run(["tls", "init", "--dir", dir.path("b"), "--name", "x"]).status == 0)
        #expect(try bytes(dir.path("a/stream.key")) != bytes(dir.path("b/stream.key")))
    }

    // MARK: refusal and bad input

    @Test func testExistingFilesAreNotReplacedWithoutForce() throws {
        let dir = try TempDir()
        let ssl = dir.path("ssl")
        let first = try CLI.run(["tls", "init", "--dir", ssl, "--name", "p"])
        #expect(first.status == 0)
        let key = try bytes("\(ssl)/stream.key"), cert = try bytes("\(ssl)/stream.crt")
        let again = try CLI.run(["tls", "init", "--dir", ssl, "--name", "p"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exist; nothing was changed") && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(again.stdout.isEmpty)
        #expect(try bytes("\(ssl)/stream.key") == key && bytes("\(ssl)/stream.crt") == cert)

        // Only one of the two present is refused too.
        try FileManager.default.removeItem(atPath: "\(ssl)/stream.crt")
        #expect(try CLI.run(["tls", "init", "--dir", ssl, "--name", "p"]).status == 1)
        #expect(try bytes("\(ssl)/stream.key") == key)
        #expect(listing(ssl) == ["stream.key"])

        let forced = try CLI.run(["tls", "init", "--dir", ssl, "--name", "p", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try bytes("\(ssl)/stream.key") != key)
        #expect(mode("\(ssl)/stream.key") == 0o600)
        #expect(listing(ssl) == ["stream.crt", "stream.key"])
    }

    @Test func testUsageErrors() throws {
        let dir = try TempDir()
        for args in [["--days", "0"], ["--days", "40000"], ["--name", "two words"], ["--name", "a..b"], ["--name", "-x.example"]] {
            let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl")] + args)
            #expect(result.status == 64, "\(args): \(result.stderr)")
        }
        #expect(listing(dir.url.path).isEmpty)
    }

    @Test func testUnwritableDirectoryIsRefusedAndNothingChanges() throws {
        let dir = try TempDir()
        // Readable, not writable for user 65534; netdata.conf itself is writable for it.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.url.path)
        let confDir = dir.path("conf")
        try FileManager.default.createDirectory(atPath: confDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: confDir)
        let conf = try dir.file("conf/netdata.conf", "[web]\n    bind to = *\n", mode: 0o666)
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p", "--netdata-conf", conf], asUser: "65534")
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("cannot write to the directory") && result.stderr.contains("Permission denied"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("ssl")))
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == "[web]\n    bind to = *\n")
        #expect(listing(confDir) == ["netdata.conf"])
    }

    /// The key directory is writable but netdata.conf's directory is not (the edit cannot be
    /// staged): neither the key nor the certificate appears.
    @Test func testFailureToStageTheNetdataConfEditWritesNoKey() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.url.path)
        let ssl = dir.path("ssl")
        try FileManager.default.createDirectory(atPath: ssl, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: ssl)
        let conf = try dir.file("netdata.conf", "[web]\n    bind to = *\n", mode: 0o666)
        let result = try CLI.run(["tls", "init", "--dir", ssl, "--name", "p", "--netdata-conf", conf], asUser: "65534")
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("netdata.conf: cannot write to \(dir.url.path): permission denied"), "\(result.stderr)")
        #expect(listing(ssl).isEmpty, "left behind: \(listing(ssl))")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == "[web]\n    bind to = *\n")
    }

    @Test func testANonRootUserGetsTheFilesWithAWarningAboutTheOwner() throws {
        let dir = try TempDir()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.url.path)
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p"], asUser: "65534")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(info(dir.path("ssl/stream.key"))?.st_uid == 65534)
        #expect(mode(dir.path("ssl/stream.key")) == 0o600)
        if getpwnam("netdata") != nil {
            #expect(result.stderr.contains("warning:") && result.stderr.contains("sudo chown netdata:"), "\(result.stderr)")
        }
    }

    @Test func testDirThatIsAFileIsRefused() throws {
        let dir = try TempDir()
        let file = try dir.file("ssl", "not a directory\n")
        let result = try CLI.run(["tls", "init", "--dir", file, "--name", "p"])
        #expect(result.status == 73)
        #expect(result.stderr.contains("exists and is not a directory"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "not a directory\n")
    }

    @Test func testMissingNetdataConfIsRefusedBeforeAnythingIsWritten() throws {
        let dir = try TempDir()
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p", "--netdata-conf", dir.path("netdata.conf")])
        #expect(result.status == 66)
        #expect(result.stderr.contains("no such file"))
        #expect(listing(dir.url.path).isEmpty)
    }

    @Test(arguments: [
        ("[global]\n    hostname = p\n\n[web\n    bind to = *\n", 4, "'[web' is not a section header for Netdata"),
        ("[global]\n    hostname = p\n[web] # TLS\n    bind to = *\n", 3, "'[web] # TLS' is not a section header for Netdata"),
        ("[web]\n    bind to = *\n    ssl key\n", 3, "'ssl key' has no '='"),
        ("ssl key = /x\n[web]\n", 1, "'ssl key = /x' comes before the first [section]"),
    ])
    func testMalformedNetdataConfChangesNothing(conf text: String, line: Int, message: String) throws {
        let dir = try TempDir()
        let conf = try dir.file("netdata.conf", text)
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p", "--netdata-conf", conf])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(conf):\(line): error: \(message)"), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was changed"))
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == text)
        #expect(listing(dir.url.path) == ["netdata.conf"])
    }

    @Test func testAnOptionLineThatCannotBeRewrittenSafelyChangesNothing() throws {
        let dir = try TempDir()
        // Longer than Netdata reads in one piece: Netdata splits it, and rewriting it would move the split.
        let text = "[web]\n    ssl key = /\(String(repeating: "k", count: 9000))\n"
        let conf = try dir.file("netdata.conf", text)
        let result = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "p", "--netdata-conf", conf])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(conf):2: error: line 2 is 9015 bytes, longer than Netdata reads in one piece (8190)"), "\(result.stderr)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == text)
        #expect(listing(dir.url.path) == ["netdata.conf"])

        // A value the editor cannot write as one line (a directory name with a line break).
        let conf2 = try dir.file("two/netdata.conf", "[web]\n")
        let broken = try CLI.run(["tls", "init", "--dir", dir.path("two/a\nb"), "--name", "p", "--netdata-conf", conf2])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("cannot set [web] ssl key / ssl certificate safely") && broken.stderr.contains("line break"), "\(broken.stderr)")
        #expect(try String(contentsOfFile: conf2, encoding: .utf8) == "[web]\n")
        #expect(listing(dir.path("two")) == ["netdata.conf"])
    }

    // MARK: netdata.conf edit bytes

    /// A netdata.conf as Netdata writes it (`/netdata.conf` dump: tabs, every option commented
    /// out): the two commented lines become the settings, in place; no other byte changes.
    @Test func testNetdataConfDumpGetsTheTwoLinesUncommentedInPlace() throws {
        let dir = try TempDir()
        let before = """
            # netdata configuration
            #
            # You can download the latest version of this file, using:
            #
            #  wget -O /etc/netdata/netdata.conf http://localhost:19999/netdata.conf

            [global]
            \t# hostname = parent

            [web]
            \t# ssl key = /etc/netdata/ssl/key.pem
            \t# ssl certificate = /etc/netdata/ssl/cert.pem
            \t# tls version = 1.3
            \tbind to = *
            \t# default port = 19999

            [registry]
            \t# enabled = no

            """
        let conf = try dir.file("netdata.conf", before, mode: 0o644)
        let ssl = dir.path("ssl")
        let result = try CLI.run(["tls", "init", "--dir", ssl, "--name", "p", "--netdata-conf", conf])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = before
            .replacingOccurrences(of: "\t# ssl key = /etc/netdata/ssl/key.pem", with: "\tssl key = \(ssl)/stream.key")
            .replacingOccurrences(of: "\t# ssl certificate = /etc/netdata/ssl/cert.pem", with: "\tssl certificate = \(ssl)/stream.crt")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == expected)
        #expect(mode(conf) == 0o644)
        #expect(result.stderr.contains("set [web] ssl key and ssl certificate in \(conf)"))
        #expect(listing(dir.url.path) == ["netdata.conf", "ssl"])
    }

    @Test func testNetdataConfWithoutWebGetsTheSectionAppended() throws {
        let dir = try TempDir()
        let before = "[global]\n    run as user = root\n"
        let conf = try dir.file("netdata.conf", before)
        let ssl = dir.path("ssl")
        #expect(try CLI.run(["tls", "init", "--dir", ssl, "--name", "p", "--netdata-conf", conf]).status == 0)
        #expect(try String(contentsOfFile: conf, encoding: .utf8)
                == before + "\n[web]\n    ssl key = \(ssl)/stream.key\n    ssl certificate = \(ssl)/stream.crt\n")
    }

    @Test func testExistingSettingsAreReplacedInPlaceAndCRLFIsKept() throws {
        let dir = try TempDir()
        let before = "[web]\r\n  bind to = *\r\n  ssl certificate=/old/cert.pem\r\n  ssl key = /old/key.pem   \r\n[db]\r\n  mode = ram\r\n"
        let conf = try dir.file("netdata.conf", before)
        let ssl = dir.path("ssl")
        let result = try CLI.run(["tls", "init", "--dir", ssl, "--name", "p", "--netdata-conf", conf])
        #expect(result.status == 0, "\(result.stderr)")
        let after = try String(decoding: bytes(conf), as: UTF8.self)
        #expect(after == "[web]\r\n  bind to = *\r\n  ssl certificate=\(ssl)/stream.crt\r\n  ssl key = \(ssl)/stream.key   \r\n[db]\r\n  mode = ram\r\n")
        #expect(result.stdout.contains("(before: ssl key = /old/key.pem, ssl certificate = /old/cert.pem)"))
    }

    @Test func testRelativePathsAreWrittenAsAbsolutePaths() throws {
        let dir = try TempDir()
        let conf = try dir.file("netdata.conf", "[web]\n")
        // Run from the directory: the shell changes to it (its first argument), then execs the binary.
        let result = try Spawn.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$1\" tls init --dir ./ssl/ --name p --netdata-conf netdata.conf", dir.url.path, CLI.binary])
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let real = dir.url.resolvingSymlinksInPath().path
        let text = try String(contentsOfFile: conf, encoding: .utf8)
        #expect(text.contains("ssl key = \(dir.url.path)/ssl/stream.key") || text.contains("ssl key = \(real)/ssl/stream.key"), "\(text)")
    }

    // MARK: show

    @Test func testShowPrintsTheCertificateAndChecksTheKey() throws {
        let dir = try TempDir()
        let made = try CLI.run(["tls", "init", "--dir", dir.path("a"), "--days", "10", "--name", "relay.lan", "10.1.2.3"])
        #expect(made.status == 0)
        #expect(try CLI.run(["tls", "init", "--dir", dir.path("b"), "--name", "other"]).status == 0)
        let cert = dir.path("a/stream.crt")

        let shown = try CLI.run(["tls", "show", cert, "--key", dir.path("a/stream.key")])
        #expect(shown.status == 0, "\(shown.stderr)")
        let out = shown.stdout
        #expect(out.contains("subject:     CN=relay.lan"))
        #expect(out.contains("issuer:      CN=relay.lan (self-signed)"))
        #expect(out.contains("names:       DNS:relay.lan, IP:10.1.2.3"))
        #expect(out.contains("public key:  ECDSA P-256"))
        #expect(out.contains("usage:       digitalSignature, keyCertSign, serverAuth"))
        #expect(out.contains("CA:          yes: children can trust it directly (--ca-file)"))
        #expect(out.contains("days left)") && out.contains("valid from:") && out.contains("valid until:"))
        #expect(out.contains("SHA-256:     \(try #require(fingerprint(in: made.stdout)))"), "\(out)")
        #expect(out.contains("matches this certificate"))

        let mismatch = try CLI.run(["tls", "show", cert, "--key", dir.path("b/stream.key")])
        #expect(mismatch.status == 1)
        #expect(mismatch.stdout.contains("does NOT match"))
        #expect(mismatch.stderr.contains("is not the private key of"))
    }

    @Test func testShowRejectsWhatIsNotACertificate() throws {
        let dir = try TempDir()
        #expect(try CLI.run(["tls", "init", "--dir", dir.path("a"), "--name", "p"]).status == 0)
        let asCert = try CLI.run(["tls", "show", dir.path("a/stream.key")])
        #expect(asCert.status == 66)
        #expect(asCert.stderr.contains("no CERTIFICATE in this PEM file (it holds: PRIVATE KEY)"), "\(asCert.stderr)")
        let missing = try CLI.run(["tls", "show", dir.path("none.crt")])
        #expect(missing.status == 66 && missing.stderr.contains("no such file"))
        let garbage = try dir.file("garbage.crt", "hello\n")
        #expect(try CLI.run(["tls", "show", garbage]).status == 66)
        let notKey = try CLI.run(["tls", "show", dir.path("a/stream.crt"), "--key", dir.path("a/stream.crt")])
        #expect(notKey.status == 66 && notKey.stderr.contains("no private key in this file"), "\(notKey.stderr)")
        let encrypted = try dir.file("enc.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
        let enc = try CLI.run(["tls", "show", dir.path("a/stream.crt"), "--key", encrypted])
        #expect(enc.status == 66 && enc.stderr.contains("the key is encrypted"), "\(enc.stderr)")
    }

    @Test(.enabled(if: TLSCommandTests.hasOpenSSL))
    func testShowReadsDERChainsAndKeysOpenSSLMade() throws {
        let dir = try TempDir()
        let made = try CLI.run(["tls", "init", "--dir", dir.path("a"), "--name", "p"])
        let print = try #require(fingerprint(in: made.stdout))
        #expect(try CLI.run(["tls", "init", "--dir", dir.path("b"), "--name", "q"]).status == 0)
        let der = dir.path("a/stream.der")
        #expect(try runOpenSSL(["x509", "-in", dir.path("a/stream.crt"), "-outform", "DER", "-out", der]).status == 0)
        let shownDER = try CLI.run(["tls", "show", der])
        #expect(shownDER.status == 0 && shownDER.stdout.contains("SHA-256:     \(print)"), "\(shownDER)")

        let chain = try dir.file("chain.pem", try String(contentsOfFile: dir.path("a/stream.crt"), encoding: .utf8)
                                 + String(contentsOfFile: dir.path("b/stream.crt"), encoding: .utf8))
        let shownChain = try CLI.run(["tls", "show", chain])
        #expect(shownChain.stdout.contains("(certificate 1 of 2)") && shownChain.stdout.contains("(certificate 2 of 2)"))
        #expect(shownChain.stdout.contains("CN=q"))

        // SEC1 ("EC PRIVATE KEY") and an RSA certificate/key pair made by openssl.
        let sec1 = dir.path("a/sec1.key")
        #expect(try runOpenSSL(["ec", "-in", dir.path("a/stream.key"), "-out", sec1]).status == 0)
        #expect(try CLI.run(["tls", "show", dir.path("a/stream.crt"), "--key", sec1]).status == 0)
        let rsaKey = dir.path("rsa.key"), rsaCert = dir.path("rsa.crt")
        #expect(try runOpenSSL(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rsa",
                                "-keyout", rsaKey, "-out", rsaCert]).status == 0)
        let rsa = try CLI.run(["tls", "show", rsaCert, "--key", rsaKey])
        #expect(rsa.status == 0 && rsa.stdout.contains("public key:  RSA 2048") && rsa.stdout.contains("matches"), "\(rsa)")
    }

    /// An expired certificate (made by `openssl ca` with dates in the past) fails `show`.
    @Test(.enabled(if: TLSCommandTests.hasOpenSSL))
    func testShowFailsForAnExpiredCertificate() throws {
        let dir = try TempDir()
        let d = dir.url.path
        let config = try dir.file("ca.cnf", """
            [ca]
            default_ca = x
            [x]
            database = \(d)/index.txt
            new_certs_dir = \(d)
            serial = \(d)/serial
            default_md = sha256
            policy = p
            [p]
            commonName = supplied
            [req]
            distinguished_name = dn
            prompt = no
            [dn]
            CN = old

            """)
        _ = try dir.file("index.txt", "")
        _ = try dir.file("serial", "01\n")
        #expect(try runOpenSSL(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                "-keyout", "\(d)/old.key", "-out", "\(d)/old.csr", "-config", config]).status == 0)
        let signed = try runOpenSSL(["ca", "-batch", "-config", config, "-selfsign", "-keyfile", "\(d)/old.key", "-in", "\(d)/old.csr",
                                     "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-out", "\(d)/old.crt"])
        #expect(signed.status == 0, "\(signed.output)")
        let shown = try CLI.run(["tls", "show", "\(d)/old.crt", "--key", "\(d)/old.key"])
        #expect(shown.status == 1)
        #expect(shown.stdout.contains("valid until: 2020-01-02 00:00:00 UTC (EXPIRED)") && shown.stdout.contains("matches this certificate"), "\(shown.stdout)")
        #expect(shown.stderr.contains("the certificate expired on 2020-01-02 00:00:00 UTC"))
    }

    @Test func testHelpNamesTheFilesAndDefaults() throws {
        let help = try CLI.run(["tls", "init", "--help"])
        #expect(help.stdout.contains("stream.key") && help.stdout.contains("stream.crt"))
        #expect(help.stdout.contains("/etc/netdata/ssl") && help.stdout.contains("default: 825"))
    }
}
