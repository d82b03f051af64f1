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
    /// stream.conf: what the frontend found wrong with the files `CAfile`/`CApath` name
    /// (`StreamTLSFiles.named` lists the ones to look at; SC420).
    public var fileFacts: [FileFact]
    /// At most this many findings are kept per file (the first ones by line); the rest are
    /// only counted (`LintReport.omitted`), so a file of a million bad lines costs little memory.
    /// `Int.max` keeps them all (a rewrite compares every error before and after).
    public var findingLimit: Int
    /// The file is the relay's (`lint --relay`, `stream-config relay`): options the relay does
    /// not honour are reported too (SC9xx, `RelayChecks`).
    public var relay: Bool

    public static let defaultFindingLimit = 1000

    public init(target: NetdataTarget? = nil, fileMode: UInt32? = nil, kind: ConfigKind = .stream, unreadableFiles: [String: String] = [:],
                fileFacts: [FileFact] = [], findingLimit: Int = LintOptions.defaultFindingLimit, relay: Bool = false) {
        self.relay = relay
        self.target = target
        self.fileMode = fileMode
        self.kind = kind
        self.unreadableFiles = unreadableFiles
        self.fileFacts = fileFacts
        self.findingLimit = max(1, findingLimit)
    }
}

/// The one lint entry point. `lint`, `edit`, every rewrite and the relay call this, so "valid"
/// means the same everywhere.
public enum Linter {
    public static func lint(bytes: [UInt8], file: String, options: LintOptions = LintOptions()) -> LintReport {
        lint(document: Document(bytes: bytes), file: file, options: options)
    }

    public static func lint(document: Document, file: String, options: LintOptions = LintOptions()) -> LintReport {
        lint(document: document, ini: Ini(document), file: file, options: options)
    }

    /// The same, with Netdata's reading of `document` already made (a frontend that looked at
    /// the files it names need not read a large file twice). `ini` must be `Ini(document)`.
    public static func lint(document: Document, ini: Ini, file: String, options: LintOptions = LintOptions()) -> LintReport {
        if options.kind == .netdata { return lintNetdataConf(document: document, ini: ini, file: file, options: options) }
        let (target, reason) = options.target.map { ($0, "chosen with --target") } ?? TargetInference.infer(ini: ini, document: document)
        var context = LintContext(document: document, ini: ini, target: target, file: file,
                                  suppressions: Suppressions(document: document, ini: ini), limit: options.findingLimit)
        context.fileFacts = options.fileFacts
        SyntaxChecks.run(&context)
        SectionChecks.run(&context)
        OptionChecks.run(&context)
        SemanticChecks.run(&context)
        if options.relay { RelayChecks.run(&context) }
        let secrets = context.secrets()
        FileChecks.run(&context, mode: options.fileMode, holdsSecrets: !secrets.isEmpty)
        let (diagnostics, omitted) = context.findings()
        return LintReport(file: file, target: target, targetReason: reason, diagnostics: diagnostics, secrets: secrets, omitted: omitted)
    }

    /// netdata.conf: the same reading of lines and sections, then its streaming lines.
    static func lintNetdataConf(document: Document, ini: Ini, file: String, options: LintOptions) -> LintReport {
        let (target, reason) = options.target.map { ($0, "chosen with --target") } ?? NetdataConfChecks.inferTarget(ini)
        var context = LintContext(document: document, ini: ini, target: target, file: file,
                                  suppressions: Suppressions(document: document, ini: ini), limit: options.findingLimit)
        SyntaxChecks.run(&context)
        // Quotes are part of a value for the lines read here; elsewhere (`plugins = "a" "b"`)
        // netdata.conf uses quoted words on purpose.
        context.keepOnly { $0.code != "SC111" || NetdataConfChecks.readsLine($0.line - 1, in: ini) }
        NetdataConfChecks.run(&context, unreadableFiles: options.unreadableFiles)
        let (diagnostics, omitted) = context.findings()
        return LintReport(file: file, target: target, targetReason: "netdata.conf; " + reason, diagnostics: diagnostics, secrets: [],
                          kind: .netdata, omitted: omitted)
    }
}

