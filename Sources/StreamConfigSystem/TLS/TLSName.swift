import X509
#if canImport(Glibc)
import Glibc
#endif

/// A subject alternative name from `--name`: an IP literal (an IP SAN) or a DNS name.
public enum TLSName: Equatable, Sendable, CustomStringConvertible {
    case dns(String)
    case ip(String, [UInt8])

    /// Parses `text`; the error message says what is wrong with it.
    public init(parsing raw: String) throws(TLSNameError) {
        var text = raw
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let bytes = Self.ipBytes(text) {
            self = .ip(text, bytes)
            return
        }
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw TLSNameError("the name '\(raw)' is empty") }
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw TLSNameError("'\(raw)' is not ASCII; give an internationalised name in its xn-- (punycode) form")
        }
        guard text.utf8.count <= 253 else { throw TLSNameError("'\(raw)' is longer than a DNS name can be (253)") }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*" && index == 0 && labels.count > 2 { continue }
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ Self.isNameByte($0) }),
                  label.first != "-", label.last != "-" else {
                throw TLSNameError("'\(raw)' is neither an IP address nor a DNS name (letters, digits, '-', '_' and dots; '*.' only as the first label of a name with at least two more)")
            }
        }
        self = .dns(text)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 literal.
    public static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// The text form of 4 or 16 address bytes.
    public static func ipText(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : bytes.count == 16 ? AF_INET6 : -1
        guard family >= 0, bytes.withUnsafeBytes({ inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }) != nil else {
            return bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var value: String {
        switch self {
        case .dns(let name): return name
        case .ip(let text, _): return text
        }
    }

    public var description: String {
        switch self {
        case .dns(let name): return "DNS:\(name)"
        case .ip(let text, _): return "IP:\(text)"
        }
    }

    public var generalName: GeneralName {
        switch self {
        case .dns(let name): return .dnsName(name)
        case .ip(_, let bytes): return .ipAddress(.init(contentBytes: bytes[...]))
        }
    }

    /// Duplicates dropped (DNS names compare case-insensitively, IPs by their bytes).
    public static func unique(_ names: [TLSName]) -> [TLSName] {
        var seen = Set<String>()
        return names.filter { name in
            switch name {
            case .dns(let text): return seen.insert("dns:" + text.lowercased()).inserted
            case .ip(_, let bytes): return seen.insert("ip:" + bytes.map(String.init).joined(separator: ".")).inserted
            }
        }
    }

    /// This machine's host name (gethostname), if it is a usable DNS name.
    public static func machineHostname() -> TLSName? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let parsed = try? TLSName(parsing: name), case .dns = parsed else { return nil }
        return parsed
    }
}

public struct TLSNameError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
