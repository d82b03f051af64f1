/// What one attempt to stream to a destination came to, in the words a user needs: what
/// happened, and what to change. Every parent answer of protocol spec 1.6 has its own diagnosis.
public struct Diagnosis: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        /// The parent would accept this child now.
        case accepted
        /// The key works and the child is connected already (the parent holds its GUID).
        case alreadyConnected
        case refused
        case unreachable
        case misconfigured
        /// Not a failure for this child, but worth knowing (a certificate close to its end, a
        /// pre-flight that only 2.x children send): printed as `note`, never as `ok`, and it
        /// does not change the exit status.
        case note
    }

    public var verdict: Verdict
    /// Stable identifier for scripts, e.g. `key-refused`, `tls-expected`.
    public var code: String
    public var summary: String
    public var fix: String?

    /// Whether this step lets the child stream (the exit status is 0 when every step does).
    public var isSuccess: Bool { verdict == .accepted || verdict == .alreadyConnected || verdict == .note }

    /// How a line starts in the human output: `ok` only for what works, never for a problem.
    public var mark: String {
        switch verdict {
        case .accepted, .alreadyConnected: return "ok"
        case .note: return "note"
        case .refused, .unreachable, .misconfigured: return "FAIL"
        }
    }

    public init(verdict: Verdict, code: String, summary: String, fix: String?) {
        self.verdict = verdict
        self.code = code
        self.summary = summary
        self.fix = fix
    }
}

/// How a connection attempt ended, as observed by the probe.
public enum ProbeOutcome: Sendable, Equatable {
    case resolveFailed(String)
    case connectRefused
    case connectTimedOut(seconds: Int)
    case tlsFailed(String)
    /// With `:SSL`: the parent answered the TLS ClientHello with bytes that are not TLS (a 2.x
    /// parent without a certificate answers `HTTP/1.1 400 Bad Request`).
    case plaintextAnswerToTLS([UInt8])
    /// The answer bytes the parent sent before closing (or within the read timeout).
    case answered([UInt8])
    /// Connected (and TLS when asked), request sent, then closed with no answer.
    case noAnswer
    /// Connected, request sent, and nothing came back within the timeout (the connection still
    /// open). `handshakeDone`: with TLS, whether the TLS handshake had completed (a parent that
    /// does not serve TLS lets the ClientHello hang).
    case silent(seconds: Int, handshakeDone: Bool)
}

