#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Netdata's reading of a `Document`: which lines are headers, options, comments or ignored,
/// and which section every option lands in. It reproduces Netdata's loader (spec 1.2-1.3):
/// `fgets` chunks of at most 8191 bytes, `isspace` trimming, whole-line `#` comments, headers
/// that must start with `[` and end with `]`, the first `=` splitting key and value, byte-exact
/// names, merged duplicate sections, last duplicate key wins.
public struct Ini: Sendable {
    public static let readChunk = 8191

    public let entries: [Entry]
    /// Sections in order of first appearance; duplicates merge into the first.
    public let sections: [Section]
    private let sectionIndex: [ByteKey: Int]

    /// A section while the file is being read (sections merge, so it grows until the end).
    private struct Builder {
        var name: [UInt8]
        var headerEntries: [Int] = []
        var options: [Option] = []

        init(name: [UInt8], header: Int) {
            self.name = name
            headerEntries = [header]
            options.reserveCapacity(8)  // a typical section: grown once, not four times
        }
    }

    /// What the lines read so far have built.
    private struct Reading {
        var entries: [Entry] = []
        var builders: [Builder] = []
        var index: [ByteKey: Int] = [:]
        var current: Int? = nil

        mutating func add(_ entry: consuming Entry) {
            switch entry.kind {
            case .header(let name):
                let key = ByteKey(name)
                let found: Int
                if let existing = index[key] {
                    found = existing
                    builders[found].headerEntries.append(entries.count)
                } else {
                    builders.append(Builder(name: name, header: entries.count))
                    found = builders.count - 1
                    index[key] = found
                }
                current = found
                entry.section = found
                entries.append(entry)
            case .option(let option):
                if let current { builders[current].options.append(option) }
                entries.append(entry)
            default:
                entries.append(entry)
            }
        }
    }

    public init(_ document: Document) {
        var reading = Reading()
        reading.entries.reserveCapacity(document.lines.count)
        // A key section takes about eight lines: growing (and rehashing) the index is the cost
        // this avoids for big parent files.
        reading.index.reserveCapacity(document.lines.count / 8)
        reading.builders.reserveCapacity(document.lines.count / 8)
        for (lineIndex, line) in document.lines.enumerated() {
            // Almost every line is read in one piece; only allocate chunk lists for long ones.
            if line.text.count < Ini.readChunk {
                reading.add(Ini.classify(line.text, lineIndex: lineIndex, chunk: 0..<line.text.count, section: reading.current))
                continue
            }
            for chunk in Ini.chunks(of: line) {
                reading.add(Ini.classify(line.text, lineIndex: lineIndex, chunk: chunk, section: reading.current))
            }
        }
        entries = reading.entries
        sections = reading.builders.map { Section(name: $0.name, headerEntries: $0.headerEntries, options: $0.options) }
        sectionIndex = reading.index
    }

    public func section(_ name: String) -> Section? {
        sectionIndex[ByteKey(Array(name.utf8))].map { sections[$0] }
    }

    /// The byte ranges `fgets` with an 8192-byte buffer returns for one physical line.
    static func chunks(of line: Line) -> [Range<Int>] {
        let total = line.text.count + (line.hasNewline ? 1 : 0)
        if total <= readChunk { return [0..<line.text.count] }
        var result: [Range<Int>] = []
        var start = 0
        while start < total {
            let end = min(start + readChunk, total)
            result.append(start..<min(end, line.text.count))
            start = end
        }
        return result
    }

    static func classify(_ text: [UInt8], lineIndex: Int, chunk: Range<Int>, section: Int?) -> Entry {
        var entry = Entry(line: lineIndex, chunk: chunk, kind: .blank, section: section)
        let trimmed = Bytes.trimmed(text, chunk)
        if trimmed.isEmpty { return entry }
        let first = text[trimmed.lowerBound]
        if first == UInt8(ascii: "#") {
            entry.kind = .comment
            return entry
        }
        if first == UInt8(ascii: "["), text[trimmed.upperBound - 1] == UInt8(ascii: "]"), trimmed.count >= 2 {
            let nameRange = (trimmed.lowerBound + 1)..<(trimmed.upperBound - 1)
            entry.kind = .header(Array(text[nameRange]))
            entry.nameRange = nameRange
            return entry
        }
        guard section != nil else {
            entry.kind = .outsideSection
            return entry
        }
        guard let equals = text[trimmed].firstIndex(of: UInt8(ascii: "=")) else {
            entry.kind = .noEquals
            return entry
        }
        let keyRange = Bytes.trimmed(text, trimmed.lowerBound..<equals)
        if keyRange.isEmpty {
            entry.kind = .emptyKey
            return entry
        }
        var valueRange = Bytes.trimmed(text, (equals + 1)..<trimmed.upperBound)
        if valueRange.isEmpty { valueRange = trimmed.upperBound..<trimmed.upperBound }
        entry.kind = .option(Option(
            key: String(decoding: text[keyRange], as: UTF8.self), value: String(decoding: text[valueRange], as: UTF8.self),
            line: lineIndex, keyRange: keyRange, valueRange: valueRange, equalsOffset: equals))
        return entry
    }
}

public struct Entry: Sendable {
    public enum Kind: Sendable {
        case blank
        case comment
        case header([UInt8])
        case option(Option)
        case noEquals
        case emptyKey
        case outsideSection
    }

    /// Physical line index (0-based).
    public var line: Int
    /// Byte range of the line that Netdata read as this logical line.
    public var chunk: Range<Int>
    public var kind: Kind
    /// The section in force (for a header: the section it opens).
    public var section: Int?
    /// For headers: the byte range of the section name.
    public var nameRange: Range<Int>? = nil
}

