import NIOCore
import StreamConfig

#if canImport(Glibc)
import Glibc
#endif

/// The child→parent text stream of one child, filtered by `proxy send charts matching` the way a
/// Netdata proxy decides (protocol.md 2.1, 2.4, 2.5, 7.3): host-scoped lines always pass; the
/// lines of a chart pass only when its `ChartFilter` says so.
///
/// - Lines end at `\n`; words are split as the parent splits them (space, tab, CR, LF, `=`, FF,
///   VT; a word that starts with `'` or `"` runs to the same quote; `\x` is opaque). An id may be
///   preceded by `SLOT:<n>` (2.x).
/// - The current chart is tracked exactly as the parent's parser does: `CHART`, `BEGIN`,
///   `BEGIN2` and `RBEGIN "<id>"` set it (`RBEGIN ''` keeps it), `END`, `REND` and `FLUSH`
///   clear it, `END2` leaves it. `DIMENSION`, `CLABEL`, `CLABEL_COMMIT`, `FUNCTION` (not
///   `GLOBAL`), `VARIABLE` (not `HOST`/`GLOBAL`), `CHART_DEFINITION_END`, `SET`, `SET2`, `RSET`,
///   `RDSTATE`, `RSSTATE`, `END`, `END2` and `REND` belong to it.
/// - Deferred blocks (`FUNCTION_RESULT_BEGIN`...`FUNCTION_RESULT_END`, `JSON`...`JSON_PAYLOAD_END`)
///   are host-scoped and copied verbatim; their lines may be longer than the line cap (they are
///   passed on once their first word is known not to end the block).
/// - A dropped `CHART_DEFINITION_END` is a replication request the parent will never send: its
///   chart id is queued in `replayRequests` so the relay answers the child
///   `REPLAY_CHART "<id>" "true" 0 0` itself (the child then starts live data, which is dropped).
/// - Decisions are made once per chart id from its `CHART` line (Netdata caches them too).
///
/// Bounded: a partial line is kept up to `maxLineBytes`, decisions for at most `maxCharts` ids.
/// Either bound exceeded, or a compressed block on a leg negotiated without compression, is a
/// `Failure`: the relay closes that child.
struct ChartStreamFilter {
    enum Failure: Error, Equatable, CustomStringConvertible {
        case lineTooLong(Int)
        case tooManyCharts(Int)
        case compressed

        var description: String {
            switch self {
            case .lineTooLong(let cap): return "the child sent a line longer than \(cap) bytes"
            case .tooManyCharts(let cap): return "the child defined more than \(cap) charts"
            case .compressed: return "the child sent a compressed block on a stream negotiated without compression"
            }
        }
    }

    let filter: ChartFilter
    let maxLineBytes: Int
    let maxCharts: Int
    /// Part of a line whose end has not come yet.
    private var carry: [UInt8] = []
    /// Inside a deferred block's long line: bytes pass until the next `\n`.
    private var passingLine = false
    /// Inside a deferred block: the keyword that ends it.
    private var deferredEnd: Keyword?
    /// Decisions by chart id.
    private var decisions: [String: Bool] = [:]
    /// The chart in scope and whether its lines pass.
    private var current: (id: String, sends: Bool)?
    /// Charts whose `CHART_DEFINITION_END` was dropped: answer `REPLAY_CHART` to the child.
    private(set) var replayRequests: [String] = []
    /// Lines dropped and passed, for the log.
    private(set) var droppedLines = 0
    private(set) var passedLines = 0

    static let defaultMaxLineBytes = 1024 * 1024
    static let defaultMaxCharts = 200_000

    init(filter: ChartFilter, maxLineBytes: Int = defaultMaxLineBytes, maxCharts: Int = defaultMaxCharts) {
        self.filter = filter
        self.maxLineBytes = maxLineBytes
        self.maxCharts = maxCharts
    }

    /// The charts decided so far, and how many of them pass.
    var chartCounts: (all: Int, sent: Int) { (decisions.count, decisions.values.filter { $0 }.count) }

    mutating func takeReplayRequests() -> [String] {
        defer { replayRequests.removeAll() }
        return replayRequests
    }

