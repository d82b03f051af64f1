/// One entry of a `destination` list: `[PROTOCOL:]HOST[%INTERFACE][:PORT][:SSL]` (spec 3.1).
public struct Destination: Sendable, Equatable {
    public enum Transport: String, Sendable { case tcp, udp, unix }

    /// The entry as written (before any `:SSL` cut).
    public var raw: String
    /// Byte offset of the entry within the option value.
    public var offset: Int
    public var transport: Transport = .tcp
    public var host: String = ""
    public var bracketed = false
    public var missingCloseBracket = false
    public var interface: String? = nil
    /// The port text as Netdata passes it to `getaddrinfo` (nil = `default port`).
    public var port: String? = nil
    public var tls = false
    /// The bytes Netdata drops because they follow `:SSL`.
    public var droppedAfterTLS: String = ""

    /// Connect address text for messages: `host:port`.
    public func endpoint(defaultPort: Int) -> String {
        if transport == .unix { return "unix:\(host)" }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port ?? String(defaultPort))"
    }

    public var numericPort: Int? {
        guard let port, !port.isEmpty, port.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(port)
    }
}

public enum DestinationList {
    /// Entries separated by whitespace or commas; empty entries skipped.
    static func split(_ value: String) -> [(String, Int)] {
        var result: [(String, Int)] = []
        let bytes = Array(value.utf8)
        var index = 0
        while index < bytes.count {
            while index < bytes.count, Bytes.isSpace(bytes[index]) || bytes[index] == UInt8(ascii: ",") { index += 1 }
            let start = index
            while index < bytes.count, !(Bytes.isSpace(bytes[index]) || bytes[index] == UInt8(ascii: ",")) { index += 1 }
            if index > start { result.append((String(decoding: bytes[start..<index], as: UTF8.self), start)) }
        }
        return result
    }

    /// Parses a destination list the way the given Netdata line does.
    ///
    /// - `perEntryTLS`: true for 2.x (each entry's first `:SSL` turns TLS on and cuts the entry);
    ///   for 1.37.1 `[stream] destination` pass false and use `v1GlobalTLS` first.
    public static func parse(_ value: String, target: NetdataTarget, isStreamDestination: Bool = true) -> [Destination] {
        switch target {
        case .v2:
            return split(value).map { parseEntry($0.0, offset: $0.1, stripTLS: true) }
        case .v1_37:
            guard isStreamDestination else {
                return split(value).map { parseEntry($0.0, offset: $0.1, stripTLS: false) }
            }
            let (kept, tls) = v1GlobalTLS(value)
            return split(kept).map { entry in
                var destination = parseEntry(entry.0, offset: entry.1, stripTLS: false)
                destination.tls = tls
                return destination
            }
        }
    }

    /// 1.37.1: the first `:SSL` anywhere in `[stream] destination` turns TLS on for every
    /// parent and cuts the whole list there.
    public static func v1GlobalTLS(_ value: String) -> (kept: String, tls: Bool) {
        guard let range = firstTLSMarker(Substring(value)) else { return (value, false) }
        return (String(value[..<range.lowerBound]), true)
    }

    /// The first exact `:SSL`, found by bytes: `firstRange(of:)` goes through the generic
    /// string-processing engine, which was a tenth of `fleet check`'s time.
    static func firstTLSMarker(_ text: Substring) -> Range<Substring.Index>? {
        let bytes = text.utf8
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":") {
                var probe = bytes.index(after: index)
                var matched = true
                for expected in "SSL".utf8 {
                    guard probe != bytes.endIndex, bytes[probe] == expected else { matched = false; break }
                    probe = bytes.index(after: probe)
                }
                if matched { return index..<probe }
            }
            index = bytes.index(after: index)
        }
        return nil
    }

    static func parseEntry(_ raw: String, offset: Int, stripTLS: Bool) -> Destination {
        var d = Destination(raw: raw, offset: offset)
        var text = Substring(raw)
        if stripTLS, let range = firstTLSMarker(text) {
            d.tls = true
            d.droppedAfterTLS = String(text[range.upperBound...])
            text = text[..<range.lowerBound]
        }
        if text.hasPrefix("tcp:") {
            text = text.dropFirst(4)
        } else if text.hasPrefix("udp:") {
            d.transport = .udp
            text = text.dropFirst(4)
        } else if text.hasPrefix("unix:") {
            d.transport = .unix
            d.host = String(text.dropFirst(5))
            return d
        } else if text.hasPrefix("/") {
            d.transport = .unix
            d.host = String(text)
            return d
        }
        if text.hasPrefix("[") {
            d.bracketed = true
            let inner = text.dropFirst()
            if let close = inner.firstIndex(of: "]") {
                d.host = String(inner[..<close])
                text = inner[inner.index(after: close)...]
            } else {
                d.missingCloseBracket = true
                d.host = String(inner)
                return d
            }
        } else {
            let end = text.firstIndex { $0 == ":" || $0 == "%" } ?? text.endIndex
            d.host = String(text[..<end])
            text = text[end...]
        }
        if text.hasPrefix("%") {
            let end = text.firstIndex(of: ":") ?? text.endIndex
            d.interface = String(text[text.index(after: text.startIndex)..<end])
            text = text[end...]
        }
        if text.hasPrefix(":") {
            d.port = String(text.dropFirst())
        }
        return d
    }
}
