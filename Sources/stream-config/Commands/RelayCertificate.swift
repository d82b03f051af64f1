import StreamRelay
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The certificate `relay --tls-certificate/--tls-key` serves to children, checked before it is
/// used (at start and on every SIGHUP): both files readable, the key belongs to the first
/// certificate, and what is served, in one line for the log.
enum RelayCertificate {
    struct Inspection {
        /// `FILE: subject, valid until DATE (N days left), SHA-256 FINGERPRINT`.
        let summary: String
        /// Expired, not valid yet, or expiring within `soon` days.
        let warning: String?
    }

    static let soon = 14

    static func inspect(_ files: ServerTLSFiles, now: Date = Date()) throws -> Inspection {
        let path = files.certificateChain
        let chain = try TLSInspect.certificates(in: try FileAccess.read(path).bytes, path: path)
        let key = try TLSInspect.privateKey(in: try FileAccess.read(files.privateKey).bytes, path: files.privateKey)
        let (certificate, der) = chain[0]
        guard key.publicKey == certificate.publicKey else {
            throw TLSInspect.Problem(message: "\(files.privateKey) is not the private key of \(path) (its public key differs)")
        }
        let daysLeft = Int((certificate.notValidAfter.timeIntervalSince1970 - now.timeIntervalSince1970) / 86400)
        let until = TLSInspect.utc(certificate.notValidAfter)
        var warning: String?
        if now > certificate.notValidAfter {
            warning = "the TLS certificate \(path) expired on \(until): children that verify it refuse the relay"
        } else if now < certificate.notValidBefore {
            warning = "the TLS certificate \(path) is not valid before \(TLSInspect.utc(certificate.notValidBefore)): children that verify it refuse the relay"
        } else if daysLeft < soon {
            warning = "the TLS certificate \(path) expires on \(until) (\(daysLeft) day\(daysLeft == 1 ? "" : "s") left): replace the files and send SIGHUP"
        }
        let left = max(daysLeft, 0)
        let summary = "\(path): \(certificate.subject), valid until \(until) (\(left) day\(left == 1 ? "" : "s") left), SHA-256 \(TLSInspect.fingerprint(der))"
        return Inspection(summary: summary, warning: warning)
    }
}
