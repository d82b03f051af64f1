import StreamConfigSystem
import StreamRelay
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The certificate `relay --tls-certificate/--tls-key` serves to children, loaded at start and
/// on every SIGHUP. The files are read once: the same bytes are described in the log and given
/// to TLS, so what the log says is what children get.
enum RelayCertificate {
    struct Loaded<Context> {
        let context: Context
        /// `FILE: subject, valid until DATE (N days left), SHA-256 FINGERPRINT`, or why the
        /// certificate could not be described (TLS accepted it all the same).
        let summary: String
        /// Expired, not valid yet, expiring within `soon` days, or not describable.
        let warning: String?
    }

    static let soon = 14

    /// Reads both files, refuses a key that is not the first certificate's, and builds the TLS
    /// context with `make` from the same bytes.
    static func load<Context>(_ files: ServerTLSFiles, now: Date = Date(),
                              make: ([UInt8], [UInt8]) throws -> Context) throws -> Loaded<Context> {
        let certificateBytes = try FileAccess.read(files.certificateChain).bytes
        let keyBytes = try FileAccess.read(files.privateKey).bytes
        var summary = "\(files.certificateChain)"
        var warning: String?
        do {
            let (certificate, der) = try TLSInspect.certificates(in: certificateBytes, path: files.certificateChain)[0]
            let key = try TLSInspect.privateKey(in: keyBytes, path: files.privateKey)
            guard key.publicKey == certificate.publicKey else {
                throw Mismatch(message: "\(files.privateKey) is not the private key of \(files.certificateChain) (its public key differs)")
            }
            summary = "\(files.certificateChain): \(TLSInspect.oneLine(certificate, der: der, now: now))"
            warning = TLSInspect.expiryProblem(certificate, now: now, soon: soon).map {
                "the TLS certificate \(files.certificateChain) \($0.text): " + ($0.expiringSoon ? "replace the files and send SIGHUP" : "children that verify it refuse the relay")
            }
        } catch let problem as TLSInspect.Problem {
            // TLS may still accept files this reader does not (an unusual key type): say so, go on.
            summary += " (not described: \(problem.message))"
            warning = "cannot describe the TLS certificate: \(problem.message)"
        }
        return Loaded(context: try make(certificateBytes, keyBytes), summary: summary, warning: warning)
    }

    struct Mismatch: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

}
