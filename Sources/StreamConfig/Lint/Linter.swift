/// What to check against, and facts about the file that only the frontend can know.
public struct LintOptions: Sendable {
    /// nil = infer the Netdata line from the options used.
    public var target: NetdataTarget?
    /// The file's permission bits, when it is a real file.
    public var fileMode: UInt32?
    /// stream.conf unless a frontend says otherwise (`lint` asks `ConfigKind.detect`); the relay,
    /// edit and rewrite only ever read stream.conf.
    public var kind: ConfigKind
    /// netdata.conf: files it names that the frontend could not read, with the reason
    /// (`NetdataConfChecks.tlsFilePaths` lists the ones to check).
    public var unreadableFiles: [String: String]

    public init(target: NetdataTarget? = nil, fileMode: UInt32? = nil, kind: ConfigKind = .stream, unreadableFiles: [String: String] = [:]) {
        self.target = target
        self.fileMode = fileMode
        self.kind = kind
        self.unreadableFiles = unreadableFiles
    }
}

/// The one lint entry point. `lint`, `edit`, every rewrite and the relay call this, so "valid"
/// means the same everywhere.
public enum Linter {
    public static func lint(bytes: [UInt8], file: String, options: LintOptions = LintOptions()) -> LintReport {
        lint(document: Document(bytes: bytes), file: file, options: options)
    }

    public static func lint(document: Document, file: String, options: LintOptions = LintOptions()) -> LintReport {
        let ini = Ini(document)
        if options.kind == .netdata { return lintNetdataConf(document: document, ini: ini, file: file, options: options) }
        let (target, reason) = options.target.map { ($0, "chosen with --target") } ?? TargetInference.infer(ini: ini, document: document)
        var context = LintContext(document: document, ini: ini, target: target, file: file)
        SyntaxChecks.run(&context)
        SectionChecks.run(&context)
        OptionChecks.run(&context)
        SemanticChecks.run(&context)
        let secrets = context.secrets()
        FileChecks.run(&context, mode: options.fileMode, holdsSecrets: !secrets.isEmpty)
        let diagnostics = Suppressions(document: document, ini: ini).filter(context.diagnostics)
            .sorted { ($0.line, $0.column, $0.code) < ($1.line, $1.column, $1.code) }
        return LintReport(file: file, target: target, targetReason: reason, diagnostics: diagnostics, secrets: secrets)
    }

    /// netdata.conf: the same reading of lines and sections, then its streaming lines.
    static func lintNetdataConf(document: Document, ini: Ini, file: String, options: LintOptions) -> LintReport {
        let (target, reason) = options.target.map { ($0, "chosen with --target") } ?? NetdataConfChecks.inferTarget(ini)
        var context = LintContext(document: document, ini: ini, target: target, file: file)
        SyntaxChecks.run(&context)
        // Quotes are part of a value for the lines read here; elsewhere (`plugins = "a" "b"`)
        // netdata.conf uses quoted words on purpose.
        context.keepOnly { $0.code != "SC111" || NetdataConfChecks.readsLine($0.line - 1, in: ini) }
        NetdataConfChecks.run(&context, unreadableFiles: options.unreadableFiles)
        let diagnostics = Suppressions(document: document, ini: ini).filter(context.diagnostics)
            .sorted { ($0.line, $0.column, $0.code) < ($1.line, $1.column, $1.code) }
        return LintReport(file: file, target: target, targetReason: "netdata.conf; " + reason, diagnostics: diagnostics, secrets: [], kind: .netdata)
    }
}

/// Shared state of one lint run; checks append findings through `emit`.
struct LintContext {
    let document: Document
    let ini: Ini
    let target: NetdataTarget
    let schema: Schema
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Every section but `[stream]`: API keys and machine GUIDs.
    let receiverSections: [Section]

    init(document: Document, ini: Ini, target: NetdataTarget, file: String) {
        self.document = document
        self.ini = ini
        self.target = target
        self.schema = Schema.forTarget(target)
        self.file = file
        self.receiverSections = ini.sections.filter { $0.name != "stream" }
    }

    mutating func keepOnly(_ isIncluded: (Diagnostic) -> Bool) { diagnostics = diagnostics.filter(isIncluded) }

    /// `line` and `column` are 0-based (line index, byte offset); findings are 1-based.
    mutating func emit(_ code: String, line: Int, column: Int = 0, length: Int = 1, _ message: String, hint: String? = nil) {
        let severity = Rules.rule(code)?.severity ?? .error
        diagnostics.append(Diagnostic(code: code, severity: severity, file: file, line: line + 1, column: column + 1,
                                      length: length, message: message, hint: hint))
    }

    mutating func emit(_ code: String, at option: Option, onValue: Bool = true, _ message: String, hint: String? = nil) {
        let range = onValue && !option.valueRange.isEmpty ? option.valueRange : option.keyRange
        emit(code, line: option.line, column: range.lowerBound, length: range.count, message, hint: hint)
    }

    mutating func emitAtHeader(_ code: String, section: Section, _ message: String, hint: String? = nil) {
        guard let entryIndex = section.headerEntries.first else { return }
        let entry = ini.entries[entryIndex]
        let range = entry.nameRange ?? entry.chunk
        emit(code, line: entry.line, column: max(0, range.lowerBound - 1), length: range.count + 2, message, hint: hint)
    }

    // MARK: Section roles

    func isPlaceholder(_ section: Section) -> Bool {
        let length = section.nameBytes.count
        return (length == 7 && section.name.sameBytes("API_KEY")) || (length == 12 && section.name.sameBytes("MACHINE_GUID"))
    }

    func roles(of section: Section) -> Set<SectionRole> { Resolver.roles(of: section) }

    var streamSection: Section? { ini.section("stream") }


    /// Strings to mask in output: API keys sent, and the names of key sections.
    func secrets() -> Set<String> {
        var result = Set<String>(minimumCapacity: ini.sections.count)
        func add(_ secret: String) {
            result.insert(secret)
            // Hints print keys in lowercase too.
            if secret.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") || $0 >= 0x80 }) {
                result.insert(secret.lowercased())
            }
        }
        for section in ini.sections {
            let name = section.name.trimmingSpaces
            if !name.isEmpty, !isStream(name), !isPlaceholder(section) { add(name) }
            for option in section.options where option.key.utf8.suffix(7).elementsEqual("api key".utf8) && !option.value.isEmpty {
                add(option.value)
            }
        }
        return result
    }

    func lineText(_ line: Int) -> String { document.lines[line].string }

    /// `stream` in any case (a `[Stream]` section is no secret either).
    private func isStream(_ name: String) -> Bool {
        name.utf8.count == 6 && name.lowercased() == "stream"
    }
}
