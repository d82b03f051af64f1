import StreamConfig
import X509

/// What `doctor` says of the certificate a parent presents (DER bytes from the probe).
public enum CertificateDiagnosis {
    /// The certificate a child accepted (or would, without verification): what it is, and
    /// whether it runs out soon. Never a failure by itself: a child that verifies it was
    /// refused already, and one with `ssl skip certificate verification` streams all the same;
    /// but a certificate past its end or close to it is a `note`, never `ok`.
    public static func presented(_ der: [UInt8]) -> Diagnosis {
        guard let certificate = try? Certificate(derEncoded: der) else {
            return Diagnosis(verdict: .note, code: "tls-certificate",
                             summary: "the parent's certificate cannot be read here (SHA-256 \(TLSInspect.fingerprint(der)))", fix: nil)
        }
        let line = TLSInspect.oneLine(certificate, der: der)
        guard let problem = TLSInspect.expiryProblem(certificate, soon: 14) else {
            return Diagnosis(verdict: .accepted, code: "tls-certificate", summary: line, fix: nil)
        }
        return Diagnosis(
            verdict: .note, code: problem.expiringSoon ? "tls-certificate-expiring" : "tls-certificate-invalid",
            summary: "the parent's certificate \(problem.text): \(line)",
            fix: "renew the parent's certificate (`stream-config tls init --dir DIR --force` makes a new one) and restart it")
    }

    /// The certificate the child refused: what it is, so that the user can tell a wrong CAfile
    /// from a wrong parent (compare the fingerprint with `tls show` on the parent).
    public static func untrusted(_ der: [UInt8], caFile: String?, caPath: String?) -> Diagnosis {
        let trust = [caFile.map { "CAfile \($0)" }, caPath.map { "CApath \($0)" }].compactMap { $0 }
        let trusted = trust.isEmpty ? "the system's CAs" : trust.joined(separator: " and ") + " (and the system's CAs)"
        let described = (try? Certificate(derEncoded: der)).map { certificate in
            TLSInspect.oneLine(certificate, der: der) + ", issued by \(certificate.issuer)\(TLSInspect.isSelfSigned(certificate) ? " (self-signed)" : "")"
        } ?? "SHA-256 \(TLSInspect.fingerprint(der))"
        return Diagnosis(
            verdict: .refused, code: "tls-certificate-untrusted",
            summary: "the parent presents \(described); \(trusted) do not vouch for it",
            fix: "if the fingerprint is the one `stream-config tls show` prints on the parent, give its certificate (or its CA) to the child: `stream-config child set --ssl --ca-file parent.pem`; if not, this is not the parent you meant")
    }
}
