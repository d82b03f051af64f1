import StreamConfig
import SwiftASN1
import Testing
import X509
@testable import StreamConfigSystem

/// Certificate and key making (`GeneratedTLS`), reading (`TLSInspect`, PEM through swift-asn1),
/// names, and `tls show`'s report.
@Suite struct TLSTests {
    static let generated = try! GeneratedTLS.make(names: [.dns("parent.example"), .ip("10.0.0.5", [10, 0, 0, 5])], days: 30)

    @Test func testNamesParse() throws {
        #expect(try TLSName(parsing: "parent.example.") == .dns("parent.example"))
        #expect(try TLSName(parsing: "*.example.org") == .dns("*.example.org"))
        #expect(try TLSName(parsing: "[::1]") == .ip("::1", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))
        #expect(try TLSName(parsing: "127.0.0.1").description == "IP:127.0.0.1")
        for bad in ["", "-a.b", "a..b", "*.com", "bad name", "ünï.example"] {
            #expect(throws: TLSNameError.self) { _ = try TLSName(parsing: bad) }
        }
        #expect(TLSName.unique([.dns("A.example"), .dns("a.example"), .ip("10.0.0.1", [10, 0, 0, 1]), .ip("10.0.0.1", [10, 0, 0, 1])]).count == 2)
        #expect(TLSName.ipText([192, 168, 1, 2]) == "192.168.1.2")
    }

    @Test func testAMadeCertificateReadsBack() throws {
        let g = Self.generated
        #expect(g.keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n") && g.keyPEM.hasSuffix("\n"))
        let read = try TLSInspect.certificates(in: Array(g.certificatePEM.utf8), path: "c.pem")
        #expect(read.count == 1)
        #expect(read[0].der == g.der)
        #expect(TLSInspect.names(read[0].certificate) == ["DNS:parent.example", "IP:10.0.0.5"])
        #expect(TLSInspect.isCA(read[0].certificate) && TLSInspect.isSelfSigned(read[0].certificate))
        #expect(TLSInspect.usages(read[0].certificate) == "digitalSignature, keyCertSign, serverAuth")
        #expect(TLSInspect.keyDescription(read[0].certificate.publicKey) == "ECDSA P-256")
        let fingerprint = TLSInspect.fingerprint(g.der)
        #expect(fingerprint.count == 32 * 3 - 1 && fingerprint.allSatisfy { $0 == ":" || $0.isHexDigit && !$0.isLowercase })
        let key = try TLSInspect.privateKey(in: Array(g.keyPEM.utf8), path: "k.pem")
        #expect(key.publicKey == read[0].certificate.publicKey)
        #expect(TLSInspect.daysLeft(g.certificate, now: g.certificate.notValidBefore) == 30)
    }

    @Test func testAChainWithCRLFLinesAndADERFile() throws {
        let other = try GeneratedTLS.make(names: [.dns("other")], days: 1)
        let chain = (Self.generated.certificatePEM + other.certificatePEM).replacingNewlines(with: "\r\n")
        let read = try TLSInspect.certificates(in: Array(chain.utf8), path: "chain.pem")
        #expect(read.map(\.der) == [Self.generated.der, other.der])
        #expect(try TLSInspect.certificates(in: Self.generated.der, path: "c.der").first?.der == Self.generated.der)
    }

