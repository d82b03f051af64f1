/// The YAML that fleet files and Ansible YAML inventories are written in, read without
/// Foundation: block mappings and sequences by indentation, flow mappings `{a: b}` and sequences
/// `[a, b]` on one line, plain, 'single' and "double" quoted scalars, `#` comments, `---`.
/// Anchors, aliases, tags and multi-line (`|`, `>`) scalars are refused with their line, as are
/// tabs in indentation and repeated keys. Every node keeps its 1-based line and column.
///
/// (Yams, the well-kept parser, needs full Foundation, whose ICU data the release binary must
/// not carry: BENCHMARKS.md, scripts/package-test.sh.)
enum YAML {
    struct Mark: Sendable, Equatable {
        var line: Int
        var column: Int
    }

    struct Scalar: Sendable {
        var string: String
        /// Plain (unquoted): only plain `~`, `null` and the empty value are null.
        var plain: Bool
        var mark: Mark
    }

    struct Mapping: Sendable, Sequence {
        var pairs: [(key: Node, value: Node)]
        var mark: Mark
        func makeIterator() -> IndexingIterator<[(key: Node, value: Node)]> { pairs.makeIterator() }
    }

    indirect enum Node: Sendable {
        case scalar(Scalar)
        case mapping(Mapping)
        case sequence([Node], Mark)

        var mark: Mark? {
            switch self {
            case .scalar(let scalar): return scalar.mark
            case .mapping(let mapping): return mapping.mark
            case .sequence(_, let mark): return mark
            }
        }

        /// The text of a scalar.
        var string: String? {
            if case .scalar(let scalar) = self { return scalar.string }
            return nil
        }

        var isNull: Bool {
            guard case .scalar(let scalar) = self, scalar.plain else { return false }
            return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        }
    }

    struct Error: Swift.Error, Sendable, CustomStringConvertible {
        var mark: Mark
        var description: String
    }

    /// The document's root; nil for an empty document.
    static func parse(_ text: String) throws -> Node? {
        var reader = Reader(lines: lines(text))
        guard reader.index < reader.lines.count else { return nil }
        let root = try reader.block(indent: reader.lines[reader.index].indent)
        if reader.index < reader.lines.count {
            let line = reader.lines[reader.index]
            throw Error(mark: Mark(line: line.number, column: line.indent + 1), description: "unexpected indentation")
        }
        return root
    }

    /// A line with content: its number, indentation, and its text without the comment.
    struct Line {
        var number: Int
        var indent: Int
        var text: [UInt8]
    }

