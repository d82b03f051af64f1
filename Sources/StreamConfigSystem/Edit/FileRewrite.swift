import StreamConfig

/// The write path every command that changes a file shares (the rewrites, `lint --fix`,
/// `migrate`): the file (a link's target), its lock, the change computed by the core, a check
/// the caller makes of the result, then an atomic replace keeping owner, mode and ACLs. What
/// it prints is the caller's: it returns the diff (keys masked unless shown) and the outcome.
public enum FileRewrite {
    public struct Outcome<Result> {
        public var path: String
        public var original: Document
        public var changed: Document
        public var result: Result
        /// The file did not exist: `changed` is new.
        public var created: Bool
        public var written: Bool
        /// The keys of both versions, for masking.
        public var secrets: Set<String>
        public var masker: SecretMasker
        /// The change as a unified diff with keys masked (unless shown); nil when nothing changed.
        public var diff: String?
        /// Keys in `diff` are shortened: it is no patch to apply.
        public var diffHasMaskedKeys = false
        public var isChange: Bool { diff != nil }
    }

    /// - `file`: the file named (nil: the user file, started from the stock file when missing).
    /// - `write`: false for dry runs and checks (no lock is taken then).
    /// - `approve`: sees the source and the result before anything is written; throws to refuse.
    public static func apply<Result>(file: String?, directories: ConfigDirectories, create: Bool, write: Bool, showSecrets: Bool,
                                     note: (String) -> Void,
                                     change: (RewriteSource) throws -> (Document, Result),
                                     approve: (RewriteSource, Document) throws -> Void = { _, _ in }) throws -> Outcome<Result> {
        let path = try RewriteSource.target(file: file, directories: directories, note: note)
        let lock = write ? try FileLock(for: path) : nil
        defer { withExtendedLifetime(lock) {} }
        let source = try RewriteSource.load(path, named: file != nil, create: create, directories: directories, forWriting: write)
        if let message = source.note { note(message) }
        let (changed, result) = try change(source)
        let secrets = Linter.lint(document: source.document, file: path).secrets.union(Linter.lint(document: changed, file: path).secrets)
        let masker = SecretMasker.forOutput(showSecrets: showSecrets, secrets: secrets)
        let unchanged = changed == source.document && source.existed
        let name = AtomicFile.fileName(of: path)
        let plain = unchanged ? nil : UnifiedDiff.make(old: source.document, new: changed, oldLabel: "a/\(name)", newLabel: "b/\(name)")
        let diff = plain.map { masker.mask($0) }
        var outcome = Outcome(path: path, original: source.document, changed: changed, result: result, created: !source.existed,
                              written: false, secrets: secrets, masker: masker, diff: diff, diffHasMaskedKeys: diff != plain)
        guard !unchanged else { return outcome }
        try approve(source, changed)
        guard write else { return outcome }
        AtomicFile.removeStaleTemporaryFiles(for: path)
        try AtomicFile.write(changed.render(), to: path)
        outcome.written = true
        return outcome
    }
}