    @Test func testWhatIsNotACertificateOrKeyIsSaid() {
        func problem(_ body: () throws -> Void) -> String {
            do { try body() } catch { return (error as? TLSInspect.Problem)?.message ?? "not a Problem: \(error)" }
            return ""
        }
        #expect(problem { _ = try TLSInspect.certificates(in: Array(Self.generated.keyPEM.utf8), path: "k") }
                    == "k: no CERTIFICATE in this PEM file (it holds: PRIVATE KEY)")
        #expect(problem { _ = try TLSInspect.certificates(in: Array("hello\n".utf8), path: "g") } == "g: neither a PEM file nor a DER certificate")
        #expect(problem { _ = try TLSInspect.certificates(in: Array("-----BEGIN CERTIFICATE-----\nAAAA\n".utf8), path: "t") }
                    .hasPrefix("t: not valid PEM"))
        #expect(problem { _ = try TLSInspect.privateKey(in: Array(Self.generated.certificatePEM.utf8), path: "c") }
                    == "c: no private key in this file (it holds: CERTIFICATE)")
        #expect(problem {
            _ = try TLSInspect.privateKey(in: Array("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n".utf8), path: "e")
        }.contains("the key is encrypted"))
    }

    /// The PEM read is swift-asn1's: what it reads is what `serializeAsPEM` wrote.
    @Test func testPEMDocumentsAreSwiftASN1s() throws {
        let documents = try TLSInspect.pemDocuments(Self.generated.certificatePEM + Self.generated.keyPEM)
        #expect(documents.map(\.discriminator) == ["CERTIFICATE", "PRIVATE KEY"])
        #expect(documents[0].derBytes == Self.generated.der)
    }

    @Test func testShowChecksValidityAndTheKey() throws {
        let g = Self.generated
        let now = g.certificate.notValidBefore.addingTimeInterval(7200)
        let good = try TLSReport.show("c.pem", Array(g.certificatePEM.utf8), key: ("k.pem", Array(g.keyPEM.utf8)), now: now)
        #expect(good.failure == nil)
        #expect(good.text.contains("  key:         k.pem matches this certificate\n"))
        #expect(good.text.contains("  SHA-256:     \(TLSInspect.fingerprint(g.der))\n"))
        let other = try GeneratedTLS.make(names: [.dns("other")], days: 1)
        let wrong = try TLSReport.show("c.pem", Array(g.certificatePEM.utf8), key: ("o.pem", Array(other.keyPEM.utf8)), now: now)
        #expect(wrong.failure == "o.pem is not the private key of c.pem (its public key differs)")
        let late = try TLSReport.show("c.pem", Array(g.certificatePEM.utf8), key: nil, now: g.certificate.notValidAfter.addingTimeInterval(1))
        #expect(late.failure?.hasPrefix("c.pem: the certificate expired on ") == true)
        #expect(late.text.contains("(EXPIRED)"))
    }

    @Test func testExpiryProblems() {
        let c = Self.generated.certificate
        #expect(TLSInspect.expiryProblem(c, now: c.notValidBefore.addingTimeInterval(7200), soon: 14) == nil)
        #expect(TLSInspect.expiryProblem(c, now: c.notValidAfter.addingTimeInterval(-86400 * 3 - 60), soon: 14)?.expiringSoon == true)
        #expect(TLSInspect.expiryProblem(c, now: c.notValidBefore.addingTimeInterval(-1), soon: 14)?.text.hasPrefix("is not valid before") == true)
        #expect(TLSInspect.utc(c.notValidBefore).hasSuffix(" UTC"))
    }

    /// `CAFileCheck` (issue 17 item 6): what `child set --ca-file/--ca-path` and lint's SC420 say.
    @Test func testCAFileCheckTellsACertificateFromEverythingElse() throws {
        let scratch = try Scratch()
        let g = Self.generated
        let pem = try scratch.file("parent.crt", g.certificatePEM)
        #expect(CAFileCheck.check(pem, directory: false) == nil)
        #expect(CAFileCheck.check(scratch.path, directory: true) == nil)
        func problem(_ path: String, directory: Bool = false) -> (CAFileCheck.Problem.Kind, String)? {
            CAFileCheck.check(path, directory: directory).map { ($0.kind, $0.problem) }
        }
        #expect(problem(scratch.path("none.crt"))?.0 == .missing)
        #expect(problem(scratch.path("none/x.crt"))?.0 == .missing)
        #expect(problem(try scratch.file("key.pem", g.keyPEM))?.1.hasPrefix("is not a PEM certificate file (no CERTIFICATE in this PEM file") == true)
        #expect(problem(try scratch.file("empty.pem", ""))?.1 == "is empty, not a PEM certificate file")
        #expect(problem(try scratch.file("text.pem", "hello\n"))?.1.hasPrefix("is not a PEM certificate file") == true)
        #expect(problem(scratch.path)?.1.hasPrefix("is a directory") == true)
        #expect(problem("parent.crt")?.1.hasPrefix("is a relative path") == true)
        #expect(problem(pem, directory: true)?.0 == .wrongKind)
        #expect(problem(scratch.path("nowhere"), directory: true)?.0 == .missing)
        #expect(CAFileCheck.certificateProblem(g.der)?.contains("is a DER certificate") == true)
        // lint's facts: only the absolute paths in force in [stream].
        let ini = Ini(Document("[stream]\n    CAfile = \(scratch.path("none.crt"))\n    CApath = \(scratch.path)\n[k]\n    CAfile = /x\n"))
        #expect(CAFileCheck.facts(ini) == [FileFact(option: "CAfile", path: scratch.path("none.crt"), problem: "does not exist")])
    }
}

extension String {
    func replacingNewlines(with ending: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: ending)
    }
}