    static func lines(_ text: String) -> [Line] {
        var result: [Line] = []
        for (offset, raw) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var bytes = Array(raw)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            // A comment starts at `#` at the start or after a blank, outside quotes.
            var quote: UInt8? = nil
            var cut = bytes.count
            for (i, byte) in bytes.enumerated() {
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                    if i == 0 || [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: "-")].contains(bytes[i - 1]) { quote = byte }
                } else if byte == UInt8(ascii: "#"), i == 0 || bytes[i - 1] == UInt8(ascii: " ") || bytes[i - 1] == UInt8(ascii: "\t") {
                    cut = i
                    break
                }
            }
            bytes = Array(bytes[..<cut])
            while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
            let indent = bytes.prefix { $0 == UInt8(ascii: " ") }.count
            guard indent < bytes.count else { continue }
            let content = Array(bytes[indent...])
            if content == Array("---".utf8) || content == Array("...".utf8) { continue }
            result.append(Line(number: offset + 1, indent: indent, text: bytes))
        }
        return result
    }

    struct Reader {
        var lines: [Line]
        var index = 0

        func fail(_ line: Line, _ column: Int, _ message: String) -> Error {
            Error(mark: Mark(line: line.number, column: column + 1), description: message)
        }

        /// A block mapping or sequence whose entries start at `indent`.
        mutating func block(indent: Int) throws -> Node {
            let first = lines[index]
            if first.text[indent] == UInt8(ascii: "\t") { throw fail(first, indent, "a tab in indentation") }
            if isSequenceEntry(first, indent) { return try sequence(indent: indent) }
            return try mapping(indent: indent)
        }

        func isSequenceEntry(_ line: Line, _ indent: Int) -> Bool {
            line.indent == indent && line.text[indent] == UInt8(ascii: "-") && (line.text.count == indent + 1 || line.text[indent + 1] == UInt8(ascii: " "))
        }

        mutating func sequence(indent: Int) throws -> Node {
            let mark = Mark(line: lines[index].number, column: indent + 1)
            var items: [Node] = []
            while index < lines.count, isSequenceEntry(lines[index], indent) {
                let line = lines[index]
                var start = indent + 1
                while start < line.text.count, line.text[start] == UInt8(ascii: " ") { start += 1 }
                if start >= line.text.count {
                    index += 1
                    items.append(try nested(after: line, parentIndent: indent))
                } else if findMappingColon(line.text, from: start) != nil {
                    // `- key: value`: a mapping whose entries are indented to `start`.
                    lines[index].indent = start
                    items.append(try mapping(indent: start))
                } else {
                    index += 1
                    var flow = Flow(line: line, position: start)
                    items.append(try flow.valueToEnd())
                }
            }
            return .sequence(items, mark)
        }

        mutating func mapping(indent: Int) throws -> Node {
            let mark = Mark(line: lines[index].number, column: indent + 1)
            var pairs: [(key: Node, value: Node)] = []
            var seen = Set<String>()
            while index < lines.count, lines[index].indent == indent, !isSequenceEntry(lines[index], indent) {
                let line = lines[index]
                guard let colon = findMappingColon(line.text, from: indent) else {
                    throw fail(line, indent, "expected `key: value`")
                }
                var keyFlow = Flow(line: line, position: indent)
                let key = try keyFlow.scalar(until: colon)
                guard seen.insert(key.string ?? "").inserted else { throw fail(line, indent, "the key `\(key.string ?? "")` is repeated in this mapping") }
                var start = colon + 1
                while start < line.text.count, line.text[start] == UInt8(ascii: " ") { start += 1 }
                index += 1
                let value: Node
                if start >= line.text.count {
                    value = try nested(after: line, parentIndent: indent, allowSequenceAtSameIndent: true)
                } else {
                    var flow = Flow(line: line, position: start)
                    value = try flow.valueToEnd()
                }
                pairs.append((key, value))
            }
            return .mapping(Mapping(pairs: pairs, mark: mark))
        }

        /// The value of `key:` with nothing after it: a block indented deeper (or a sequence at
        /// the same indentation), else null.
        mutating func nested(after line: Line, parentIndent: Int, allowSequenceAtSameIndent: Bool = false) throws -> Node {
            if index < lines.count {
                let next = lines[index]
                if next.indent > parentIndent || (allowSequenceAtSameIndent && isSequenceEntry(next, parentIndent)) {
                    return try block(indent: next.indent)
                }
            }
            return .scalar(Scalar(string: "", plain: true, mark: Mark(line: line.number, column: line.text.count + 1)))
        }

        /// The `:` that ends a mapping key (followed by a blank or the end), outside quotes and brackets.
        func findMappingColon(_ text: [UInt8], from start: Int) -> Int? {
            var i = start
            if i < text.count, text[i] == UInt8(ascii: "'") || text[i] == UInt8(ascii: "\"") {
                let quote = text[i]
                i += 1
                while i < text.count, text[i] != quote { i += (text[i] == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"")) ? 2 : 1 }
                i += 1
            } else if i < text.count, text[i] == UInt8(ascii: "{") || text[i] == UInt8(ascii: "[") {
                return nil
            }
            while i < text.count {
                if text[i] == UInt8(ascii: ":"), i + 1 == text.count || text[i + 1] == UInt8(ascii: " ") { return i }
                i += 1
            }
            return nil
        }
    }

    /// Values on one line: flow collections and scalars.
    struct Flow {
        let line: Line
        var position: Int

        var text: [UInt8] { line.text }

        func fail(_ message: String) -> Error {
            Error(mark: Mark(line: line.number, column: min(position, text.count) + 1), description: message)
        }

        var mark: Mark { Mark(line: line.number, column: position + 1) }

        mutating func skipBlanks() { while position < text.count, text[position] == UInt8(ascii: " ") { position += 1 } }

        /// A whole value that must end the line.
        mutating func valueToEnd() throws -> Node {
            if position < text.count, [UInt8(ascii: "{"), UInt8(ascii: "[")].contains(text[position]) {
                let value = try flowValue()
                skipBlanks()
                guard position == text.count else { throw fail("unexpected text after the value") }
                return value
            }
            let value = try scalar(until: text.count)
            return value
        }

        /// A scalar from `position` up to `end` (the text of a key, or the rest of the line).
        mutating func scalar(until end: Int) throws -> Node {
            let start = mark
            guard position < end else { return .scalar(Scalar(string: "", plain: true, mark: start)) }
            let first = text[position]
            if first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") {
                let value = try quoted()
                skipBlanks()
                guard position >= end else { throw fail("unexpected text after a quoted value") }
                return value
            }
            if [UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`")].contains(first) {
                throw fail("`\(Character(UnicodeScalar(first)))` (anchors, aliases, tags, block scalars) is not read in fleet files")
            }
            var bytes = Array(text[position..<end])
            while let last = bytes.last, last == UInt8(ascii: " ") { bytes.removeLast() }
            position = end
            return .scalar(Scalar(string: String(decoding: bytes, as: UTF8.self), plain: true, mark: start))
        }

        mutating func quoted() throws -> Node {
            let start = mark
            let quote = text[position]
            position += 1
            var bytes: [UInt8] = []
            while position < text.count {
                let byte = text[position]
                if byte == quote {
                    if quote == UInt8(ascii: "'"), position + 1 < text.count, text[position + 1] == quote {
                        bytes.append(quote)
                        position += 2
                        continue
                    }
                    position += 1
                    return .scalar(Scalar(string: String(decoding: bytes, as: UTF8.self), plain: false, mark: start))
                }
                if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\"), position + 1 < text.count {
                    let escaped = text[position + 1]
                    switch escaped {
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    default: bytes.append(escaped)
                    }
                    position += 2
                    continue
                }
                bytes.append(byte)
                position += 1
            }
            throw Error(mark: start, description: "a quoted value that does not end on its line")
        }

        /// After an entry of a flow collection: `,` (consumed) or the closing bracket (left for the
        /// loop). Anything else is an error: a loop that made no progress would never end (the
        /// fuzzer found `[a: b]` repeating empty items until memory ran out).
        mutating func separator(closing: UInt8) throws {
            skipBlanks()
            guard position < text.count else { return }  // the loop says the bracket is missing
            if text[position] == UInt8(ascii: ",") { position += 1; return }
            guard text[position] == closing else {
                throw fail("expected `,` or `\(Character(UnicodeScalar(closing)))` here")
            }
        }

        /// `{...}`, `[...]` or a scalar inside one (ending at `,`, `}`, `]`, or `: ` for keys).
        mutating func flowValue(key: Bool = false) throws -> Node {
            skipBlanks()
            guard position < text.count else { throw fail("a value is missing") }
            switch text[position] {
            case UInt8(ascii: "{"):
                let start = mark
                position += 1
                var pairs: [(key: Node, value: Node)] = []
                var seen = Set<String>()
                while true {
                    skipBlanks()
                    guard position < text.count else { throw fail("`{` without `}` on its line") }
                    if text[position] == UInt8(ascii: "}") { position += 1; break }
                    let keyNode = try flowValue(key: true)
                    skipBlanks()
                    var value: Node = .scalar(Scalar(string: "", plain: true, mark: mark))
                    if position < text.count, text[position] == UInt8(ascii: ":") {
                        position += 1
                        skipBlanks()
                        if position < text.count, text[position] != UInt8(ascii: ","), text[position] != UInt8(ascii: "}") { value = try flowValue() }
                    }
                    guard seen.insert(keyNode.string ?? "").inserted else { throw fail("the key `\(keyNode.string ?? "")` is repeated in this mapping") }
                    pairs.append((keyNode, value))
                    try separator(closing: UInt8(ascii: "}"))
                }
                return .mapping(Mapping(pairs: pairs, mark: start))
            case UInt8(ascii: "["):
                let start = mark
                position += 1
                var items: [Node] = []
                while true {
                    skipBlanks()
                    guard position < text.count else { throw fail("`[` without `]` on its line") }
                    if text[position] == UInt8(ascii: "]") { position += 1; break }
                    items.append(try flowValue())
                    try separator(closing: UInt8(ascii: "]"))
                }
                return .sequence(items, start)
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return try quoted()
            default:
                var end = position
                while end < text.count {
                    let byte = text[end]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { break }
                    if byte == UInt8(ascii: ":"), key || end + 1 == text.count || [UInt8(ascii: " "), UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(text[end + 1]) { break }
                    end += 1
                }
                return try scalar(until: end)
            }
        }
    }
}