public enum AnswerDiagnosis {
    /// - Parameters:
    ///   - destination: the entry as written in `destination`.
    ///   - usedTLS: whether the probe used TLS (`:SSL`).
    ///   - peerAddress: the child's address as the parent sees it, for `allow from` advice.
    ///   - child: the child's Netdata line, for what it does next (nil: say what both do).
    public static func diagnose(_ outcome: ProbeOutcome, destination: String, usedTLS: Bool, peerAddress: String,
                                child: NetdataTarget? = nil) -> Diagnosis {
        let seenAs = PeerName.forAllowFrom(peerAddress)
        switch outcome {
        case .resolveFailed(let reason):
            return Diagnosis(verdict: .misconfigured, code: "resolve-failed",
                             summary: "cannot resolve `\(destination)`: \(reason)",
                             fix: "check the host name, or write the parent's IP address; destinations are HOST[:PORT][:SSL], not URLs")
        case .connectRefused:
            return Diagnosis(verdict: .unreachable, code: "connection-refused",
                             summary: "nothing listens at \(destination): the connection was refused",
                             fix: "start Netdata on the parent, and check the port; a Debian parent listens on 127.0.0.1 only until its netdata.conf's `bind socket to IP` (or `[web] bind to`) allows remote children: `stream-config doctor --parent` on the parent names the line")
        case .connectTimedOut(let seconds):
            return Diagnosis(verdict: .unreachable, code: "connect-timeout",
                             summary: "no answer from \(destination) within \(seconds) s (a firewall dropping the packets, or a wrong address)",
                             fix: "check the address and that port 19999 (or yours) is open between this node and the parent")
        case .plaintextAnswerToTLS(let bytes):
            let first = String(decoding: bytes.prefix(80), as: UTF8.self).prefix { $0 != "\r" && $0 != "\n" }
            return tlsNotServed(destination, because: "answered the TLS ClientHello in plaintext (\"\(first)\")")
        case .tlsFailed(let reason):
            if !usedTLS { fallthrough }
            if reason.contains("WRONG_VERSION_NUMBER") {
                return tlsNotServed(destination, because: "answered the TLS ClientHello with something that is not TLS (\(reason))")
            }
            return Diagnosis(verdict: .refused, code: "tls-failed",
                             summary: "the TLS handshake with \(destination) failed: \(reason)",
                             fix: tlsFix(reason))
        case .noAnswer:
            if usedTLS {
                return tlsNotServed(destination, because: "accepted the connection but did not answer over TLS")
            }
            return Diagnosis(verdict: .refused, code: "closed-without-answer",
                             summary: "\(destination) accepted the connection and closed it without an answer (the child logs \"remote netdata does not respond\"; \(RetryDelay.noAnswer.describe(child)))",
                             fix: "if the parent has a TLS certificate (a 1.37.1 parent then answers only TLS children) or forces TLS (`^SSL=force`), add `:SSL` to the destination; else it may be shutting down or overloaded")
        case .silent(let seconds, let handshakeDone):
            if usedTLS && !handshakeDone {
                return tlsNotServed(destination, because: "accepted the connection but gave no answer to the TLS ClientHello within \(seconds) s")
            }
            return Diagnosis(verdict: .refused, code: "no-answer",
                             summary: "no answer from \(destination) within \(seconds) s: it accepted the connection and the request, and sent nothing back (the child logs \"remote netdata does not respond\"; \(RetryDelay.noAnswer.describe(child)))",
                             fix: "check that the destination is the parent's Netdata port, not a proxy or another service that waits for the client to speak first (one that waits for TLS needs `:SSL`); if it is Netdata, it is stuck or overloaded: see its error.log")
        case .answered(let bytes):
            return answered(bytes, destination: destination, usedTLS: usedTLS, seenAs: seenAs, child: child)
        }
    }

    /// The child's machine GUID is unknown: doctor does not send a STREAM request with a
    /// made-up one, since a parent that accepts it registers a node for that GUID, and after the
    /// probe that node stays in its list (`mirrored_hosts_status`) as a host that is never reachable.
    public static func unknownMachineGUID(_ why: String, hostname: String) -> Diagnosis {
        Diagnosis(verdict: .misconfigured, code: "machine-guid-unknown",
                  summary: "the key was not tried: \(why), and doctor does not send the STREAM request with a made-up machine GUID (the parent would keep a node `\(hostname)` for it that is never reachable)",
                  fix: "run doctor on the child as a user that can read Netdata's registry file (root or netdata), or pass `--machine-guid GUID` with the child's GUID (the one line of netdata.public.unique.id in the child's registry directory)")
    }

    /// Without a machine GUID: whether the destination answers at all (a `stream_info` GET,
    /// which registers nothing on the parent). The key is not checked.
    public static func reachability(_ outcome: ProbeOutcome, destination: String, usedTLS: Bool) -> Diagnosis {
        guard case .answered(let bytes) = outcome else {
            return diagnose(outcome, destination: destination, usedTLS: usedTLS, peerAddress: "this node's address")
        }
        let first = String(decoding: bytes.prefix(80), as: UTF8.self).prefix { $0 != "\r" && $0 != "\n" }
        return Diagnosis(verdict: .accepted, code: "reachable",
                         summary: "\(destination) answers (\"\(first)\")\(usedTLS ? " over TLS" : ""); the key was not tried", fix: nil)
    }

