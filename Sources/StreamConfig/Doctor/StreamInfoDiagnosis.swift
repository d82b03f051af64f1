/// The 2.1+ `GET /api/v3/stream_info` pre-flight (protocol spec 1.9), as a child sees it: a
/// well-formed HTTP answer of any kind lets the child go on; a connection that fails or closes
/// without a reply makes a 2.x child postpone that parent, every round.
public enum StreamInfoDiagnosis {
    /// The GUID of the `stream_info` GET that only checks that a parent answers (no node has it).
    public static let placeholderGUID = "00000000-0000-0000-0000-000000000000"

    public static func request(machineGUID: String, destination: String) -> [UInt8] {
        Array(("GET /api/v3/stream_info?machine_guid=\(machineGUID) HTTP/1.1\r\nHost: \(destination)\r\n"
            + "User-Agent: stream-config-doctor\r\nAccept: */*\r\nAccept-Encoding: identity\r\nTE: identity\r\n"
            + "Pragma: no-cache\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n").utf8)
    }

    public static func diagnose(_ outcome: ProbeOutcome, destination: String, childIsV2: Bool) -> Diagnosis {
        guard case .answered(let bytes) = outcome else {
            let what = "\(destination) gave no answer to the 2.x `stream_info` pre-flight"
            if childIsV2 {
                return Diagnosis(verdict: .refused, code: "stream-info-failed",
                                 summary: what + ": a Netdata 2.1+ child postpones this parent (30-60 s after a refusal or a close, 5-15 min after a timeout) and skips it, every round, so it never connects to it",
                                 fix: "make sure nothing between the child and the parent drops plain HTTP requests (a relay must answer them)")
            }
            return Diagnosis(verdict: .note, code: "stream-info-failed",
                             summary: what + ": 1.37 children do not send it, 2.1+ children would postpone this parent every round",
                             fix: "before upgrading children to Netdata 2, make sure nothing between them and the parent drops plain HTTP requests")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("HTTP/"), let headerEnd = text.firstRange(of: "\r\n\r\n"),
              text[..<headerEnd.lowerBound].contains("Content-Length: ") else {
            return Diagnosis(verdict: childIsV2 ? .refused : .note, code: "stream-info-not-http",
                             summary: "\(destination) answered the `stream_info` pre-flight with something that is not HTTP with a Content-Length",
                             fix: childIsV2 ? "point the destination at a Netdata parent's port" : nil)
        }
        let status = text.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
        let body = String(text[headerEnd.upperBound...])
        if body.contains("\"status\":200") || body.contains("\"status\": 200") {
            // The parent collects this GUID itself: a 2.x child bans it for good (not an `ok`).
            if let type = field("ingest_type", in: body), type == "localhost" || type == "virtual" {
                return Diagnosis(verdict: childIsV2 ? .misconfigured : .note, code: "stream-info-origin",
                                 summary: "\(destination) reports this node as its own (stream_info 200, ingest_type \(type)): a 2.x child never streams to it",
                                 fix: "do not point a node at itself; if the child was cloned, give it its own machine GUID")
            }
            let ingest = field("ingest_status", in: body).map { ", ingest status \($0)" } ?? ""
            return Diagnosis(verdict: .accepted, code: "stream-info",
                             summary: "\(destination) knows this node (stream_info 200\(ingest))", fix: nil)
        }
        if body.contains("\"status\":404") || body.contains("\"status\": 404") {
            return Diagnosis(verdict: .accepted, code: "stream-info",
                             summary: "\(destination) answers stream_info and does not hold this node yet (fine)", fix: nil)
        }
        // A parent serving TLS redirects plaintext HTTP to https: 2.x answers `399 Redirection`
        // (its access log says 301), 1.37.1 `301 Moved Permanently`. The child cannot parse the
        // page and goes on to STREAM, in plaintext: a 2.x parent takes it unless the port says
        // ^SSL=force; a 1.37.1 parent with a certificate answers no plaintext child at all.
        if status == "399" || (status == "301" && text[..<headerEnd.lowerBound].contains("Location: https://")) {
            let line = status == "399" ? "a Netdata 2.x parent (1.37.1 answers 301) that serves TLS on this port; it refuses plaintext STREAM if the port says ^SSL=force"
                : "a Netdata 1.x parent that serves TLS on this port; 1.37.1 then answers no plaintext child"
            // Children stream all the same (in plaintext where the parent takes it): a note.
            return Diagnosis(verdict: .note, code: "stream-info-tls",
                             summary: "\(destination) redirects the plaintext `stream_info` to https (HTTP \(status)): \(line)",
                             fix: "use TLS: " + AnswerDiagnosis.useTLS(destination))
        }
        return Diagnosis(verdict: .accepted, code: "stream-info-v1",
                         summary: "\(destination) answered stream_info with HTTP \(status): a Netdata 1.x parent (no v3 API); 2.1+ children go on to STREAM", fix: nil)
    }

    static func field(_ name: String, in json: String) -> String? {
        guard let key = json.firstRange(of: "\"\(name)\":") else { return nil }
        let rest = json[key.upperBound...].drop { $0 == " " || $0 == "\"" }
        // Values are numbers or simple words; 2.11 pretty-prints, one field a line.
        let value = rest.prefix { $0 != "\"" && $0 != "," && $0 != "}" && !$0.isWhitespace }
        return value.isEmpty ? nil : String(value)
    }
}
