/// A unified diff of two documents, in the format of `diff -u --label OLD --label NEW`
/// (and accepted by `patch` and `git apply`): hunk ranges omit a count of 1, an empty range is
/// written `N,0` with N the line before it, and a line without a final newline is followed by
/// `\ No newline at end of file`. Within a change, removed lines come before added ones.
public enum UnifiedDiff {
    /// The diff as text (bytes that are not UTF-8 are shown as U+FFFD); empty when the
    /// documents are identical.
    public static func make(old: Document, new: Document, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        String(decoding: bytes(old: old, new: new, oldLabel: oldLabel, newLabel: newLabel, context: context), as: UTF8.self)
    }

    /// The diff as raw bytes, with every line's bytes exactly as in the documents.
    public static func bytes(old: Document, new: Document, oldLabel: String, newLabel: String, context: Int = 3) -> [UInt8] {
        let steps = lineSteps(old.lines, new.lines)
        guard steps.contains(where: { $0 != .equal }) else { return [] }
        var out: [UInt8] = []
        out += Array("--- \(oldLabel)\n+++ \(newLabel)\n".utf8)
        for hunk in hunks(steps, context: max(0, context)) {
            write(hunk, steps: steps, old: old.lines, new: new.lines, into: &out)
        }
        return out
    }

    /// Lines are equal when their bytes and their newline are equal.
    private struct LineKey: Hashable {
        let text: [UInt8]
        let hasNewline: Bool
    }

    private static func lineSteps(_ old: [Line], _ new: [Line]) -> [LineDiff.Step] {
        var ids: [LineKey: Int] = [:]
        func id(_ line: Line) -> Int {
            let key = LineKey(text: line.text, hasNewline: line.hasNewline)
            if let id = ids[key] { return id }
            ids[key] = ids.count
            return ids.count - 1
        }
        return LineDiff.steps(old.map(id), new.map(id))
    }

    /// A run of steps to print, with the number of old and new lines before it.
    private struct Hunk {
        var steps: Range<Int>
        var oldBefore: Int
        var newBefore: Int
    }

    /// Changes closer than `2 * context` unchanged lines share a hunk, as in GNU diff.
    private static func hunks(_ steps: [LineDiff.Step], context: Int) -> [Hunk] {
        let changes = steps.indices.filter { steps[$0] != .equal }
        var ranges: [Range<Int>] = []
        for change in changes {
            if let last = ranges.last, change - last.upperBound <= 2 * context {
                ranges[ranges.count - 1] = last.lowerBound..<(change + 1)
            } else {
                ranges.append(change..<(change + 1))
            }
        }
        var oldSeen = 0, newSeen = 0, position = 0
        return ranges.map { range in
            let start = max(0, range.lowerBound - context)
            while position < start {
                if steps[position] != .insert { oldSeen += 1 }
                if steps[position] != .delete { newSeen += 1 }
                position += 1
            }
            return Hunk(steps: start..<min(steps.count, range.upperBound + context), oldBefore: oldSeen, newBefore: newSeen)
        }
    }

    private static func write(_ hunk: Hunk, steps: [LineDiff.Step], old: [Line], new: [Line], into out: inout [UInt8]) {
        let hunkSteps = steps[hunk.steps]
        let oldCount = hunkSteps.filter { $0 != .insert }.count
        let newCount = hunkSteps.filter { $0 != .delete }.count
        out += Array("@@ -\(range(hunk.oldBefore, oldCount)) +\(range(hunk.newBefore, newCount)) @@\n".utf8)

        var oldIndex = hunk.oldBefore, newIndex = hunk.newBefore
        var index = hunk.steps.lowerBound
        while index < hunk.steps.upperBound {
            if steps[index] == .equal {
                writeLine(UInt8(ascii: " "), old[oldIndex], into: &out)
                oldIndex += 1
                newIndex += 1
                index += 1
                continue
            }
            // A run of changes: its removed lines first, then its added lines.
            var end = index
            while end < hunk.steps.upperBound, steps[end] != .equal { end += 1 }
            let deleted = steps[index..<end].filter { $0 == .delete }.count
            let inserted = end - index - deleted
            for line in old[oldIndex..<(oldIndex + deleted)] { writeLine(UInt8(ascii: "-"), line, into: &out) }
            for line in new[newIndex..<(newIndex + inserted)] { writeLine(UInt8(ascii: "+"), line, into: &out) }
            oldIndex += deleted
            newIndex += inserted
            index = end
        }
    }

    private static func range(_ before: Int, _ count: Int) -> String {
        switch count {
        case 0: return "\(before),0"
        case 1: return "\(before + 1)"
        default: return "\(before + 1),\(count)"
        }
    }

    private static func writeLine(_ prefix: UInt8, _ line: Line, into out: inout [UInt8]) {
        out.append(prefix)
        out += line.text
        out.append(UInt8(ascii: "\n"))
        if !line.hasNewline { out += Array("\\ No newline at end of file\n".utf8) }
    }
}
