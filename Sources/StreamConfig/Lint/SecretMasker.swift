/// Hides API keys in anything printed: the first 8 characters stay, the rest becomes `…`.
///
/// One pass over the text: at each position, look up the substrings of every secret length in
/// a set, so masking costs the same with ten keys or ten thousand.
public struct SecretMasker: Sendable {
    private let secretsByLength: [(length: Int, secrets: Set<ByteKey>)]
    /// Bit b set when some secret starts with byte b: other positions are passed at once.
    private let firstBytes: [UInt64]

    public init(_ secrets: Set<String>) {
        let grouped = Dictionary(grouping: secrets.filter { $0.utf8.count >= 4 }.map { Array($0.utf8) }, by: \.count)
        // Longest first, so a key that contains another is masked whole.
        secretsByLength = grouped.map { ($0.key, Set($0.value.map(ByteKey.init))) }.sorted { $0.length > $1.length }
        var firstBytes = [UInt64](repeating: 0, count: 4)
        for group in grouped.values {
            for secret in group { firstBytes[Int(secret[0]) >> 6] |= 1 << UInt64(secret[0] & 63) }
        }
        self.firstBytes = firstBytes
    }

    public static func mask(_ secret: String) -> String {
        secret.count > 12 ? String(secret.prefix(8)) + "…" : String(secret.prefix(2)) + "…"
    }

    public func mask(_ text: String) -> String {
        guard !secretsByLength.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        var changed = false
        scan: while index < bytes.count {
            let byte = bytes[index]
            if firstBytes[Int(byte) >> 6] & (1 << UInt64(byte & 63)) != 0 {
                for (length, secrets) in secretsByLength where index + length <= bytes.count {
                    let candidate = Array(bytes[index..<(index + length)])
                    if secrets.contains(ByteKey(candidate)) {
                        out += Array(SecretMasker.mask(String(decoding: candidate, as: UTF8.self)).utf8)
                        index += length
                        changed = true
                        continue scan
                    }
                }
            }
            out.append(byte)
            index += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
