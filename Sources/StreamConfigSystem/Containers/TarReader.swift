#if canImport(Glibc)
import Glibc
#endif

/// Reads the one-file tar stream that `docker cp NAME:PATH -` and `podman cp` write: ustar and
/// GNU headers, PAX records (size, uid, gid overrides), GNU long names. Pure and bounded by its
/// input; anything unexpected is a `Problem`, never a crash.
public enum TarReader {
    public struct Entry: Sendable {
        public var name: String
        public var type: UInt8
        public var mode: UInt32
        public var uid: uid_t
        public var gid: gid_t
        public var linkTarget: String
        public var data: [UInt8]

        public var isRegularFile: Bool { type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7") }
        public var kindDescription: String {
            switch type {
            case UInt8(ascii: "1"): return "a hard link to \(linkTarget)"
            case UInt8(ascii: "2"): return "a symbolic link to \(linkTarget)"
            case UInt8(ascii: "5"): return "a directory"
            case UInt8(ascii: "3"), UInt8(ascii: "4"): return "a device"
            case UInt8(ascii: "6"): return "a FIFO"
            default: return "not a regular file (tar type \(type))"
            }
        }
    }

    public struct Problem: Error, Sendable { public var description: String }

    /// The first real entry (after PAX and long-name records): the file `cp` was asked for.
    public static func single(_ bytes: [UInt8]) throws -> Entry {
        var offset = 0
        var pax: [String: String] = [:]
        var longName: String? = nil
        var longLink: String? = nil
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            guard checksumMatches(header) else { throw Problem(description: "a damaged tar header at byte \(offset)") }
            let type = header[header.startIndex + 156]
            var size = try number(header, at: 124, length: 12)
            if let override = pax["size"].flatMap(Int.init) { size = override }
            let dataStart = offset + 512
            guard size >= 0, size <= bytes.count - dataStart else { throw Problem(description: "a tar entry longer than the stream") }
            let data = Array(bytes[dataStart..<dataStart + size])
            offset = dataStart + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "x"):
                pax = records(data)
                continue
            case UInt8(ascii: "g"):
                continue
            case UInt8(ascii: "L"):
                longName = text(data[...])
                continue
            case UInt8(ascii: "K"):
                longLink = text(data[...])
                continue
            default:
                break
            }
            var name = text(field(header, at: 0, length: 100))
            let magic = field(header, at: 257, length: 5)
            if magic.elementsEqual("ustar".utf8), header[header.startIndex + 345] != 0 {
                name = text(field(header, at: 345, length: 155)) + "/" + name
            }
            let uid = try pax["uid"].flatMap(Int.init) ?? number(header, at: 108, length: 8)
            let gid = try pax["gid"].flatMap(Int.init) ?? number(header, at: 116, length: 8)
            guard uid >= 0, uid <= Int(UInt32.max), gid >= 0, gid <= Int(UInt32.max) else {
                throw Problem(description: "an owner out of range")
            }
            return Entry(name: pax["path"] ?? longName ?? name, type: type,
                         mode: UInt32(try number(header, at: 100, length: 8) & 0o7777),
                         uid: uid_t(uid), gid: gid_t(gid),
                         linkTarget: pax["linkpath"] ?? longLink ?? text(field(header, at: 157, length: 100)),
                         data: data)
        }
        throw Problem(description: "no file in its tar stream")
    }

    private static func field(_ header: ArraySlice<UInt8>, at offset: Int, length: Int) -> ArraySlice<UInt8> {
        let start = header.startIndex + offset
        return header[start..<start + length]
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Octal, space or NUL terminated; GNU base-256 (high bit set) for large values.
    private static func number(_ header: ArraySlice<UInt8>, at offset: Int, length: Int) throws -> Int {
        let bytes = field(header, at: offset, length: length)
        if let first = bytes.first, first & 0x80 != 0 {
            var value = Int(first & 0x3f)
            for byte in bytes.dropFirst() {
                guard value < Int.max >> 9 else { throw Problem(description: "a tar number too large") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        for byte in bytes {
            if byte == 0 || byte == 32 {
                if value == 0 { continue } else { break }
            }
            guard (48...55).contains(byte), value < Int.max >> 4 else { throw Problem(description: "a malformed tar header") }
            value = value * 8 + Int(byte - 48)
        }
        return value
    }

    /// The header's checksum: the sum of its bytes with the checksum field read as spaces.
    private static func checksumMatches(_ header: ArraySlice<UInt8>) -> Bool {
        guard let stored = try? number(header, at: 148, length: 8) else { return false }
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        return sum == stored
    }

    /// PAX records: "LENGTH KEY=VALUE\n".
    private static func records(_ data: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        var index = 0
        while index < data.count {
            // A record's length counts its own digits and space: one shorter than that is
            // malformed (found by fuzzing: it made the range below run backwards).
            guard let space = data[index...].firstIndex(of: 32), let length = Int(text(data[index..<space])),
                  length > 0, index + length <= data.count, space + 1 <= index + length else { break }
            let record = data[(space + 1)..<(index + length)].dropLast()  // without the newline
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                result[text(record[..<equals])] = String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            index += length
        }
        return result
    }
}
