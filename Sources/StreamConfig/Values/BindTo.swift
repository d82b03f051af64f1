/// `[web] bind to` as Netdata 1.37.1 and 2.x read it (`listen_sockets_setup` and
/// `bind_to_this`): entries split at spaces, tabs and commas; each entry is
/// `[tcp:|udp:]HOST[%IFACE][:PORT][=ACL|ACL...]` or `unix:PATH`.
///
/// The host ends at the first `:`, `%` or `=` (or at `]` when bracketed); the port runs from
/// the `:` to the first `=`, so in `*:19999^SSL=force` the port is `19999^SSL` (getaddrinfo
/// fails and the entry listens nowhere). After `=`, every `|`-separated word is cut at `^`:
/// the part before is an access word, a part after that is exactly `SSL=optional` or
/// `SSL=force` sets the port's TLS mode. An entry without `=` allows everything.
public struct BindTo: Sendable, Equatable {
    public enum Access: String, Sendable, CaseIterable {
        case dashboard, registry, badges, management, streaming, netdataConf = "netdata.conf"
    }

    public enum TLSMode: String, Sendable {
        /// No `^SSL`: with a certificate, TLS and plaintext are both served (plain HTTP is redirected).
        case `default`
        /// `^SSL=optional`: TLS and plaintext, no redirect.
        case optional
        /// `^SSL=force`: plaintext is refused (when Netdata has a certificate).
        case force
    }

    public struct Entry: Sendable, Equatable {
        /// The entry as written, and its byte offset in the value.
        public var text: String
        public var offset: Int
        public var isUnix: Bool
        public var isUDP: Bool
        /// nil: every address (`*`, `any`, `all` or empty).
        public var host: String?
        /// As Netdata passes it to getaddrinfo; nil when the entry gives none (the default port is used).
        public var port: String?
        /// Byte offset of the port within `text` (when given).
        public var portOffset: Int
        /// nil when the entry has no `=` (every access allowed).
        public var accessWords: [String]?
        public var access: Set<Access>
        public var tls: TLSMode
        /// `^...` suffixes that are not exactly `SSL=optional` or `SSL=force` (ignored by Netdata).
        public var unknownOptions: [String]
        /// Access words Netdata does not know (ignored).
        public var unknownAccessWords: [String]

        /// The port when it is a number Netdata can listen on.
        public var numericPort: Int? {
            guard let port, !port.isEmpty, port.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(port), (1...65535).contains(n) else { return nil }
            return n
        }

        /// `^SSL` written straight after the port: Netdata reads it as part of the port.
        public var caretInPort: Bool { port?.contains("^") ?? false }
    }

    public var entries: [Entry]

    public init(_ value: String) {
        var entries: [Entry] = []
        let bytes = Array(value.utf8)
        var index = 0
        func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0B || b == 0x0C || b == 0x0D || b == UInt8(ascii: ",") }
        while index < bytes.count {
            while index < bytes.count, isSeparator(bytes[index]) { index += 1 }
            let start = index
            while index < bytes.count, !isSeparator(bytes[index]) { index += 1 }
            guard index > start else { break }
            entries.append(Self.entry(String(decoding: bytes[start..<index], as: UTF8.self), offset: start))
        }
        self.entries = entries
    }

    static func entry(_ text: String, offset: Int) -> Entry {
        var result = Entry(text: text, offset: offset, isUnix: false, isUDP: false, host: nil, port: nil, portOffset: 0,
                           accessWords: nil, access: Set(Access.allCases), tls: .default, unknownOptions: [], unknownAccessWords: [])
        var rest = Substring(text)
        if rest.hasPrefix("tcp:") {
            rest = rest.dropFirst(4)
        } else if rest.hasPrefix("udp:") {
            rest = rest.dropFirst(4)
            result.isUDP = true
        } else if rest.hasPrefix("unix:") {
            result.isUnix = true
            result.host = String(rest.dropFirst(5))
            return result
        }
        var host: Substring
        if rest.first == "[" {
            let afterBracket = rest.dropFirst()
            let close = afterBracket.firstIndex(of: "]") ?? afterBracket.endIndex
            host = afterBracket[..<close]
            rest = close < afterBracket.endIndex ? afterBracket[afterBracket.index(after: close)...] : afterBracket[close...]
        } else {
            let end = rest.firstIndex { $0 == ":" || $0 == "%" || $0 == "=" } ?? rest.endIndex
            host = rest[..<end]
            rest = rest[end...]
        }
        if rest.first == "%" {
            let end = rest.firstIndex { $0 == ":" || $0 == "=" } ?? rest.endIndex
            rest = rest[end...]
        }
        if rest.first == ":" {
            let portStart = rest.index(after: rest.startIndex)
            let end = rest[portStart...].firstIndex(of: "=") ?? rest.endIndex
            result.port = String(rest[portStart..<end])
            result.portOffset = text.utf8.distance(from: text.startIndex, to: portStart)
            rest = rest[end...]
        }
        if rest.first == "=" {
            var access = Set<Access>()
            var words: [String] = []
            for part in rest.dropFirst().split(separator: "|", omittingEmptySubsequences: false) {
                var word = part
                if let caret = part.firstIndex(of: "^") {
                    word = part[..<caret]
                    let option = part[part.index(after: caret)...]
                    switch option {
                    case "SSL=optional": result.tls = .optional
                    case "SSL=force": result.tls = .force
                    default: result.unknownOptions.append(String(option))
                    }
                }
                guard !word.isEmpty else { continue }
                words.append(String(word))
                if let known = Access(rawValue: String(word)) {
                    access.insert(known)
                } else {
                    result.unknownAccessWords.append(String(word))
                }
            }
            result.accessWords = words
            result.access = access
        }
        if host.isEmpty || host == "*" || host == "any" || host == "all" {
            result.host = nil
        } else {
            result.host = String(host)
        }
        return result
    }

    /// Entries that accept streaming (the access list allows it) on a port Netdata can open.
    public var streamingEntries: [Entry] { entries.filter { $0.access.contains(.streaming) && !$0.isUDP } }

    /// Whether every entry listens on loopback only.
    public var loopbackOnly: Bool {
        !entries.isEmpty && entries.allSatisfy { entry in
            guard let host = entry.host else { return false }
            return entry.isUnix || host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }
}
