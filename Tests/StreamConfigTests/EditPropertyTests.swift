import Testing
import TestSupport
@testable import StreamConfig

/// Random documents and random edit sequences (seeded, so a failure names the seed that
/// reproduces it). After every edit: Netdata's reading equals a simple model of the requested
/// changes, every line the edit had no business touching is byte-equal and in order, and
/// repeating the edit changes nothing.
@Suite struct EditPropertyTests {
    /// SplitMix64 (TestSupport), with the draws these tests make.
    struct Random {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    static let sectionNames = ["stream", "API_KEY", "MACHINE_GUID", "11111111-2222-3333-4444-555555555555", "x y", "[n]"]
    static let newSectionNames = ["fresh", "22222222-3333-4444-5555-666666666666"]
    static let keys = ["enabled", "destination", "api key", "allow from", "type", "db", "x"]

    typealias Model = [String: [String: String]]

    struct Generator {
        var random: Random
        var counter = 0

        mutating func unique(_ prefix: String) -> String {
            counter += 1
            return "\(prefix)\(counter)"
        }

        mutating func document() -> Document {
            let eol = random.chance(20) ? "\r" : ""
            var lines: [String] = []
            for _ in 0..<random.below(3) { lines.append(random.chance(50) ? "" : "# top \(unique("c"))") }
            for _ in 0..<(1 + random.below(5)) {
                lines.append(random.chance(8) ? "[broken] # \(unique("c"))" : "[\(random.pick(EditPropertyTests.sectionNames))]")
                for _ in 0..<random.below(7) { lines.append(bodyLine()) }
            }
            var text = lines.map { $0 + eol }.joined(separator: "\n")
            if !lines.isEmpty, random.chance(80) { text += "\n" }
            return Document(text)
        }

        mutating func bodyLine() -> String {
            let indent = random.pick(["", "    ", "\t", "  "])
            let key = random.pick(EditPropertyTests.keys)
            let separator = random.pick([" = ", "=", " =", "= ", "  =  "])
            switch random.below(6) {
            case 0, 1: return indent + key + separator + (random.chance(15) ? "" : unique("v"))
            case 2: return indent + "# note " + unique("c")
            case 3: return indent + "#" + (random.chance(50) ? " " : "") + key + separator + unique("v")
            case 4: return random.pick(["", "  "])
            default: return random.pick(["", "# " + unique("c")])
            }
        }

        mutating func value() -> String { random.chance(10) ? "" : unique("w") }
    }

    static func model(_ ini: Ini) -> Model {
        var result: Model = [:]
        for (name, values) in ini.effectiveValues {
            var strings: [String: String] = [:]
            for (key, value) in values { strings[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self) }
            result[String(decoding: name, as: UTF8.self)] = strings
        }
        return result
    }

    /// Lines compared by text, ignoring a `\r` and the newline flag: the only change an edit may
    /// make to the line it appends after is giving it a line end.
    static func sameText(_ a: Line, _ b: Line) -> Bool {
        func body(_ line: Line) -> ArraySlice<UInt8> {
            line.text.last == UInt8(ascii: "\r") ? line.text.dropLast() : line.text[...]
        }
        return body(a) == body(b)
    }

    /// The lines that differ between `old` and `new` once their common prefix and suffix are
    /// removed; the last line of `old` may only have gained a line end.
    static func splice(_ old: [Line], _ new: [Line]) -> (removed: ArraySlice<Line>, added: ArraySlice<Line>, at: Int) {
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        if prefix == old.count - 1, prefix < new.count, sameText(old[prefix], new[prefix]), !old[prefix].hasNewline {
            prefix += 1
        }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
              old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        return (old[prefix..<(old.count - suffix)], new[prefix..<(new.count - suffix)], prefix)
    }

    /// Whether `new` is `old` with some lines removed, each satisfying `removable`.
    static func isSubsequence(_ new: [Line], of old: [Line], removable: (Int) -> Bool) -> Bool {
        var j = 0
        for i in old.indices {
            if j < new.count, new[j] == old[i] { j += 1 } else if !removable(i) { return false }
        }
        return j == new.count
    }

    static func isOption(_ line: Line, key: String) -> Bool {
        let entry = Ini.classify(line.text, lineIndex: 0, chunk: 0..<line.text.count, section: 0)
        if case .option(let option) = entry.kind { return option.key == key }
        return false
    }

