import Crypto
import SwiftASN1
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Reading certificates and keys for `tls show` (and describing the one `tls init` made).
public enum TLSInspect {
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    /// Every certificate in a PEM file (a chain), or the one certificate of a DER file.
    public static func certificates(in bytes: [UInt8], path: String) throws(Problem) -> [(certificate: Certificate, der: [UInt8])] {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("-----BEGIN ") {
            let documents: [PEMDocument]
            do {
                documents = try pemDocuments(text)
            } catch {
                throw Problem(message: "\(path): not valid PEM (\(error))")
            }
            let certificates = documents.filter { $0.discriminator == "CERTIFICATE" }
            guard !certificates.isEmpty else {
                let kinds = Set(documents.map(\.discriminator)).sorted().joined(separator: ", ")
                throw Problem(message: "\(path): no CERTIFICATE in this PEM file (it holds: \(kinds.isEmpty ? "nothing" : kinds))")
            }
            var result: [(Certificate, [UInt8])] = []
            for (index, document) in certificates.enumerated() {
                do {
                    result.append((try Certificate(derEncoded: document.derBytes), document.derBytes))
                } catch {
                    throw Problem(message: "\(path): certificate \(index + 1) cannot be read: \(error)")
                }
            }
            return result
        }
        do {
            return [(try Certificate(derEncoded: bytes), bytes)]
        } catch {
            throw Problem(message: "\(path): neither a PEM file nor a DER certificate")
        }
    }

    /// The PEM blocks of `text` (discriminator and DER bytes), in order, read by swift-asn1.
    public static func pemDocuments(_ text: String) throws -> [PEMDocument] {
        try PEMDocument.parseMultiple(pemString: text)
    }

    /// The private key in a PEM file (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY").
    public static func privateKey(in bytes: [UInt8], path: String) throws(Problem) -> Certificate.PrivateKey {
        let text = String(decoding: bytes, as: UTF8.self)
        // Before parsing: a legacy encrypted key has "Proc-Type:" headers, which are not PEM.
        if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED") {
            throw Problem(message: "\(path): the key is encrypted; Netdata cannot use an encrypted key either (decrypt it with: openssl pkey -in KEY -out KEY.plain)")
        }
        let documents: [PEMDocument]
        do {
            documents = try pemDocuments(text)
        } catch {
            throw Problem(message: "\(path): not valid PEM (\(error))")
        }
        let kinds = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]
        guard let document = documents.first(where: { kinds.contains($0.discriminator) }) else {
            let found = Set(documents.map(\.discriminator)).sorted().joined(separator: ", ")
            throw Problem(message: "\(path): no private key in this file (it holds: \(found.isEmpty ? "no PEM block" : found))")
        }
        do {
            return try Certificate.PrivateKey(pemDocument: document)
        } catch {
            throw Problem(message: "\(path): the \(document.discriminator) cannot be read: \(error)")
        }
    }

    /// `AB:CD:...`, as `openssl x509 -fingerprint -sha256` prints it.
    public static func fingerprint(_ der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    public static func names(_ certificate: Certificate) -> [String] {
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return sans.map { name in
            switch name {
            case .dnsName(let text): return "DNS:\(text)"
            case .ipAddress(let octets): return "IP:\(TLSName.ipText(Array(octets.bytes)))"
            case .rfc822Name(let text): return "email:\(text)"
            case .uniformResourceIdentifier(let text): return "URI:\(text)"
            default: return "\(name)"
            }
        }
    }

    public static func keyDescription(_ key: Certificate.PublicKey) -> String {
        let text = "\(key)"
        switch text {
        case "P256.PublicKey": return "ECDSA P-256"
        case "P384.PublicKey": return "ECDSA P-384"
        case "P521.PublicKey": return "ECDSA P-521"
        case "Ed25519.PublicKey": return "Ed25519"
        default:
            if text.hasPrefix("RSA"), let bits = Int(text.dropFirst(3).prefix { $0.isNumber }) { return "RSA \(bits)" }
            return text
        }
    }

    public static func isSelfSigned(_ certificate: Certificate) -> Bool {
        certificate.issuer == certificate.subject && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// `2025-11-24 21:12:00 UTC`.
    public static func utc(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }

    /// Key usage and extended key usage, as short words.
    public static func usages(_ certificate: Certificate) -> String {
        var words: [String] = []
        if let usage = try? certificate.extensions.keyUsage {
            let flags: [(Bool, String)] = [
                (usage.digitalSignature, "digitalSignature"), (usage.nonRepudiation, "nonRepudiation"),
                (usage.keyEncipherment, "keyEncipherment"), (usage.dataEncipherment, "dataEncipherment"),
                (usage.keyAgreement, "keyAgreement"), (usage.keyCertSign, "keyCertSign"), (usage.cRLSign, "cRLSign"),
            ]
            words += flags.filter(\.0).map(\.1)
        }
        if let extended = try? certificate.extensions.extendedKeyUsage {
            words += extended.map { usage -> String in
                switch usage {
                case .serverAuth: return "serverAuth"
                case .clientAuth: return "clientAuth"
                default: return "\(usage)"
                }
            }
        }
        return words.isEmpty ? "(not restricted)" : words.joined(separator: ", ")
    }

    public static func isCA(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return true }
        return false
    }
}

extension TLSInspect {
    /// `subject, valid until DATE (N days left), SHA-256 FINGERPRINT`: what the relay logs for
    /// the certificate it serves and `doctor` says of the one a parent presents.
    public static func oneLine(_ certificate: Certificate, der: [UInt8], now: Date = Date()) -> String {
        let left = max(daysLeft(certificate, now: now), 0)
        return "\(certificate.subject), valid until \(utc(certificate.notValidAfter)) (\(left) day\(left == 1 ? "" : "s") left), SHA-256 \(fingerprint(der))"
    }

    public struct ExpiryProblem: Sendable {
        /// `expired on DATE`, `is not valid before DATE` or `expires on DATE (N days left)`.
        public let text: String
        /// Still valid, but for fewer than `soon` days.
        public let expiringSoon: Bool
    }

    /// Nil when the certificate is valid for `soon` days or more.
    public static func expiryProblem(_ certificate: Certificate, now: Date = Date(), soon: Int) -> ExpiryProblem? {
        if now > certificate.notValidAfter { return ExpiryProblem(text: "expired on \(utc(certificate.notValidAfter))", expiringSoon: false) }
        if now < certificate.notValidBefore { return ExpiryProblem(text: "is not valid before \(utc(certificate.notValidBefore))", expiringSoon: false) }
        let days = daysLeft(certificate, now: now)
        guard days < soon else { return nil }
        return ExpiryProblem(text: "expires on \(utc(certificate.notValidAfter)) (\(days) day\(days == 1 ? "" : "s") left)", expiringSoon: true)
    }

    public static func daysLeft(_ certificate: Certificate, now: Date) -> Int {
        Int((certificate.notValidAfter.timeIntervalSince1970 - now.timeIntervalSince1970) / 86400)
    }
}
