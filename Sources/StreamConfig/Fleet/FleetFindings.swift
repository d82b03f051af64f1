/// The findings of a fleet check, by file: a finding repeated at one place (fifty children
/// forwarded with one bad key) is kept once, with a count of the others.
struct FleetFindings {
    private(set) var byFile: [String: [Diagnostic]] = [:]
    /// Secrets a message names that its file's own lint did not find (masked by the printers).
    private(set) var secrets: [String: Set<String>] = [:]
    private var seen: [String: (file: String, index: Int, more: Int)] = [:]

    mutating func emit(_ code: String, file: String, line: Int, column: Int, length: Int = 1, _ message: String, hint: String? = nil,
                       secrets named: [String] = []) {
        let place = "\(code)\u{0}\(file)\u{0}\(line)\u{0}\(column)"
        if let found = seen[place] {
            seen[place] = (found.file, found.index, found.more + 1)
            return
        }
        let severity = Rules.rule(code)?.severity ?? .error
        let diagnostic = Diagnostic(code: code, severity: severity, file: file, line: line, column: column, length: length, message: message, hint: hint)
        byFile[file, default: []].append(diagnostic)
        seen[place] = (file, byFile[file]!.count - 1, 0)
        for secret in named where !secret.isEmpty { secrets[file, default: []].insert(secret) }
    }

    /// At an option of a file: its value (or its name when the value is empty, or `onValue` is false).
    mutating func emit(_ code: String, in file: FleetFile, at option: Option, onValue: Bool = true, _ message: String, hint: String? = nil,
                       secrets named: [String] = []) {
        let range = onValue && !option.valueRange.isEmpty ? option.valueRange : option.keyRange
        emit(code, file: file.path, line: option.line + 1, column: range.lowerBound + 1, length: range.count, message, hint: hint, secrets: named)
    }

    /// At a section's first header.
    mutating func emit(_ code: String, in file: FleetFile, header section: Section, _ message: String, hint: String? = nil,
                       secrets named: [String] = []) {
        guard let entryIndex = section.headerEntries.first else { return }
        let entry = file.ini.entries[entryIndex]
        let range = entry.nameRange ?? entry.chunk
        emit(code, file: file.path, line: entry.line + 1, column: max(1, range.lowerBound), length: range.count + 2, message, hint: hint, secrets: named)
    }

    /// The findings of each file, with "and N more" on repeated ones.
    mutating func finish() -> [String: [Diagnostic]] {
        for (_, found) in seen where found.more > 0 {
            byFile[found.file]![found.index].message += " (and \(found.more) more like it)"
        }
        seen = [:]
        return byFile
    }
}