    @Test func randomEditsKeepUntouchedLinesAndReadBackAsRequested() {
        for seed in UInt64(1)...400 {
            var generator = Generator(random: Random(state: seed))
            var editor = ConfigEditor(generator.document())
            var model = Self.model(editor.ini)
            for step in 0..<8 {
                let context = "seed \(seed) step \(step)"
                do {
                    try Self.randomEdit(&editor, model: &model, generator: &generator, context: context)
                } catch {
                    Issue.record("\(context): unexpected error: \(error)")
                    return
                }
                #expect(Self.model(editor.ini) == model, "\(context): Netdata would read something else")
            }
        }
    }

    /// One random edit, checked for which lines it touched and for idempotence; `model` gets the
    /// settings it requested.
    static func randomEdit(_ editor: inout ConfigEditor, model: inout Model, generator: inout Generator, context: String) throws {
        let before = editor.document
        // Mostly existing sections and keys, so edits hit real lines rather than appending.
        let existing = model.keys.sorted()
        let name = !existing.isEmpty && generator.random.chance(75)
            ? generator.random.pick(existing) : generator.random.pick(sectionNames + newSectionNames)
        let present = (model[name] ?? [:]).keys.sorted()
        let key = !present.isEmpty && generator.random.chance(50) ? generator.random.pick(present) : generator.random.pick(keys)
        switch generator.random.below(10) {
        case 0...4:
            let value = generator.value()
            let isNewSection = model[name] == nil
            try editor.set(section: name, key: key, value: value)
            model[name, default: [:]][key] = value
            let change = splice(before.lines, editor.document.lines)
            let inPlace = change.removed.count <= 1 && change.added.count == change.removed.count
            let inserted = change.removed.isEmpty && change.added.count == 1
            let appended = isNewSection && change.removed.isEmpty && change.at >= before.lines.count - 1
                && (2...3).contains(change.added.count)
            #expect(inPlace || inserted || appended, "\(context): set touched \(change.removed.count) -> \(change.added.count) lines")
            #expect(change.added.allSatisfy {
                EditSyntax.isBlank($0.text) || $0.string.hasPrefix("[") || isOption($0, key: key)
            }, "\(context): set wrote an unexpected line")
            let once = editor.document
            #expect(try editor.set(section: name, key: key, value: value) == false, "\(context): set is not idempotent")
            #expect(editor.document == once)
        case 5...6:
            let existed = model[name]?[key] != nil
            #expect(try editor.unset(section: name, key: key) == existed, "\(context)")
            model[name]?[key] = nil
            #expect(isSubsequence(editor.document.lines, of: before.lines) { isOption(before.lines[$0], key: key) },
                    "\(context): unset removed other lines")
            #expect(try editor.unset(section: name, key: key) == false, "\(context): unset is not idempotent")
        case 7:
            let options = (0..<generator.random.below(3)).map { _ in (key: generator.random.pick(keys), value: generator.value()) }
            if model[name] != nil {
                #expect(throws: EditError.sectionExists(name)) { try editor.addSection(name: name, options: options) }
                #expect(editor.document == before)
                return
            }
            try editor.addSection(name: name, options: options)
            model[name] = Dictionary(options.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
            let change = splice(before.lines, editor.document.lines)
            #expect(change.removed.isEmpty && change.at >= before.lines.count - 1, "\(context): addSection not at the end")
        default:
            if model[name] == nil {
                #expect(throws: EditError.sectionMissing(name)) { try editor.removeSection(name: name) }
                #expect(editor.document == before)
                return
            }
            let ini = Ini(before)
            let index = try #require(ini.sectionIndex(named: Array(name.utf8)))
            let regionLines = Set(ini.regions(ofSection: index, lineCount: before.lines.count).flatMap(\.lines))
            try editor.removeSection(name: name)
            model[name] = nil
            // Only the section's own lines, blank lines and unindented comments may go.
            #expect(isSubsequence(editor.document.lines, of: before.lines) {
                regionLines.contains($0) || EditSyntax.isBlank(before.lines[$0].text)
                    || EditSyntax.isColumnZeroComment(before.lines[$0].text)
            }, "\(context): removeSection removed other lines")
        }
    }
}
