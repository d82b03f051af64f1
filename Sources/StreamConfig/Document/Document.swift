/// A stream.conf file as the exact bytes it was read from, split into physical lines.
///
/// The model is lossless: `Document(bytes).render() == bytes` for any input, including
/// invalid UTF-8, CRLF line ends, a BOM, a missing final newline and very long lines.
/// Interpretation (sections, keys, values) is a separate, derived view: `Ini`.
public struct Document: Sendable, Equatable {
    public private(set) var lines: [Line]

    public init(bytes: some Collection<UInt8>) {
        self.init(bytes: Array(bytes))
    }

    public init(bytes: [UInt8]) {
        var lines: [Line] = []
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(Line(text: Array(buffer[start..<newline]), hasNewline: true))
                    start = newline + 1
                } else {
                    lines.append(Line(text: Array(buffer[start...]), hasNewline: false))
                    start = buffer.count
                }
            }
        }
        self.lines = lines
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    public init(lines: [Line]) { self.lines = lines }

    public func render() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.text.count + 1 })
        for line in lines {
            out.append(contentsOf: line.text)
            if line.hasNewline { out.append(UInt8(ascii: "\n")) }
        }
        return out
    }

    public var renderedString: String { String(decoding: render(), as: UTF8.self) }

    /// The line ending the file mostly uses, so inserted lines match it ("\r\n" or "\n").
    public var usesCRLF: Bool {
        var crlf = 0
        var lf = 0
        for line in lines where line.hasNewline {
            if line.text.last == UInt8(ascii: "\r") { crlf += 1 } else { lf += 1 }
        }
        return crlf > lf
    }

    // MARK: Mutation (used by Edit; every untouched line keeps its bytes)

    public mutating func replaceLine(at index: Int, with text: [UInt8]) {
        lines[index].text = text
    }

    /// Inserts lines before `index`. When inserting at the end of a file whose last line has no
    /// newline, that line gets one first, so the new text starts on its own line.
    public mutating func insertLines(_ texts: [[UInt8]], at index: Int) {
        guard !texts.isEmpty else { return }
        if index == lines.count, let last = lines.indices.last, !lines[last].hasNewline {
            lines[last].hasNewline = true
        }
        let newLines = texts.map { Line(text: $0, hasNewline: true) }
        lines.insert(contentsOf: newLines, at: index)
    }

    public mutating func removeLines(_ range: Range<Int>) {
        lines.removeSubrange(range)
    }
}

public struct Line: Sendable, Equatable {
    /// The bytes of the line without its `\n` (a `\r` of a CRLF ending stays here).
    public var text: [UInt8]
    public var hasNewline: Bool

    public init(text: [UInt8], hasNewline: Bool) {
        self.text = text
        self.hasNewline = hasNewline
    }

    public var string: String { String(decoding: text, as: UTF8.self) }
}
