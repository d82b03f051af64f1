import StreamConfig

/// A child's `STREAM key=...&hostname=... HTTP/1.1\r\n<headers>\r\n\r\n` request (protocol.md
/// 1.1-1.3), kept as the exact bytes received, with the query read the way a Netdata parent
/// reads it: percent-decode the whole query, then split on `&` and on the first `=` of each piece,
/// skipping empty pieces, names and values.
public struct StreamRequest: Sendable, Equatable {
    /// The whole request, up to and including the blank line.
    public let bytes: [UInt8]
    /// Where the query string is in `bytes` (after `STREAM `, before the first ` HTTP/`).
    public let queryRange: Range<Int>
    /// The raw query split on `&`, in order (empty pieces too, for `replacingKey`).
    let pieces: [Piece]

    /// One `&`-separated piece of the query. A request is read on every handshake, and a real
    /// one has 30 to 40 pieces: a piece whose bytes need no decoding (no `%`, no `+`: nearly
    /// all) is read where it is, and names and values become Strings only when asked for.
    struct Piece: Sendable {
        /// The piece's raw bytes in `bytes`.
        let range: Range<Int>
        /// Its decoded bytes when they differ from the raw ones; nil when they are the same.
        let decoded: [UInt8]?
        /// The length of the decoded name (the bytes before the first `=`); nil without `=`.
        let nameLength: Int?
    }

    public enum ParseError: Error, Sendable, Equatable {
        /// No ` HTTP/` after the query (Netdata never completes such a request).
        case noHTTPVersion
        /// `%XX` invalid, or a decoded byte that is a control character or invalid UTF-8
        /// (a 1.37 parent answers HTTP 400 "URL not valid").
        case badEncoding
        /// An encoded `&` (`%26`): the parent would split there, so the pieces the relay reads
        /// and rewrites would not be the pieces the parent reads.
        case encodedSeparator
    }

    public static func == (lhs: StreamRequest, rhs: StreamRequest) -> Bool { lhs.bytes == rhs.bytes }

    static let prefix = Array("STREAM ".utf8)
    static let httpMarker = Array(" HTTP/".utf8)

    /// `bytes` must start with `STREAM ` and end with `\r\n\r\n`.
    ///
    /// Netdata decodes the whole query, then splits it on `&`. An encoded `&` is refused
    /// (`encodedSeparator`), so splitting the raw query on `&` gives the same pieces, and a
    /// query decodes when each piece does (`&` is ASCII: no escape or UTF-8 sequence spans it);
    /// any bad piece makes the request `badEncoding`, as the whole query's decoding would.
    public init(bytes: [UInt8]) throws(ParseError) {
        self.bytes = bytes
        let start = StreamRequest.prefix.count
        guard let end = Bytes.find(StreamRequest.httpMarker, in: bytes, from: start) else { throw .noHTTPVersion }
        queryRange = start..<end

        var pieces: [Piece] = []
        pieces.reserveCapacity(48)
        var encodedSeparator = false
        var pieceStart = start
        var plain = true
        var firstEquals: Int?
        for index in start...end {
            if index < end, bytes[index] != UInt8(ascii: "&") {
                switch bytes[index] {
                case UInt8(ascii: "%"), UInt8(ascii: "+"): plain = false
                case UInt8(ascii: "=") where firstEquals == nil: firstEquals = index
                default: break
                }
                continue
            }
            // The end of a piece.
            let range = pieceStart..<index
            if plain {
                guard URLDecoding.isPlainText(bytes[range]) else { throw .badEncoding }
                pieces.append(Piece(range: range, decoded: nil, nameLength: firstEquals.map { $0 - range.lowerBound }))
            } else {
                guard let decoded = URLDecoding.decode(bytes[range]) else { throw .badEncoding }
                if decoded.contains(UInt8(ascii: "&")) { encodedSeparator = true }
                pieces.append(Piece(range: range, decoded: decoded, nameLength: decoded.firstIndex(of: UInt8(ascii: "="))))
            }
            pieceStart = index + 1
            plain = true
            firstEquals = nil
        }
        if encodedSeparator { throw .encodedSeparator }
        self.pieces = pieces
    }

    /// The piece's decoded bytes.
    private func decodedBytes(_ piece: Piece) -> ArraySlice<UInt8> {
        piece.decoded.map { $0[...] } ?? bytes[piece.range]
    }

    /// The decoded name (the whole piece when it has no `=`).
    private func name(_ piece: Piece) -> ArraySlice<UInt8> {
        let decoded = decodedBytes(piece)
        return decoded.prefix(piece.nameLength ?? decoded.count)
    }

    /// The decoded value of a `name=value` parameter as Netdata counts them (a name and a value,
    /// both non-empty); nil for other pieces.
    private func parameterValue(_ piece: Piece) -> ArraySlice<UInt8>? {
        guard let nameLength = piece.nameLength, nameLength > 0 else { return nil }
        let value = decodedBytes(piece).dropFirst(nameLength + 1)
        return value.isEmpty ? nil : value
    }

    private func isParameter(_ piece: Piece, named wanted: String) -> Bool {
        parameterValue(piece) != nil && name(piece).elementsEqual(wanted.utf8)
    }

    /// Decoded `name=value` pairs in order, empty ones skipped.
    public var parameters: [(name: String, value: String)] {
        pieces.compactMap { piece in
            parameterValue(piece).map { (String(decoding: name(piece), as: UTF8.self), String(decoding: $0, as: UTF8.self)) }
        }
    }

