import NIOCore

/// What the first request on a child connection turned out to be.
public enum HandshakeMessage: Sendable, Equatable {
    /// `STREAM ...`: a child that wants to stream.
    case stream(StreamRequest)
    /// `GET /api/v3/stream_info?...`: the 2.1+ pre-flight (protocol.md 1.9).
    case streamInfo(HTTPRequestHead)
    /// Any other HTTP request.
    case otherHTTP(HTTPRequestHead)
    /// Not a request the relay can serve; answered with an HTTP error, then closed.
    case rejected(HandshakeRejection)
    /// Bytes after the first request (a real child sends none before the parent's answer).
    case bytes(ByteBuffer)
}

public enum HandshakeRejection: Sendable, Equatable {
    /// The first bytes are not `STREAM ` nor an HTTP method.
    case notARequest
    /// No blank line within the size cap.
    case tooLarge
    /// A `STREAM` request Netdata would refuse as malformed (bad URL encoding, no ` HTTP/`, an
    /// encoded `&`).
    case malformedStream(StreamRequest.ParseError)
    /// An HTTP request line that does not parse.
    case badRequestLine
}

/// The request line and headers of an HTTP request, as received.
public struct HTTPRequestHead: Sendable, Equatable {
    public var bytes: [UInt8]
    public var method: String
    /// The request target (`/api/v3/stream_info?machine_guid=...`).
    public var target: String
    public var version: String

    public var path: Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }

    /// The decoded query parameter `name` (first occurrence), if any.
    public func queryValue(_ name: String) -> String? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        for piece in parts[1].split(separator: "&") {
            let pair = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == name else { continue }
            return URLDecoding.decode(ArraySlice(pair[1].utf8)).map { String(decoding: $0, as: UTF8.self) }
        }
        return nil
    }

    init?(bytes: [UInt8]) {
        guard let lineEnd = Bytes.find(Array("\r\n".utf8), in: bytes) else { return nil }
        let parts = bytes[..<lineEnd].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, parts[2].starts(with: Array("HTTP/".utf8)) else { return nil }
        self.bytes = bytes
        method = String(decoding: parts[0], as: UTF8.self)
        target = String(decoding: parts[1], as: UTF8.self)
        version = String(decoding: parts[2], as: UTF8.self)
    }
}
