/// Every netdata.conf line stream-config tells a user to write, in one place.
///
/// `tls init`, doctor's fixes, lint's hints and explanations print these; README.md and the man
/// pages are checked against `documented` (AdviceDocsTests), and AdviceInteropTests applies
/// each line to a real Netdata 1.37.1 parent and child. Change a line here, never in a copy.
public enum Advice {
    /// The address the documentation uses: every address, Netdata's default port.
    public static let documentedAddress = "*:19999"
    /// The dashboard's address when streaming has a port of its own.
    public static let documentedLocalAddress = "localhost:19999"
    /// A second port for TLS-only streaming in the documentation.
    public static let documentedStreamingAddress = "*:19998"

    /// Every access word Netdata's `bind to` knows. An access list is required before `^SSL`:
    /// `*:19999^SSL=force` makes `19999^SSL` the port, and Netdata cannot listen.
    public static let everyAccess = "streaming|dashboard|registry|badges|management|netdata.conf"

    /// How a parent listens: the `[web] bind to` forms stream-config recommends.
    public enum Listen: String, Sendable, CaseIterable {
        /// One port, everything allowed, no ^SSL: plaintext without a certificate. With one,
        /// TLS too, and 1.37.1 then answers only TLS children (2.x takes both).
        case everything
        /// Only TLS children on the port (a plaintext STREAM gets HTTP 400), everything allowed.
        case tlsForced
        /// TLS, and plain HTTP without the redirect to https (1.37.1 still answers only TLS children).
        case tlsOptional
        /// The dashboard on loopback, streaming on a port of its own that takes only TLS.
        case streamingPortTLSForced
    }

    /// `[web] bind to = ...` for `listen`. `address` is where the parent listens (HOST:PORT; for
    /// `.streamingPortTLSForced` the dashboard's address, e.g. `localhost:19999`);
    /// `streamingAddress` is the TLS-only streaming port of `.streamingPortTLSForced`.
    public static func bindTo(_ listen: Listen, address: String = documentedAddress,
                              streamingAddress: String = documentedStreamingAddress) -> String {
        switch listen {
        case .everything: return "bind to = \(address)"
        case .tlsForced: return "bind to = \(address)=\(everyAccess)^SSL=force"
        case .tlsOptional: return "bind to = \(address)=\(everyAccess)^SSL=optional"
        case .streamingPortTLSForced: return "bind to = \(address) \(streamingAddress)=streaming^SSL=force"
        }
    }

    /// `[web] ssl key = PATH` and `[web] ssl certificate = PATH`.
    public static func sslKey(_ path: String) -> String { "ssl key = \(path)" }
    public static func sslCertificate(_ path: String) -> String { "ssl certificate = \(path)" }

    /// `[web] allow streaming from`: the children's addresses, plus local children.
    public static func allowStreamingFrom(_ addresses: String = "10.*") -> String { "allow streaming from = \(addresses) localhost" }

    /// `[web] bind to` that lets remote children in (the fix for a loopback-only parent).
    public static let listenOnEveryAddress = bindTo(.everything, address: "0.0.0.0:19999")

    /// The line that replaces a loopback-only `bind to` (or `[global] bind socket to IP`, the
    /// name Debian's netdata.conf uses) in place, under the same name so that it stays what
    /// Netdata reads: every entry's host becomes `*` (every address), its port and access list
    /// kept; entries without a port keep using `default port`. Debian's
    /// `bind socket to IP = 127.0.0.1` becomes `bind socket to IP = *`.
    public static func listenOnEveryAddress(replacing key: String, value: String) -> String {
        var entries: [String] = []
        for entry in BindTo(value).entries {
            let text: String
            if entry.isUnix {
                text = entry.text
            } else {
                let access = entry.text.firstIndex(of: "=").map { String(entry.text[$0...]) } ?? ""
                text = (entry.isUDP ? "udp:" : "") + "*" + (entry.port.map { ":\($0)" } ?? "") + access
            }
            if !entries.contains(text) { entries.append(text) }
        }
        return "\(key) = \(entries.isEmpty ? "*" : entries.joined(separator: " "))"
    }

    /// The fix for a loopback-only listener, at the line Netdata reads (`WebListen.bindOption`,
    /// whichever of its names and sections): `in FILE, change line N to `LINE``, LINE being
    /// `listenOnEveryAddress(replacing:value:)` of it. Doctor, lint (NC109) and `fleet check`
    /// (FL202) all print this.
    public static func listenOnEveryAddressFix(file: String, option: Option) -> String {
        "in \(file), change line \(option.line + 1) to `\(listenOnEveryAddress(replacing: option.key, value: option.value))`"
    }

    /// `[db] mode` that keeps what replication needs (a child in RAM holds only retention × update every).
    public static let databaseEngine = "mode = dbengine"

    /// Every line as the documentation writes it. README.md and the man pages may show no other
    /// `bind to`, `ssl key`, `ssl certificate` or `allow streaming from` line.
    public static var documented: [String] {
        Listen.allCases.map { bindTo($0, address: $0 == .streamingPortTLSForced ? documentedLocalAddress : documentedAddress) } + [
            listenOnEveryAddress,
            sslKey("/etc/netdata/ssl/stream.key"),
            sslCertificate("/etc/netdata/ssl/stream.crt"),
            allowStreamingFrom(),
        ]
    }
}