    /// The parent does not serve TLS on this port: 1.37.1 lets the handshake hang, a 2.11 parent
    /// without a certificate answers the ClientHello with a plaintext HTTP 400.
    static func tlsNotServed(_ destination: String, because what: String) -> Diagnosis {
        Diagnosis(verdict: .refused, code: "tls-not-served",
                  summary: "\(destination) \(what): it does not serve TLS on this port",
                  fix: "remove `:SSL` from the destination, or give the parent a certificate: `stream-config tls init --netdata-conf /etc/netdata/netdata.conf`, then restart it")
    }

    static func answered(_ bytes: [UInt8], destination: String, usedTLS: Bool, seenAs: String, child: NetdataTarget?) -> Diagnosis {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix(StreamAnswer.promptPrefix) || text == StreamAnswer.promptV1 || text == StreamAnswer.promptV2 {
            return Diagnosis(verdict: .accepted, code: "accepted",
                             summary: "\(destination) accepts this child (\"\(text)\")", fix: nil)
        }
        switch text {
        case StreamAnswer.notPermitted:
            return Diagnosis(verdict: .refused, code: "key-refused",
                             summary: "\(destination) refused the key (the child logs \"remote server denied access\"; \(RetryDelay.denied.describe(child)))",
                             fix: keyRefusedFix(seenAs: seenAs))
        case StreamAnswer.alreadyStreaming:
            return Diagnosis(verdict: .alreadyConnected, code: "already-streaming",
                             summary: "already streaming: your key works and this child (its machine GUID) is connected to \(destination) right now",
                             fix: nil)
        case StreamAnswer.sameLocalhost:
            return Diagnosis(verdict: .misconfigured, code: "same-machine-guid",
                             summary: "\(destination) has the same machine GUID as this child: it is this node itself, or a copy of it (\(RetryDelay.sameLocalhost.describe(child)))",
                             fix: "do not point a node at itself; if the child was cloned, delete its registry/netdata.public.unique.id and restart it to get a new GUID")
        case StreamAnswer.sameVnode:
            return Diagnosis(verdict: .misconfigured, code: "vnode",
                             summary: "\(destination) collects this machine GUID itself as a virtual node",
                             fix: "give this child its own machine GUID")
        case StreamAnswer.tooBusy, StreamAnswer.internalError, StreamAnswer.initializing:
            return Diagnosis(verdict: .refused, code: "parent-busy",
                             summary: "\(destination) answered \"\(text)\": it is busy, starting or rate-limiting new children",
                             fix: "wait and try again; check the parent's `[web] accept a streaming request every`")
        case StreamAnswer.notAllowedV1, StreamAnswer.notAuthorizedV2:
            return Diagnosis(verdict: .refused, code: "web-acl",
                             summary: "\(destination)'s web server does not allow streaming from \(seenAs) (\"\(text)\")",
                             fix: "on the parent, add this child's address to netdata.conf `[web] allow streaming from` (and `allow connections from`)")
        default:
            break
        }
        if text.hasPrefix("HTTP/") {
            if text.hasPrefix("HTTP/1.1 400") || text.hasPrefix("HTTP/1.0 400") {
                return Diagnosis(verdict: .refused, code: "tls-expected",
                                 summary: "\(destination) answered HTTP 400: this is a TLS port and you connected without `:SSL`",
                                 fix: useTLS(destination))
            }
            return Diagnosis(verdict: .misconfigured, code: "not-netdata",
                             summary: "\(destination) answered HTTP (\"\(text.prefix { $0 != "\r" && $0 != "\n" })\"): this is not Netdata's streaming port",
                             fix: "point the destination at the parent's Netdata port (19999 by default)")
        }
        if let first = bytes.first, first == 0x15 || first == 0x16 {
            return Diagnosis(verdict: .refused, code: "tls-expected",
                             summary: "\(destination) answered with TLS: this is a TLS port and you connected without `:SSL`",
                             fix: useTLS(destination))
        }
        let shown = String(text.prefix(80)).map { $0.isASCII && !$0.isNewline ? String($0) : "." }.joined()
        return Diagnosis(verdict: .misconfigured, code: "not-understood",
                         summary: "\(destination) answered something a Netdata child does not understand (\"\(shown)\"); the child logs \"remote node response is not understood, is it Netdata?\" (\(RetryDelay.notUnderstood.describe(child)))",
                         fix: "check that the destination is a Netdata parent's port (not statsd, not a web proxy)")
    }

