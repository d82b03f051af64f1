/// `# stream-config: disable=SC201,SC202` on a comment line silences those codes on the next line.
struct Suppressions {
    private var silenced: [Int: Set<String>] = [:]

    init(document: Document, ini: Ini) {
        let needle = Array("stream-config:".utf8)
        for entry in ini.entries {
            guard case .comment = entry.kind else { continue }
            // A byte scan first: most comments are not directives.
            let bytes = document.lines[entry.line].text
            guard bytes.count >= needle.count, bytes.withUnsafeBufferPointer({ contains($0, needle) }) else { continue }
            let text = document.lines[entry.line].string
            guard let marker = text.firstRange(of: "stream-config:") else { continue }
            let directive = text[marker.upperBound...].drop { $0 == " " || $0 == "\t" }
            guard directive.hasPrefix("disable=") else { continue }
            let codes = directive.dropFirst("disable=".count)
                .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" })
                .map { $0.uppercased() }
            // Diagnostics are 1-based: the line after index i is i + 2.
            silenced[entry.line + 2, default: []].formUnion(codes)
        }
    }

    private func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first, needle.indices.allSatisfy({ haystack[index + $0] == needle[$0] }) { return true }
            index += 1
        }
        return false
    }

    func silences(_ diagnostic: Diagnostic) -> Bool {
        !silenced.isEmpty && (silenced[diagnostic.line]?.contains(diagnostic.code) ?? false)
    }
}