/// One `name = value` line as Netdata reads it. A class: entries, sections and checks share
/// one instance instead of copying two strings and four ranges (lint holds tens of thousands).
public final class Option: Sendable, Equatable {
    /// The name and value as written. Names are compared by their UTF-8 bytes, as Netdata does;
    /// (bytes that are not valid UTF-8 read as U+FFFD, so two such names can compare equal).
    public let key: String
    public let value: String
    public var keyBytes: [UInt8] { Array(key.utf8) }
    public var valueBytes: [UInt8] { Array(value.utf8) }
    /// Physical line index (0-based) and byte ranges within that line.
    public let line: Int
    public let keyRange: Range<Int>
    public let valueRange: Range<Int>
    public let equalsOffset: Int
    /// `key.utf8.count`, kept so that look-ups by name compare an integer first.
    let keyLength: Int

    init(key: String, value: String, line: Int, keyRange: Range<Int>, valueRange: Range<Int>, equalsOffset: Int) {
        self.key = key
        self.keyLength = key.utf8.count
        self.value = value
        self.line = line
        self.keyRange = keyRange
        self.valueRange = valueRange
        self.equalsOffset = equalsOffset
    }

    public static func == (a: Option, b: Option) -> Bool {
        a.key == b.key && a.value == b.value && a.line == b.line && a.keyRange == b.keyRange
            && a.valueRange == b.valueRange && a.equalsOffset == b.equalsOffset
    }
}

/// A section as Netdata merges it, immutable once the file is read. A class: checks walk
/// sections many times over, and a reference costs one retain where the fields cost five.
public final class Section: Sendable {
    public let nameBytes: [UInt8]
    /// Entry indices of every header that opened this section.
    public let headerEntries: [Int]
    /// Every option line in file order, duplicates included.
    public let options: [Option]

    public let name: String
    /// Whether some option name appears more than once (`laterDuplicates` has a non-nil entry).
    public let hasDuplicates: Bool
    /// Bit n set when some option name is n bytes long (names of 63 bytes or more: bit 63), so
    /// that asking for an absent option, the usual answer, costs one test.
    private let nameLengths: UInt64

    init(name: [UInt8], headerEntries: [Int], options: [Option]) {
        self.nameBytes = name
        self.name = String(decoding: name, as: UTF8.self)
        self.headerEntries = headerEntries
        self.options = options
        self.hasDuplicates = Section.hasDuplicateNames(options)
        self.nameLengths = options.reduce(0) { $0 | Section.lengthBit($1.keyLength) }
    }

    /// For each option, the index of a later option with the same name (which Netdata uses
    /// instead), or nil when this one is the effective value.
    public func laterDuplicates() -> [Int?] {
        Section.laterDuplicates(options)
    }

    private static func hasDuplicateNames(_ options: [Option]) -> Bool {
        if options.count > 32 { return laterDuplicates(options).contains { $0 != nil } }
        for i in options.indices {
            for j in (i + 1)..<options.count where options[j].keyLength == options[i].keyLength && options[j].key.sameBytes(options[i].key) {
                return true
            }
        }
        return false
    }

    private static func laterDuplicates(_ options: [Option]) -> [Int?] {
        var result = [Int?](repeating: nil, count: options.count)
        if options.count <= 32 {
            for i in options.indices {
                let key = options[i].key, length = options[i].keyLength
                var j = options.endIndex - 1
                while j > i {
                    if options[j].keyLength == length, options[j].key.sameBytes(key) {
                        result[i] = j
                        break
                    }
                    j -= 1
                }
            }
            return result
        }
        // By bytes, as below 32 (String keys would merge canonically equivalent names).
        var last: [ByteKey: Int] = [:]
        let keys = options.map { ByteKey(Array($0.key.utf8)) }
        for (i, key) in keys.enumerated() { last[key] = i }
        for (i, key) in keys.enumerated() where last[key] != i { result[i] = last[key] }
        return result
    }

    /// The value Netdata uses: the last occurrence of the exact key.
    public func option(_ key: String) -> Option? {
        guard nameLengths & Section.lengthBit(key.utf8.count) != 0 else { return nil }
        return Section.last(key, in: options)
    }

    private static func lengthBit(_ length: Int) -> UInt64 { 1 << UInt64(min(length, 63)) }

    private static func last(_ key: String, in options: [Option]) -> Option? {
        let length = key.utf8.count
        var index = options.endIndex
        while index > options.startIndex {
            index -= 1
            let option = options[index]
            if option.keyLength == length, option.key.sameBytes(key) { return option }
        }
        return nil
    }

    public func value(_ key: String) -> String? { option(key)?.value }
}

extension String {
    /// Whether the UTF-8 bytes contain `byte` (memchr over the string's storage; lint asks this
    /// of every value).
    func containsByte(_ byte: UInt8) -> Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ buffer in
            buffer.count > 0 && memchr(buffer.baseAddress!, Int32(byte), buffer.count) != nil
        }) {
            return found
        }
        return utf8.contains(byte)
    }

    /// Byte-exact comparison (Swift's `==` treats canonically equivalent text as equal; Netdata
    /// compares bytes).
    @inline(__always)
    func sameBytes(_ other: String) -> Bool {
        var a = self
        var b = other
        return a.withUTF8 { pa in b.withUTF8 { pb in pa.count == pb.count && (pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0) } }
    }
}

/// Bytes as a dictionary key, hashed as one buffer (`[UInt8]` itself hashes byte by byte).
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

enum Bytes {
    /// C `isspace` in the C locale: space, \t, \n, \v, \f, \r.
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    static func trimmed(_ text: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isSpace(text[lower]) { lower += 1 }
        while upper > lower, isSpace(text[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