/// Shared state of one lint run; checks append findings through `emit`.
struct LintContext {
    let document: Document
    let ini: Ini
    let target: NetdataTarget
    let schema: Schema
    let file: String
    private var diagnostics: [Diagnostic] = []
    private var omitted = OmittedFindings()
    private let suppressions: Suppressions
    private let limit: Int
    /// Every section but `[stream]`: API keys and machine GUIDs.
    let receiverSections: [Section]
    /// What the frontend found about the files options name (`LintOptions.fileFacts`).
    var fileFacts: [FileFact] = []

    init(document: Document, ini: Ini, target: NetdataTarget, file: String, suppressions: Suppressions, limit: Int) {
        self.document = document
        self.ini = ini
        self.target = target
        self.schema = Schema.forTarget(target)
        self.file = file
        self.suppressions = suppressions
        self.limit = limit
        self.receiverSections = ini.sections.filter { $0.name != "stream" }
    }

    mutating func keepOnly(_ isIncluded: (Diagnostic) -> Bool) { diagnostics = diagnostics.filter(isIncluded) }

    /// `line` and `column` are 0-based (line index, byte offset); findings are 1-based.
    mutating func emit(_ code: String, line: Int, column: Int = 0, length: Int = 1, _ message: String, hint: String? = nil, fix: Fix? = nil) {
        let severity = Rules.rule(code)?.severity ?? .error
        let diagnostic = Diagnostic(code: code, severity: severity, file: file, line: line + 1, column: column + 1,
                                    length: length, message: message, hint: hint, fix: fix)
        guard !suppressions.silences(diagnostic) else { return }
        diagnostics.append(diagnostic)
        // Checks emit in their own order: keep twice the limit, then the first `limit` by line.
        if diagnostics.count / 2 >= limit { keepFirst(limit) }  // (no overflow with limit .max)
    }

    private mutating func keepFirst(_ count: Int) {
        diagnostics.sort { ($0.line, $0.column, $0.code) < ($1.line, $1.column, $1.code) }
        guard diagnostics.count > count else { return }
        for dropped in diagnostics[count...] { omitted.count(dropped.severity) }
        diagnostics.removeSubrange(count...)
    }

    /// The findings in line order, at most `limit`, and how many more there were.
    mutating func findings() -> ([Diagnostic], OmittedFindings) {
        keepFirst(limit)
        return (diagnostics, omitted)
    }

    mutating func emit(_ code: String, at option: Option, onValue: Bool = true, _ message: String, hint: String? = nil, fix: Fix? = nil) {
        let range = onValue && !option.valueRange.isEmpty ? option.valueRange : option.keyRange
        emit(code, line: option.line, column: range.lowerBound, length: range.count, message, hint: hint, fix: fix)
    }

    mutating func emitAtHeader(_ code: String, section: Section, _ message: String, hint: String? = nil) {
        guard let entryIndex = section.headerEntries.first else { return }
        let entry = ini.entries[entryIndex]
        let range = entry.nameRange ?? entry.chunk
        emit(code, line: entry.line, column: max(0, range.lowerBound - 1), length: range.count + 2, message, hint: hint)
    }

    // MARK: Section roles

    /// `[API_KEY]`, `[MACHINE_GUID]` and the like (`ExampleKeys.isPlaceholder`): an example's
    /// section, not a key.
    func isPlaceholder(_ section: Section) -> Bool {
        let length = section.nameBytes.count
        guard length <= 66 else { return false }  // (a placeholder is short; most names are UUIDs)
        return (length == 7 && section.name.sameBytes("API_KEY")) || (length == 12 && section.name.sameBytes("MACHINE_GUID"))
            || ExampleKeys.isPlaceholder(section.name)
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
            if !name.isEmpty, !SecretMasker.isNonSecretSectionName(name) { add(name) }
            // The name first: few options hold keys, and it is the cheaper test.
            for option in section.options where (option.key.utf8.suffix(7).elementsEqual("api key".utf8) || SecretMasker.isKeyLikeName(option.key))
                && !option.value.isEmpty && !SecretMasker.isPlaceholder(option.value) {
                add(option.value)
            }
        }
        return result
    }

    func lineText(_ line: Int) -> String { document.lines[line].string }
}
