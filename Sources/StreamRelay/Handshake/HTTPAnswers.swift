/// The relay's own HTTP answers: to requests it does not serve, and the `stream_info` answer it
/// synthesizes when no parent answers one (protocol.md 1.9).
public enum HTTPAnswers {
    public static func response(status: Int, reason: String, contentType: String = "text/plain; charset=utf-8", body: String) -> [UInt8] {
        let body = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\n"
            + "Content-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Cache-Control: no-cache\r\n"
            + "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// `stream_info` for a node this relay knows nothing about: status 404, no db or ingest
    /// fields, and never `ingest_type` localhost/virtual (which would ban the relay for good).
    /// A 2.x child reads it as "no stream info" and goes on to connect.
    public static func streamInfoNotFound(hostID: String) -> [UInt8] {
        let json = #"{"version":1,"status":404,"host_id":"\#(hostID.lowercased())","nodes":0,"receivers":0,"nonce":1}"#
        return response(status: 404, reason: "Not Found", contentType: "application/json", body: json)
    }

    public static let badRequest = response(status: 400, reason: "Bad Request",
                                            body: "This is a Netdata streaming relay: it serves STREAM requests and GET /api/v3/stream_info only.\r\n")
    public static let tooLarge = response(status: 431, reason: "Request Header Fields Too Large",
                                          body: "Request too large.\r\n")
    public static let notFound = response(status: 404, reason: "Not Found",
                                          body: "This is a Netdata streaming relay: it serves STREAM requests and GET /api/v3/stream_info only.\r\n")
    public static let methodNotAllowed = response(status: 405, reason: "Method Not Allowed",
                                                  body: "This is a Netdata streaming relay: it serves STREAM requests and GET /api/v3/stream_info only.\r\n")
    /// Every admitted slot (`--max-connections`) is taken.
    public static let serviceUnavailable = response(status: 503, reason: "Service Unavailable",
                                                    body: "The relay is serving as many connections as it may. Try later.\r\n")
    /// A STREAM request a 1.37 parent would refuse as "URL not valid".
    public static let urlNotValid = response(status: 400, reason: "Bad Request",
                                             body: "URL not valid. I don't understand you...\r\n")
}

/// Reading an HTTP response from a parent (`stream_info`).
enum HTTPResponseScan {
    /// True once the head and `Content-Length` bytes of body have arrived.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard let headEnd = Bytes.find(Array("\r\n\r\n".utf8), in: bytes),
              let length = contentLength(bytes[..<headEnd]) else { return false }
        return bytes.count - (headEnd + 4) >= length
    }

    static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") {
                return Int(lower.dropFirst("content-length:".count).filter { $0 != " " && $0 != "\t" })
            }
        }
        return nil
    }

    /// What a 2.x child needs (protocol.md 1.9): a status line, a head ending in a blank line,
    /// and `Content-Length: ` exactly so spelled with a non-zero value.
    static func isUsableStreamInfo(_ bytes: [UInt8]) -> Bool {
        guard bytes.starts(with: Array("HTTP/1.".utf8)),
              let headEnd = Bytes.find(Array("\r\n\r\n".utf8), in: bytes) else { return false }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self)
        guard let range = head.firstRange(of: "Content-Length: "),
              let length = Int(head[range.upperBound...].prefix { $0.isNumber }), length > 0 else { return false }
        return bytes.count - (headEnd + 4) >= length
    }
}
