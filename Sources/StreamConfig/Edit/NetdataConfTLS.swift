/// `[web] ssl key` / `ssl certificate` in netdata.conf, set with the same lossless editor as
/// stream.conf (netdata.conf is read by the same INI loader): every other byte stays.
public enum TLSNetdataConf {
    public static let section = "web"
    public static let keyOption = "ssl key"
    public static let certificateOption = "ssl certificate"

    /// A line Netdata would not read as its author meant.
    public struct Problem: Equatable, Sendable {
        /// 1-based.
        public let line: Int
        public let text: String
        public let why: String
    }

    public struct Edit: Sendable {
        public var document: Document
        /// `ssl key` / `ssl certificate` before the change (nil: not set).
        public var previousKey: String?
        public var previousCertificate: String?
        public var changed: Bool
    }

    /// Why the edit was not made: the lines Netdata would misread (each one an error to show),
    /// or an edit that cannot be made safely. Nothing was changed.
    public struct Refusal: Error, Sendable {
        public var problems: [Problem]
        public var message: String
        public var hint: String?
    }

    /// Lines Netdata ignores: section headers it does not recognise (`[web`, `[web] # note`),
    /// lines without `=`, options without a name or outside any section; and lines longer than
    /// Netdata reads in one piece (it splits them). Any of them means the
    /// file is not read the way it looks, so `tls init` refuses to edit it.
    public static func problems(in document: Document) -> [Problem] {
        let ini = Ini(document)
        var sectionNames: [Int: String] = [:]
        for (index, section) in ini.sections.enumerated() { sectionNames[index] = section.name }
        var result: [Problem] = []
        var reportedLong = Set<Int>()
        for entry in ini.entries {
            let line = document.lines[entry.line]
            if line.text.count + (line.hasNewline ? 1 : 0) > Ini.readChunk {
                // Netdata reads it with fgets in pieces of 8191 bytes, each piece a line of its own.
                if reportedLong.insert(entry.line).inserted {
                    result.append(Problem(line: entry.line + 1, text: "", why: """
                        line \(entry.line + 1) is \(line.text.count) bytes, longer than Netdata reads in one piece \
                        (\(Ini.readChunk - 1)): Netdata cuts it and reads the rest as further lines; shorten it
                        """))
                }
                continue
            }
            let text = String(decoding: document.lines[entry.line].text[entry.chunk], as: UTF8.self)
            let shown = Self.shorten(trimmed(text))
            let context = entry.section.flatMap { sectionNames[$0] }.map { "[\($0)]" }
            switch entry.kind {
            case .noEquals where Self.looksLikeHeader(trimmed(text)), .outsideSection where Self.looksLikeHeader(trimmed(text)):
                result.append(Problem(line: entry.line + 1, text: shown, why: """
                    '\(shown)' is not a section header for Netdata: a header must start with '[' and end with ']' \
                    with nothing after it (not even a comment). Netdata ignores the line, so the options after it \
                    belong to \(context ?? "no section") instead
                    """))
            case .noEquals:
                result.append(Problem(line: entry.line + 1, text: shown, why: "'\(shown)' has no '=': Netdata ignores the line"))
            case .emptyKey:
                result.append(Problem(line: entry.line + 1, text: shown, why: "'\(shown)' has no option name before '=': Netdata ignores the line"))
            case .outsideSection:
                result.append(Problem(line: entry.line + 1, text: shown, why: "'\(shown)' comes before the first [section]: Netdata ignores the line"))
            default:
                break
            }
        }
        return result
    }

    public static func looksLikeHeader(_ text: String) -> Bool {
        text.hasPrefix("[") || (text.hasSuffix("]") && !text.contains("="))
    }

    /// Sets both options (all or nothing). Throws a `Refusal` when a problem line is present or
    /// the editor cannot make the change safely; `path` only names the file in its message.
    public static func edit(_ document: Document, path: String, keyPath: String, certificatePath: String) throws(Refusal) -> Edit {
        let found = problems(in: document)
        if !found.isEmpty {
            throw Refusal(problems: found,
                message: "\(path): \(Wording.plural(found.count, "line")) that Netdata does not read as written; nothing was changed (no key, no certificate, no edit)",
                hint: "fix or comment out (#) the line\(found.count == 1 ? "" : "s") above, then run tls init again")
        }
        var editor = ConfigEditor(document)
        let previousKey = editor.value(section: section, key: keyOption)
        let previousCertificate = editor.value(section: section, key: certificateOption)
        do {
            try editor.set(section: section, key: keyOption, value: keyPath)
            try editor.set(section: section, key: certificateOption, value: certificatePath)
        } catch {
            throw Refusal(problems: [],
                message: "\(path): cannot set [\(section)] \(keyOption) / \(certificateOption) safely: \((error as? EditError)?.message ?? "\(error)") Nothing was changed (no key, no certificate, no edit).",
                hint: "set the two options by hand, or fix the line and run tls init again")
        }
        // What Netdata will read back.
        let ini = Ini(editor.document)
        guard ini.section(section)?.value(keyOption) == keyPath, ini.section(section)?.value(certificateOption) == certificatePath else {
            throw Refusal(problems: [], message: "\(path): the edit would not be read back as written; nothing was changed", hint: nil)
        }
        return Edit(document: editor.document, previousKey: previousKey, previousCertificate: previousCertificate,
                    changed: editor.document != document)
    }

    /// Without leading and trailing blanks (C `isspace`, as Netdata trims).
    public static func trimmed(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var lower = 0
        var upper = bytes.count
        func blank(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        while lower < upper, blank(bytes[lower]) { lower += 1 }
        while upper > lower, blank(bytes[upper - 1]) { upper -= 1 }
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }

    private static func shorten(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
