/// "Did you mean" for option names: the closest known name by edit distance.
enum Suggestions {
    static func closest(to name: String, among candidates: [String]) -> String? {
        let lower = name.lowercased()
        let length = lower.utf8.count
        var best: (String, Int)? = nil
        for candidate in candidates {
            // The distance is at least the difference in length: a candidate that could not be
            // close enough is skipped without the quadratic work (a garbage name may be 8 KiB).
            let candidateLength = candidate.utf8.count
            guard abs(length - candidateLength) <= max(2, min(length, candidateLength) / 3) else { continue }
            let distance = editDistance(lower, candidate.lowercased())
            if distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        let allowed = max(2, min(name.count, candidate.count) / 3)
        return distance <= allowed ? candidate : nil
    }

    /// `[steam]`, `[Stream]`, `[straem]`: a section name that is `stream` misspelt (at most two
    /// edits, any letter case), never a key. Its did-you-mean shows the name unmasked.
    public static func isStreamMisspelling(_ name: String) -> Bool {
        name != "stream" && name.utf8.count >= 4 && name.utf8.count <= 9 && editDistance(name.lowercased(), "stream") <= 2
    }

    /// `[Web]`, `[wbe]`, `[globl]`, `[DB]`: which of `candidates` (netdata.conf's own section
    /// names) `name` is misspelt from: any letter case, plus one edit for a three-letter name and
    /// two for a longer one (none for `db`: one edit from two letters is any other short name).
    static func misspeltSection(_ name: String, among candidates: [String]) -> String? {
        let lower = name.lowercased()
        return candidates.first { candidate in
            guard name != candidate, abs(lower.utf8.count - candidate.utf8.count) <= 2 else { return false }
            let allowed = candidate.utf8.count <= 2 ? 0 : candidate.utf8.count == 3 ? 1 : 2
            return editDistance(lower, candidate) <= allowed
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