    /// Filters `input`, appending what passes to `output`.
    mutating func feed(_ input: ByteBuffer, into output: inout ByteBuffer) throws(Failure) {
        var result: Result<Void, Failure> = .success(())
        input.withUnsafeReadableBytes { bytes in
            do throws(Failure) { try feed(bytes, into: &output) } catch { result = .failure(error) }
        }
        try result.get()
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, into output: inout ByteBuffer) throws(Failure) {
        let count = bytes.count
        var start = 0
        while start < count {
            let newline = Self.indexOfNewline(bytes, from: start)
            if passingLine {
                let end = newline.map { $0 + 1 } ?? count
                output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                if newline != nil { passingLine = false }
                start = end
                continue
            }
            guard let newline else {
                try keepPartial(UnsafeRawBufferPointer(rebasing: bytes[start..<count]), into: &output)
                return
            }
            if carry.isEmpty {
                try line(UnsafeRawBufferPointer(rebasing: bytes[start...newline]), into: &output)
            } else {
                // The whole line is checked against the cap by `line` (a deferred block's is not).
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...newline]))
                var whole: [UInt8] = []
                swap(&whole, &carry)
                var result: Result<Void, Failure> = .success(())
                whole.withUnsafeBytes { line in
                    do throws(Failure) { try self.line(line, into: &output) } catch { result = .failure(error) }
                }
                try result.get()
                if whole.capacity <= 64 * 1024 {
                    whole.removeAll(keepingCapacity: true)
                    carry = whole
                }
            }
            start = newline + 1
        }
    }

    /// Bytes after the last `\n` of a read.
    private mutating func keepPartial(_ bytes: UnsafeRawBufferPointer, into output: inout ByteBuffer) throws(Failure) {
        carry.append(contentsOf: bytes)
        // A long line of a deferred block passes once its first word shows it does not end the block.
        if let end = deferredEnd, carry.count > 256 {
            let decided: Bool = carry.withUnsafeBytes { line in
                var index = 0
                guard let first = Self.word(line, &index) else { return false }
                return first.range.upperBound < line.count && Keyword(line, first.range) != end
            }
            if decided {
                output.writeBytes(carry)
                passedLines += 1
                carry.removeAll(keepingCapacity: carry.capacity <= 64 * 1024)
                passingLine = true
                return
            }
        }
        try checkCarry()
    }

    private func checkCarry() throws(Failure) {
        if carry.count > maxLineBytes { throw .lineTooLong(maxLineBytes) }
    }

    // MARK: One line

    /// `line` ends with its `\n`.
    private mutating func line(_ line: UnsafeRawBufferPointer, into output: inout ByteBuffer) throws(Failure) {
        if deferredEnd == nil, line.count - 1 > maxLineBytes { throw .lineTooLong(maxLineBytes) }
        if try sends(line) {
            output.writeBytes(line)
            passedLines += 1
        } else {
            droppedLines += 1
        }
    }

    private mutating func sends(_ line: UnsafeRawBufferPointer) throws(Failure) -> Bool {
        // A compression header (protocol.md 3.2) reads as the 4-byte "line" FA 8x 8x 0A.
        if line.count == 4, line[0] == 0xFA, line[1] & 0x80 != 0, line[2] & 0x80 != 0 { throw .compressed }
        var index = 0
        guard let first = Self.word(line, &index) else { return true }
        let keyword = Keyword(line, first.range)
        if let end = deferredEnd {
            if keyword == end { deferredEnd = nil }
            return true
        }
        switch keyword {
        case .functionResultBegin:
            deferredEnd = .functionResultEnd
            return true
        case .json:
            deferredEnd = .jsonPayloadEnd
            return true
        case .chart:
            guard let id = Self.idWord(line, &index) else { return true }
            let idText = Self.string(line, id.range)
            var decision = decisions[idText]
            if decision == nil {
                let nameField = Self.word(line, &index).map { Self.string(line, $0.range) } ?? ""
                var context = ""
                for _ in 0..<4 { if let word = Self.word(line, &index) { context = Self.string(line, word.range) } else { context = ""; break } }
                let sends = filter.sends(id: idText, name: ChartFilter.fullName(id: idText, nameField: nameField), context: context)
                if decisions.count >= maxCharts { throw .tooManyCharts(maxCharts) }
                decisions[idText] = sends
                decision = sends
            }
            current = (idText, decision!)
            return decision!
        case .begin, .begin2, .rbegin:
            guard let id = Self.idWord(line, &index) else { return currentSends }
            if keyword == .rbegin, id.range.isEmpty { return currentSends }
            let idText = Self.string(line, id.range)
            // A chart not defined on this connection: decided by its id alone (not cached, so
            // its CHART line still decides with its name and context).
            let sends = decisions[idText] ?? filter.sends(id: idText, name: idText, context: idText)
            current = (idText, sends)
            return sends
        case .end, .rend:
            defer { current = nil }
            return currentSends
        case .flush:
            current = nil
            return true
        case .chartDefinitionEnd:
            let sends = currentSends
            if !sends, let current { replayRequests.append(current.id) }
            return sends
        case .dimension, .clabel, .clabelCommit, .set, .set2, .rset, .rdstate, .rsstate, .end2:
            return currentSends
        case .variable:
            if let scope = Self.word(line, &index), scope.quote == 0 {
                let kind = Keyword(line, scope.range)
                if kind == .host || kind == .global { return true }
            }
            return currentSends
        case .function:
            if let scope = Self.word(line, &index), Keyword(line, scope.range) == .global { return true }
            return currentSends
        default:
            return true
        }
    }

    /// Lines of the chart in scope pass when it passes; with no chart in scope the line passes
    /// (the parent judges it, as it would without the relay).
    private var currentSends: Bool { current?.sends ?? true }

    // MARK: Words

    struct Word {
        var range: Range<Int>
        /// The quote character, or 0.
        var quote: UInt8
    }

    @inline(__always)
    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x3D || (byte >= 0x09 && byte <= 0x0D)
    }

    /// The next word at or after `index` (quotes removed from the range); nil at the end.
    static func word(_ line: UnsafeRawBufferPointer, _ index: inout Int) -> Word? {
        let count = line.count
        while index < count, isSeparator(line[index]) { index += 1 }
        guard index < count else { return nil }
        let first = line[index]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            let start = index + 1
            var i = start
            while i < count, line[i] != first {
                i += line[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            let end = min(i, count)
            index = min(end + 1, count)
            return Word(range: start..<end, quote: first)
        }
        let start = index
        while index < count, !isSeparator(line[index]) {
            index += line[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        index = min(index, count)
        return Word(range: start..<index, quote: 0)
    }

    /// The next word, skipping a `SLOT:<n>` before it.
    static func idWord(_ line: UnsafeRawBufferPointer, _ index: inout Int) -> Word? {
        guard let word = word(line, &index) else { return nil }
        if word.quote == 0, word.range.count >= 5, Keyword.starts(line, word.range, with: Keyword.slotPrefix) {
            return self.word(line, &index)
        }
        return word
    }

    static func string(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }

    static func indexOfNewline(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard from < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + from, 0x0A, bytes.count - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}

/// The first words the filter acts on.
enum Keyword: Equatable {
    case chart, dimension, clabel, clabelCommit, chartDefinitionEnd, function, variable
    case begin, set, end, begin2, set2, end2, rbegin, rset, rdstate, rsstate, rend, flush
    case functionResultBegin, functionResultEnd, json, jsonPayloadEnd
    case host, global
    case other

    static let names: [(String, Keyword)] = [
        ("SET", .set), ("SET2", .set2), ("RSET", .rset), ("BEGIN", .begin), ("BEGIN2", .begin2), ("END", .end), ("END2", .end2),
        ("CHART", .chart), ("DIMENSION", .dimension), ("CLABEL", .clabel), ("CLABEL_COMMIT", .clabelCommit),
        ("CHART_DEFINITION_END", .chartDefinitionEnd), ("FUNCTION", .function), ("VARIABLE", .variable),
        ("RBEGIN", .rbegin), ("RDSTATE", .rdstate), ("RSSTATE", .rsstate), ("REND", .rend), ("FLUSH", .flush),
        ("FUNCTION_RESULT_BEGIN", .functionResultBegin), ("FUNCTION_RESULT_END", .functionResultEnd),
        ("JSON", .json), ("JSON_PAYLOAD_END", .jsonPayloadEnd), ("HOST", .host), ("GLOBAL", .global),
    ]
    static let table: [(bytes: [UInt8], keyword: Keyword)] = names.map { (Array($0.0.utf8), $0.1) }

    static let slotPrefix = Array("SLOT:".utf8)

    init(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) {
        let length = range.count
        for entry in Self.table where entry.bytes.count == length && Self.starts(line, range, with: entry.bytes) {
            self = entry.keyword
            return
        }
        self = .other
    }

    static func starts(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, with prefix: [UInt8]) -> Bool {
        guard range.count >= prefix.count else { return false }
        var i = range.lowerBound
        for byte in prefix {
            if line[i] != byte { return false }
            i += 1
        }
        return true
    }
}
