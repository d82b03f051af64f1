/// Where sections live in the file, as Netdata sees it: a header entry opens a region and the
/// next header entry closes it. Derived from `Ini` entries only, so a broken header such as
/// `[x] # c` (not a header for Netdata) does not open a region and its lines stay in the
/// section above.
struct SectionRegion: Equatable {
    /// Index into `Ini.sections`.
    var section: Int
    var headerLine: Int
    /// Physical lines from the header up to (not including) the next header's line.
    var lines: Range<Int>
}

extension Ini {
    func sectionIndex(named name: [UInt8]) -> Int? {
        sections.firstIndex { $0.nameBytes == name }
    }

    /// Every header region in file order.
    func regions(lineCount: Int) -> [SectionRegion] {
        var result: [SectionRegion] = []
        for entry in entries {
            guard case .header = entry.kind, let section = entry.section else { continue }
            if let last = result.indices.last {
                result[last].lines = result[last].headerLine..<max(result[last].headerLine, entry.line)
            }
            result.append(SectionRegion(section: section, headerLine: entry.line, lines: entry.line..<lineCount))
        }
        return result
    }

    func regions(ofSection section: Int, lineCount: Int) -> [SectionRegion] {
        regions(lineCount: lineCount).filter { $0.section == section }
    }

    /// Comment entries Netdata files under the section (every region of it).
    func commentLines(ofSection section: Int) -> [Int] {
        entries.compactMap { entry in
            if case .comment = entry.kind, entry.section == section { return entry.line }
            return nil
        }
    }

    /// What Netdata ends up with: every section (even an empty one) and the value in force for
    /// each key (last occurrence wins). The editor compares this before and after an edit to
    /// prove that nothing but the requested change happened.
    var effectiveValues: [[UInt8]: [[UInt8]: [UInt8]]] {
        var result: [[UInt8]: [[UInt8]: [UInt8]]] = [:]
        for section in sections {
            var values: [[UInt8]: [UInt8]] = [:]
            for option in section.options { values[option.keyBytes] = option.valueBytes }
            result[section.nameBytes] = values
        }
        return result
    }
}
