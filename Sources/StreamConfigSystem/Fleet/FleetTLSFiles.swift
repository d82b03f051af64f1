import StreamConfig
import X509

/// `fleet check` and TLS files: a child's collected `CAfile` and a parent's collected
/// `ssl certificate` (each beside the host's collected stream.conf or netdata.conf, under the name
/// the option gives), read and compared here, so the pure checker only compares ids (FL207) and
/// knows whether the served certificate is self-signed (FL208).
/// A file that is missing or cannot be read as certificates is left out: nothing is claimed.
public enum FleetTLSFiles {
    public static func attach(_ fleet: inout Fleet, read: (String) throws -> [UInt8]?) {
        var bundles: [String: [(certificate: Certificate, der: [UInt8])]] = [:]
        for i in fleet.hosts.indices {
            guard let stream = fleet.hosts[i].streamConf,
                  let name = stream.ini.section("stream")?.value("CAfile"), let path = beside(stream.path, name),
                  let bytes = try? read(path), let certificates = try? TLSInspect.certificates(in: bytes, path: path) else { continue }
            let id = TLSInspect.fingerprint(certificates.flatMap(\.der))
            bundles[id] = certificates
            fleet.hosts[i].caBundle = FleetCABundle(id: id, path: path)
        }
        for i in fleet.hosts.indices {
            guard let netdata = fleet.hosts[i].netdataConf,
                  let name = netdata.ini.section("web")?.value("ssl certificate"), let path = beside(netdata.path, name),
                  let bytes = try? read(path), let served = (try? TLSInspect.certificates(in: bytes, path: path))?.first else { continue }
            let verifiedBy = Set(bundles.filter { verifies($0.value, served) }.keys)
            fleet.hosts[i].serverCertificate = FleetServerCertificate(path: path, fingerprint: TLSInspect.fingerprint(served.der), verifiedBy: verifiedBy,
                                                                      selfSigned: TLSInspect.isSelfSigned(served.certificate))
        }
    }

    /// The bundle holds the certificate itself, or a certificate named as its issuer whose key
    /// signed it (as a child's OpenSSL would find it).
    static func verifies(_ bundle: [(certificate: Certificate, der: [UInt8])], _ served: (certificate: Certificate, der: [UInt8])) -> Bool {
        bundle.contains { candidate in
            candidate.der == served.der
                || (candidate.certificate.subject == served.certificate.issuer
                    && candidate.certificate.publicKey.isValidSignature(served.certificate.signature, for: served.certificate))
        }
    }

    /// `dir(of: file)/basename(name)`: where the collected copy of a file the option names is.
    static func beside(_ file: String, _ name: String) -> String? {
        let base = name.split(separator: "/").last.map(String.init) ?? ""
        guard !base.isEmpty, base != ".", base != ".." else { return nil }
        guard let slash = file.lastIndex(of: "/") else { return base }
        return String(file[...slash]) + base
    }
}
