/// `# stream-config: disable=SC201,SC202` on a comment line silences those codes on the next line.
struct Suppressions {
    private var silenced: [Int: Set<String>] = [:]

    init(document: Document, ini: Ini) {
        for entry in ini.entries {
            guard case .comment = entry.kind else { continue }
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

    func filter(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        guard !silenced.isEmpty else { return diagnostics }
        return diagnostics.filter { !(silenced[$0.line]?.contains($0.code) ?? false) }
    }
}