    /// The lines a key section needs for this child. `seenAs` is the child's address as the parent
    /// names it; when the probe could not learn it, the caller passes prose (with blanks), which
    /// is never written into an `allow from` line.
    static func keyRefusedFix(seenAs: String) -> String {
        let known = !seenAs.contains(" ")
        let lines = StreamAdvice.keySection(allowFrom: known ? seenAs : nil).map { "`\($0)`" }.joined(separator: ", ")
        let allow = known ? "(or an `allow from` that matches \(seenAs) already" : "and an `allow from` that matches \(seenAs) (if it has one"
        return "on the parent, make sure the section named exactly as this child's `api key` exists and has \(lines) \(allow); `stream-config lint` on the parent's stream.conf shows why not); a machine GUID section for this child must not say `\(StreamAdvice.disableKey)`"
    }

    /// The fix for a plaintext child of a port that wants TLS: the StreamAdvice lines.
    static func useTLS(_ destination: String) -> String {
        "in [stream], write the entry as `\(StreamAdvice.tlsEntry(destination))` in `destination` and verify the parent with `\(StreamAdvice.caFile(StreamAdvice.Example.parentCertificate))` (`stream-config child set --ssl --ca-file \(StreamAdvice.Example.parentCertificate)`)"
    }

    static func tlsFix(_ reason: String) -> String {
        let lower = reason.lowercased()
        if lower.contains("expired") { return "the parent's certificate has expired: renew it (`stream-config tls init --force` on the parent)" }
        if lower.contains("self") || lower.contains("unknown") || lower.contains("verify") || lower.contains("issuer") {
            return "give the child the parent's certificate: `stream-config child set --ssl --ca-file parent.pem` (or, in a lab only, `--skip-certificate-verification`)"
        }
        if lower.contains("wrong version") || lower.contains("record") || lower.contains("eof") {
            return "the parent does not serve TLS on this port: remove `:SSL`, or configure `[web] ssl key`/`ssl certificate` on the parent"
        }
        return "check the parent's certificate with `stream-config tls show` and `openssl s_client`"
    }
}

/// How long a child postpones a destination after a handshake answer (protocol spec 1.6 and
/// 5.2): 1.37.1 waits the listed time and then `reconnect delay` (5 s) more; 2.x waits a random
/// time between 5 s and the listed time.
public struct RetryDelay: Sendable {
    /// The time the spec lists for the answer (1.37.1's wait, 2.x's upper bound).
    public let seconds: Int

    public static let noAnswer = RetryDelay(seconds: 30)
    public static let denied = RetryDelay(seconds: 60)
    public static let notUnderstood = RetryDelay(seconds: 60)
    public static let sameLocalhost = RetryDelay(seconds: 3600)

    public func describe(_ child: NetdataTarget?) -> String {
        let listed = Self.format(seconds)
        let v1 = "a 1.37 child tries this parent again after \(listed) (and at most `reconnect delay`, 5 s, later)"
        let v2 = "a 2.x child after a random 5 s to \(listed)"
        switch child {
        case .v1_37?: return v1
        case .v2?: return "a 2.x child tries this parent again after a random 5 s to \(listed)"
        case nil: return "\(v1); \(v2)"
        }
    }

    static func format(_ seconds: Int) -> String {
        seconds % 3600 == 0 ? "\(seconds / 3600) h" : "\(seconds) s"
    }
}
