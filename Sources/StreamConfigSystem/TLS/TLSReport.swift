import StreamConfig
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `tls show` and `tls init` print about a certificate, and the steps `tls init` gives.
public enum TLSReport {
    /// `tls show`: every certificate of `bytes` described, and the key (path and bytes) checked
    /// against the first. `failure` says why the command fails: the first certificate is not
    /// valid `now`, or the key is not its key.
    public static func show(_ file: String, _ bytes: [UInt8], key: (path: String, bytes: [UInt8])?,
                            now: Date = Date()) throws(TLSInspect.Problem) -> (text: String, failure: String?) {
        let certificates = try TLSInspect.certificates(in: bytes, path: file)
        var out = ""
        for (index, entry) in certificates.enumerated() {
            let title = certificates.count == 1 ? file : "\(file) (certificate \(index + 1) of \(certificates.count))"
            out += "\(title)\n" + describe(entry.certificate, der: entry.der, now: now)
        }
        var failure: String?
        let first = certificates[0].certificate
        if now > first.notValidAfter {
            failure = "\(file): the certificate expired on \(TLSInspect.utc(first.notValidAfter))"
        } else if now < first.notValidBefore {
            failure = "\(file): the certificate is not valid before \(TLSInspect.utc(first.notValidBefore))"
        }
        if let key {
            let privateKey = try TLSInspect.privateKey(in: key.bytes, path: key.path)
            if privateKey.publicKey == first.publicKey {
                out += "  key:         \(key.path) matches this certificate\n"
            } else {
                out += "  key:         \(key.path) does NOT match this certificate\n"
                failure = failure ?? "\(key.path) is not the private key of \(file) (its public key differs)"
            }
        }
        return (out, failure)
    }

    public static func describe(_ certificate: Certificate, der: [UInt8], now: Date = Date()) -> String {
        let names = TLSInspect.names(certificate)
        let daysLeft = Int((certificate.notValidAfter.timeIntervalSince1970 - now.timeIntervalSince1970) / 86400)
        let state: String
        if now > certificate.notValidAfter {
            state = "EXPIRED"
        } else if now < certificate.notValidBefore {
            state = "NOT VALID YET"
        } else {
            state = "\(daysLeft) day\(daysLeft == 1 ? "" : "s") left"
        }
        let selfSigned = TLSInspect.isSelfSigned(certificate)
        var lines: [(String, String)] = [
            ("subject", "\(certificate.subject)"),
            ("issuer", "\(certificate.issuer)\(selfSigned ? " (self-signed)" : "")"),
            ("names", names.isEmpty ? "(no subject alternative names)" : names.joined(separator: ", ")),
            ("valid from", TLSInspect.utc(certificate.notValidBefore)),
            ("valid until", "\(TLSInspect.utc(certificate.notValidAfter)) (\(state))"),
            ("public key", TLSInspect.keyDescription(certificate.publicKey)),
            ("usage", TLSInspect.usages(certificate)),
            ("CA", TLSInspect.isCA(certificate)
                ? (selfSigned ? "yes: children can trust it directly (--ca-file)" : "yes")
                : "no (no basicConstraints CA:TRUE)"),
            ("serial", certificate.serialNumber.bytes.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined(separator: ":")),
        ]
        lines.append(("SHA-256", TLSInspect.fingerprint(der)))
        return lines.map { "  \(($0.0 + ":").padded(12)) \($0.1)\n" }.joined()
    }

    public static func instructions(generated: GeneratedTLS, keyPath: String, certificatePath: String, names: [TLSName], days: Int,
                             netdataConf: (path: String, edit: TLSNetdataConf.Edit)?) -> String {
        let certificate = generated.certificate
        let fingerprint = TLSInspect.fingerprint(generated.der)
        let parent = names.first { if case .dns(let n) = $0 { return n != "localhost" } else { return false } }?.value
            ?? names.first { if case .ip(let t, _) = $0 { return !t.hasPrefix("127.") && t != "::1" } else { return false } }?.value
            ?? "PARENT"
        let host = parent.contains(":") ? "[\(parent)]" : parent
        var out = """
            Certificate \(certificatePath)
              subject:     \(certificate.subject)
              names:       \(names.map(\.description).joined(separator: ", "))
              valid:       \(TLSInspect.utc(certificate.notValidBefore)) to \(TLSInspect.utc(certificate.notValidAfter)) (\(days) days)
              SHA-256 fingerprint: \(fingerprint)

            On this node (the parent):

            """
        if let netdataConf {
            out += "  \(netdataConf.path) [web] now has:\n"
        } else {
            out += "  add to netdata.conf (/etc/netdata/netdata.conf), section [web]:\n"
        }
        out += """
                  \(Advice.sslKey(keyPath))
                  \(Advice.sslCertificate(certificatePath))

            """
        if let previous = netdataConf?.edit, previous.previousKey != nil || previous.previousCertificate != nil,
           previous.previousKey != keyPath || previous.previousCertificate != certificatePath {
            out += "  (before: ssl key = \(previous.previousKey ?? "(unset)"), ssl certificate = \(previous.previousCertificate ?? "(unset)"))\n"
        }
        out += """
              then restart Netdata: sudo systemctl restart netdata
              Netdata then serves TLS on its web port, and plain HTTP requests get a redirect to https.
              Netdata 1.37.1 then answers only TLS children (plaintext children get no answer); 2.x keeps
              taking plaintext children until the port forces TLS. To refuse them on every version, put
              the port's access list before ^SSL=force in [web]:
                  \(Advice.bindTo(.tlsForced))
              (^SSL straight after the port makes it part of the port: Netdata cannot listen there and exits.)
              For `stream-config relay` instead: --tls-certificate \(certificatePath) --tls-key \(keyPath)

            On each child (recommended: TLS with the parent's certificate verified):
              1. copy the certificate, never the key, e.g.:
                   scp \(certificatePath) CHILD:/etc/netdata/ssl/parent.crt
              2. on the child, check that the fingerprint is the one above:
                   stream-config tls show /etc/netdata/ssl/parent.crt
              3. stream-config child set --destination \(host):19999 --ssl --ca-file /etc/netdata/ssl/parent.crt --api-key API_KEY
              4. restart Netdata on the child.
              The child must reach the parent by one of the names above (Netdata checks the certificate chain,
              not the name, but other TLS clients do).
              Lab only: --skip-certificate-verification instead of --ca-file encrypts without checking who
              answers, so anyone on the path can pose as the parent. Do not use it in production.

            """
        return out
    }
}
