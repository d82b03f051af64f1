import Crypto
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
/// A private key and the self-signed certificate made for it by `tls init`.
///
/// The key is ECDSA P-256 in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), which OpenSSL 3 (Netdata)
/// and BoringSSL (NIOSSL, the relay) both read. The certificate is its own CA, so a child can
/// trust it directly with `CAfile`: basicConstraints CA:TRUE (critical, pathlen 0), keyUsage
/// digitalSignature + keyCertSign (critical), extendedKeyUsage serverAuth, the names as SANs,
/// subject and authority key identifiers; signed with ECDSA-SHA256.
public struct GeneratedTLS: Sendable {
    public let keyPEM: String
    public let certificatePEM: String
    public let certificate: Certificate
    /// The certificate's DER bytes (what the SHA-256 fingerprint is taken of).
    public let der: [UInt8]

    public static let backdate: TimeInterval = 3600

    public static func make(names: [TLSName], days: Int, now: Date = Date()) throws -> GeneratedTLS {
        precondition(!names.isEmpty)
        let key = P256.Signing.PrivateKey()
        let signingKey = Certificate.PrivateKey(key)
        let publicKey = signingKey.publicKey
        let subject = try DistinguishedName { CommonName(names[0].value) }
        let keyID = SubjectKeyIdentifier(hash: publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names.map(\.generalName))
            keyID
            AuthorityKeyIdentifier(keyIdentifier: keyID.keyIdentifier)
        }
        // Whole seconds: X.509 times have no fractions. Back-dated an hour for clocks that lag.
        let start = Date(timeIntervalSince1970: (now.timeIntervalSince1970 - backdate).rounded(.down))
        let end = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(days) * 86400).rounded(.down))
        var serial = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in serial.indices { serial[i] = rng.next() }
        serial[0] = (serial[0] & 0x7F) | 0x40  // positive, 16 bytes, no leading zero
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: publicKey,
            notValidBefore: start, notValidAfter: end, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: signingKey)
        let pem = try certificate.serializeAsPEM()
        return GeneratedTLS(keyPEM: Self.terminated(key.pemRepresentation), certificatePEM: Self.terminated(pem.pemString),
                            certificate: certificate, der: pem.derBytes)
    }

    public static func terminated(_ pem: String) -> String { pem.hasSuffix("\n") ? pem : pem + "\n" }
}