    /// A string parameter as the parent reads it: 1.37 keeps the last occurrence, 2.x the first.
    public func value(_ name: String, target: NetdataTarget) -> String? {
        let found: Piece?
        switch target {
        case .v1_37: found = pieces.last { isParameter($0, named: name) }
        case .v2: found = pieces.first { isParameter($0, named: name) }
        }
        return found.flatMap(parameterValue).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Distinct values sent for `name` (more than one means the child was ambiguous).
    public func values(_ name: String) -> [String] {
        var seen: [String] = []
        for piece in pieces where isParameter(piece, named: name) {
            let value = String(decoding: parameterValue(piece)!, as: UTF8.self)
            if !seen.contains(value) { seen.append(value) }
        }
        return seen
    }

    /// The query string as received (for logs: it contains the key, mask it).
    public var query: String { String(decoding: bytes[queryRange], as: UTF8.self) }

    /// The request with every `key` piece replaced by `key=<apiKey>`; every other byte unchanged.
    /// `compression`: what every `ver` offers of compression (`CompressionOffer`).
    public func replacingKey(with apiKey: String, compression: CompressionOffer = .asOffered) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + apiKey.utf8.count)
        out += bytes[..<queryRange.lowerBound]
        for (index, piece) in pieces.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            let pieceName = name(piece)
            if pieceName.elementsEqual("key".utf8) {
                out += "key=".utf8
                out += apiKey.utf8
            } else if compression != .asOffered, pieceName.elementsEqual("ver".utf8), let nameLength = piece.nameLength,
                      let version = UInt64(String(decoding: decodedBytes(piece).dropFirst(nameLength + 1), as: UTF8.self)) {
                let offered = compression == .none ? Self.withoutCompression(version) : Self.lz4Only(version)
                out += "ver=\(offered)".utf8
            } else {
                out += bytes[piece.range]
            }
        }
        out += bytes[queryRange.upperBound...]
        return out
    }

    /// What the relay offers the parent of the child's compression.
    public enum CompressionOffer: Sendable, Equatable {
        /// The child's `ver` unchanged: the relay splices, compression stays end to end.
        case asOffered
        /// No compression (`withoutCompression`): `enable compression = no` for this child.
        case none
        /// LZ4 or nothing (`lz4Only`): the relay reads the child's stream as text and
        /// compresses toward the parent itself (`LZ4StreamEncoder`).
        case lz4Only
    }

    /// Compression bits of `ver` (protocol.md 1.4, 3.1): LZ4 (10; 1.37's COMPRESSION), ZSTD (19),
    /// GZIP (20), BROTLI (21).
    public static let compressionBits: UInt64 = 1 << 10 | 1 << 19 | 1 << 20 | 1 << 21

    /// A `ver` that offers everything `version` offers but compression: the parent's answer is
    /// a subset of the offer, so neither side compresses (protocol.md 3.4 (a)). Legacy version
    /// 5 is 4 plus LZ4; smaller legacy versions have no compression.
    public static func withoutCompression(_ version: UInt64) -> UInt64 {
        if version == 5 { return 4 }
        if version < 8 { return version }
        return version & ~compressionBits
    }

    /// A `ver` that offers everything `version` offers but ZSTD, GZIP and BROTLI: the parent
    /// then picks LZ4 or nothing (protocol.md 3.1), the one codec the relay writes. Legacy
    /// version 5 already means LZ4 only.
    public static func lz4Only(_ version: UInt64) -> UInt64 {
        if version < 8 { return version }
        return version & ~(compressionBits & ~lz4Bit)
    }

    /// LZ4 in a capabilities bitmap (1.37's COMPRESSION).
    public static let lz4Bit: UInt64 = 1 << 10

    /// The `User-Agent` header value, if any.
    public var userAgent: String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\r\n").dropFirst() where line.hasPrefix("User-Agent: ") {
            return String(line.dropFirst("User-Agent: ".count))
        }
        return nil
    }
}

/// Netdata's URL decoding of a query string (`url_decode_r`): `%XX` is a byte, `+` a space; the
/// result must be valid UTF-8 without control characters.
enum URLDecoding {
    static func decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = input.startIndex
        while index < input.endIndex {
            var byte = input[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < input.endIndex, let high = hex(input[index + 1]), let low = hex(input[index + 2]) else { return nil }
                byte = high << 4 | low
                index += 3
            } else {
                if byte == UInt8(ascii: "+") { byte = UInt8(ascii: " ") }
                index += 1
            }
            if isControl(byte) { return nil }
            out.append(byte)
        }
        guard isValidUTF8(out) else { return nil }
        return out
    }

    /// Whether `bytes` are well-formed UTF-8 (Unicode 3.9, table 3-7): exactly the bytes that
    /// `String(decoding:as:)` keeps unchanged, checked without building a String (a request has
    /// a dozen pieces, each checked on the handshake path).
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValidUTF8($0) }
    }

    /// Whether raw query bytes that need no decoding (no `%`, no `+`) are acceptable as they
    /// are: no control characters, and valid UTF-8.
    static func isPlainText(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            !buffer.contains(where: isControl) && isValidUTF8(buffer)
        }
    }

    /// A byte Netdata refuses in a decoded query.
    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the second byte's range
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= count, (low...high).contains(bytes[index + 1]) else { return false }
            for next in (index + 2)..<(index + length) where bytes[next] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

enum Bytes {
    /// First index of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var index = from
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
