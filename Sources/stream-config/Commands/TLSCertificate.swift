import Crypto
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A subject alternative name from `--name`: an IP literal (an IP SAN) or a DNS name.
enum TLSName: Equatable, CustomStringConvertible {
    case dns(String)
    case ip(String, [UInt8])

    /// Parses `text`; the error message says what is wrong with it.
    init(parsing raw: String) throws(TLSNameError) {
        var text = raw
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let bytes = Self.ipBytes(text) {
            self = .ip(text, bytes)
            return
        }
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw TLSNameError("the name '\(raw)' is empty") }
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw TLSNameError("'\(raw)' is not ASCII; give an internationalised name in its xn-- (punycode) form")
        }
        guard text.utf8.count <= 253 else { throw TLSNameError("'\(raw)' is longer than a DNS name can be (253)") }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*" && index == 0 && labels.count > 2 { continue }
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ Self.isNameByte($0) }),
                  label.first != "-", label.last != "-" else {
                throw TLSNameError("'\(raw)' is neither an IP address nor a DNS name (letters, digits, '-', '_' and dots; '*.' only as the first label of a name with at least two more)")
            }
        }
        self = .dns(text)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 literal.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// The text form of 4 or 16 address bytes.
    static func ipText(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : bytes.count == 16 ? AF_INET6 : -1
        guard family >= 0, bytes.withUnsafeBytes({ inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }) != nil else {
            return bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var value: String {
        switch self {
        case .dns(let name): return name
        case .ip(let text, _): return text
        }
    }

    var description: String {
        switch self {
        case .dns(let name): return "DNS:\(name)"
        case .ip(let text, _): return "IP:\(text)"
        }
    }

    var generalName: GeneralName {
        switch self {
        case .dns(let name): return .dnsName(name)
        case .ip(_, let bytes): return .ipAddress(.init(contentBytes: bytes[...]))
        }
    }

    /// Duplicates dropped (DNS names compare case-insensitively, IPs by their bytes).
    static func unique(_ names: [TLSName]) -> [TLSName] {
        var seen = Set<String>()
        return names.filter { name in
            switch name {
            case .dns(let text): return seen.insert("dns:" + text.lowercased()).inserted
            case .ip(_, let bytes): return seen.insert("ip:" + bytes.map(String.init).joined(separator: ".")).inserted
            }
        }
    }

    /// This machine's host name (gethostname), if it is a usable DNS name.
    static func machineHostname() -> TLSName? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let parsed = try? TLSName(parsing: name), case .dns = parsed else { return nil }
        return parsed
    }
}

struct TLSNameError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
    init(_ message: String) { self.message = message }
}

/// A private key and the self-signed certificate made for it by `tls init`.
///
/// The key is ECDSA P-256 in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), which OpenSSL 3 (Netdata)
/// and BoringSSL (NIOSSL, the relay) both read. The certificate is its own CA, so a child can
/// trust it directly with `CAfile`: basicConstraints CA:TRUE (critical, pathlen 0), keyUsage
/// digitalSignature + keyCertSign (critical), extendedKeyUsage serverAuth, the names as SANs,
/// subject and authority key identifiers; signed with ECDSA-SHA256.
struct GeneratedTLS {
    let keyPEM: String
    let certificatePEM: String
    let certificate: Certificate
    /// The certificate's DER bytes (what the SHA-256 fingerprint is taken of).
    let der: [UInt8]

    static let backdate: TimeInterval = 3600

    static func make(names: [TLSName], days: Int, now: Date = Date()) throws -> GeneratedTLS {
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

    static func terminated(_ pem: String) -> String { pem.hasSuffix("\n") ? pem : pem + "\n" }
}

/// Reading certificates and keys for `tls show` (and describing the one `tls init` made).
enum TLSInspect {
    struct Problem: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Every certificate in a PEM file (a chain), or the one certificate of a DER file.
    static func certificates(in bytes: [UInt8], path: String) throws(Problem) -> [(certificate: Certificate, der: [UInt8])] {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("-----BEGIN ") {
            let documents: [(discriminator: String, der: [UInt8])]
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
                    result.append((try Certificate(derEncoded: document.der), document.der))
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

    /// The PEM blocks of `text` (discriminator and DER bytes), in order.
    static func pemDocuments(_ text: String) throws -> [(discriminator: String, der: [UInt8])] {
        var result: [(String, [UInt8])] = []
        var current: (label: String, base64: String)?
        // By bytes: "\r\n" is one Character, so splitting the String at "\n" would miss CRLF lines.
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let trimmed = raw.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }.reversed()
            let line = String(decoding: Array(trimmed), as: UTF8.self)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                current = (String(line.dropFirst(11).dropLast(5)), "")
            } else if line.hasPrefix("-----END "), line.hasSuffix("-----"), let open = current {
                guard String(line.dropFirst(9).dropLast(5)) == open.label else {
                    throw Problem(message: "'-----END \(line.dropFirst(9).dropLast(5))-----' closes '\(open.label)'")
                }
                guard let der = Data(base64Encoded: open.base64) else {
                    throw Problem(message: "the \(open.label) block is not valid base64")
                }
                result.append((open.label, Array(der)))
                current = nil
            } else if current != nil {
                if line.contains(":") { continue }  // legacy "Proc-Type:" headers
                current!.base64 += line
            }
        }
        if let open = current { throw Problem(message: "the \(open.label) block has no END line") }
        return result
    }

