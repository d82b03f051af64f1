/// How much a finding matters. The raw values are the words every format prints (human, gcc,
/// JSON, SARIF's `level`, `--explain`, the man page): `note` as gcc and SARIF say it.
public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    case note, warning, error

    private var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One finding: a plain value; printers decide how it looks.
public struct Diagnostic: Sendable, Equatable, Codable {
    public var code: String
    public var severity: Severity
    public var file: String
    /// 1-based line and byte column.
    public var line: Int
    public var column: Int
    /// How many bytes the finding covers (for carets); at least 1.
    public var length: Int
    public var message: String
    public var hint: String?
    /// The change that resolves it, when the intent is unambiguous (`lint --fix`). Not encoded:
    /// a fix holds the line's bytes, keys included, and printers never show those.
    public var fix: Fix?

    private enum CodingKeys: String, CodingKey {
        case code, severity, file, line, column, length, message, hint
    }

    public init(code: String, severity: Severity, file: String, line: Int, column: Int, length: Int = 1, message: String, hint: String? = nil,
                fix: Fix? = nil) {
        self.code = code
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.length = max(1, length)
        self.message = message
        self.hint = hint
        self.fix = fix
    }
}

/// The outcome of linting one file.
public struct LintReport: Sendable {
    public var file: String
    public var target: NetdataTarget
    /// Why this target was chosen (for `--target auto`).
    public var targetReason: String
    public var diagnostics: [Diagnostic]
    /// Strings that must be masked in any output unless secrets are shown (API keys).
    public var secrets: Set<String>
    public var kind: ConfigKind = .stream
    /// Findings past `LintOptions.findingLimit`, counted but not kept.
    public var omitted: OmittedFindings = OmittedFindings()

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count + omitted.errors }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count + omitted.warnings }
    public var hasErrors: Bool { omitted.errors > 0 || diagnostics.contains { $0.severity == .error } }
}

/// How many findings of each severity a capped report left out.
public struct OmittedFindings: Sendable, Equatable {
    public var errors = 0
    public var warnings = 0
    public var notes = 0

    public init() {}

    public var total: Int { errors + warnings + notes }

    mutating func count(_ severity: Severity) {
        switch severity {
        case .error: errors += 1
        case .warning: warnings += 1
        case .note: notes += 1
        }
    }
}
