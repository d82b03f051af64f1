import StreamConfig

/// What a command that changes a file prints with `--format json` (the rewrites, `migrate`): one
/// object per file, so scripts and Ansible's `changed_when` read whether anything changed.
public struct ChangeJSON: Encodable, Sendable {
    public var file: String
    public var changed: Bool
    public var written: Bool
    /// The change as a unified diff (nil when nothing changes); keys shortened unless
    /// --show-secrets, and then it is no patch to apply (`diffHasMaskedKeys`).
    public var diff: String?
    public var diffHasMaskedKeys: Bool
    /// Lint's findings on the result (rewrites), as `lint --format json` prints them.
    public var findings: [DiagnosticPrinter.JSONFinding]?
    /// `parent add-key`: the key (asked for: in full).
    public var key: String?
    /// `migrate`: the names changed, and the values 2.x reads differently.
    public var renames: [Migration.Rename]?
    public var decisions: [DiagnosticPrinter.JSONFinding]?

    public init<Result>(_ outcome: FileRewrite.Outcome<Result>, showSecrets: Bool) {
        file = outcome.path
        changed = outcome.isChange
        written = outcome.written
        diff = outcome.diff
        diffHasMaskedKeys = outcome.diffHasMaskedKeys
    }
}