    /// The private key in a PEM file (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY").
    static func privateKey(in bytes: [UInt8], path: String) throws(Problem) -> Certificate.PrivateKey {
        let text = String(decoding: bytes, as: UTF8.self)
        let documents: [(discriminator: String, der: [UInt8])]
        do {
            documents = try pemDocuments(text)
        } catch {
            throw Problem(message: "\(path): not valid PEM (\(error))")
        }
        if documents.contains(where: { $0.discriminator == "ENCRYPTED PRIVATE KEY" })
            || text.contains("Proc-Type: 4,ENCRYPTED") {
            throw Problem(message: "\(path): the key is encrypted; Netdata cannot use an encrypted key either (decrypt it with: openssl pkey -in KEY -out KEY.plain)")
        }
        let kinds = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"]
        guard let document = documents.first(where: { kinds.contains($0.discriminator) }) else {
            let found = Set(documents.map(\.discriminator)).sorted().joined(separator: ", ")
            throw Problem(message: "\(path): no private key in this file (it holds: \(found.isEmpty ? "no PEM block" : found))")
        }
        let pem = "-----BEGIN \(document.discriminator)-----\n\(Data(document.der).base64EncodedString(options: .lineLength64Characters))\n-----END \(document.discriminator)-----\n"
        do {
            return try Certificate.PrivateKey(pemEncoded: pem)
        } catch {
            throw Problem(message: "\(path): the \(document.discriminator) cannot be read: \(error)")
        }
    }

    /// `AB:CD:...`, as `openssl x509 -fingerprint -sha256` prints it.
    static func fingerprint(_ der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    static func names(_ certificate: Certificate) -> [String] {
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

    static func keyDescription(_ key: Certificate.PublicKey) -> String {
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

    static func isSelfSigned(_ certificate: Certificate) -> Bool {
        certificate.issuer == certificate.subject && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// `2025-11-24 21:12:00 UTC`.
    static func utc(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }

    /// Key usage and extended key usage, as short words.
    static func usages(_ certificate: Certificate) -> String {
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

    static func isCA(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return true }
        return false
    }
}

extension TLSInspect {
    /// `subject, valid until DATE (N days left), SHA-256 FINGERPRINT`: what the relay logs for
    /// the certificate it serves and `doctor` says of the one a parent presents.
    static func oneLine(_ certificate: Certificate, der: [UInt8], now: Date = Date()) -> String {
        let left = max(daysLeft(certificate, now: now), 0)
        return "\(certificate.subject), valid until \(utc(certificate.notValidAfter)) (\(left) day\(left == 1 ? "" : "s") left), SHA-256 \(fingerprint(der))"
    }

    struct ExpiryProblem {
        /// `expired on DATE`, `is not valid before DATE` or `expires on DATE (N days left)`.
        let text: String
        /// Still valid, but for fewer than `soon` days.
        let expiringSoon: Bool
    }

    /// Nil when the certificate is valid for `soon` days or more.
    static func expiryProblem(_ certificate: Certificate, now: Date = Date(), soon: Int) -> ExpiryProblem? {
        if now > certificate.notValidAfter { return ExpiryProblem(text: "expired on \(utc(certificate.notValidAfter))", expiringSoon: false) }
        if now < certificate.notValidBefore { return ExpiryProblem(text: "is not valid before \(utc(certificate.notValidBefore))", expiringSoon: false) }
        let days = daysLeft(certificate, now: now)
        guard days < soon else { return nil }
        return ExpiryProblem(text: "expires on \(utc(certificate.notValidAfter)) (\(days) day\(days == 1 ? "" : "s") left)", expiringSoon: true)
    }

    static func daysLeft(_ certificate: Certificate, now: Date) -> Int {
        Int((certificate.notValidAfter.timeIntervalSince1970 - now.timeIntervalSince1970) / 86400)
    }
}
