import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// What an edit session shows and asks: the executable's terminal (or a test's script).
public protocol EditConversation {
    /// Whether the user can be asked (standard input is a terminal).
    var canAsk: Bool { get }
    /// A line of progress (`stream-config: …` on standard error; `-q` drops it).
    func say(_ text: String)
    /// A refusal or a warning: shown also when progress is not.
    func warn(_ text: String)
    /// A hint after a refusal.
    func hint(_ text: String)
    /// Lint findings of the edited file, with the file's lines.
    func show(_ report: LintReport, _ document: Document)
    /// A diff (already masked and escaped), for the standard output (`toOutput`) or the prompt.
    func showDiff(_ text: String, toOutput: Bool)
    /// visudo's "What now?" for an edit with `errors` lint errors (the first on `line`); an
    /// install must have been confirmed.
    func ask(errors: Int, line: Int?, file: String) -> EditAnswer
}

extension EditConversation {
    public func warn(_ text: String) { say(text) }
}

public enum EditAnswer: Sendable {
    case editAgain, showDiff, discard, install
}

/// One edit: lock, copy, edit, check, then install, ask, or keep the rejected copy.
public struct EditSession {
    public var file: EditTarget
    public var editor: EditorCommand
    public var lintTarget: NetdataTarget?

    public init(file: EditTarget, editor: EditorCommand, lintTarget: NetdataTarget?) {
        self.file = file
        self.editor = editor
        self.lintTarget = lintTarget
    }

    public enum Outcome: Sendable { case installed, unchanged, refused }

    /// Runs the edit; `.refused` when nothing was installed (lint errors, discarded).
    public func run(_ conversation: some EditConversation) throws -> Outcome {
        let say = conversation.say
        let lock = try FileLock(for: file.path)
        defer { withExtendedLifetime(lock) {} }
        AtomicFile.removeStaleTemporaryFiles(for: file.path)
        let previous = file.exists ? try FileAccess.read(file.path).bytes : nil
        let stock = previous == nil ? try file.readStock() : nil
        let start = previous ?? stock?.bytes ?? []
        if previous == nil { say("\(file.path) does not exist yet: starting from the stock file \(file.stockPath)") }
        if let note = stock?.note { say(note) }
        let newOwnership = stock?.ownership

        let copy = try EditCopy(for: file.path, bytes: start)
        defer { copy.remove() }
        var line: Int? = nil
        while true {
            try editor.edit(copy.path, line: line)
            let edited = try copy.read()
            if edited == start {
                say("no changes; \(file.path) was not touched")
                return .unchanged
            }
            guard file.isStreamConf else {
                say("not validated: stream-config only checks stream.conf")
                try install(edited, previous: previous, start: start, newOwnership: newOwnership, keepingOnFailure: copy, conversation)
                return .installed
            }
            let document = Document(bytes: edited)
            let report = lint(document, as: file.path)
            if !report.hasErrors {
                if report.warningCount > 0 { conversation.show(report, document) }
                try install(edited, previous: previous, start: start, newOwnership: newOwnership, keepingOnFailure: copy, conversation)
                return .installed
            }
            guard conversation.canAsk else {
                let rejected = try copy.keepRejected(next: file.path)
                conversation.show(lint(document, as: rejected), document)
                conversation.warn("refused: the edit has \(Wording.plural(report.errorCount, "lint error")); \(file.path) was not changed")
                conversation.warn("your edit is kept in \(rejected) (mode 0600)")
                conversation.hint("fix it there and run `stream-config lint \(rejected)`, or run `stream-config edit` on a terminal")
                return .refused
            }
            conversation.show(report, document)
            let firstError = report.diagnostics.first { $0.severity == .error && $0.line > 0 }?.line
            var answer = conversation.ask(errors: report.errorCount, line: firstError, file: file.path)
            while answer == .showDiff {
                let old = Document(bytes: start)
                let diff = UnifiedDiff.make(old: old, new: document, oldLabel: file.exists ? file.path : file.stockPath, newLabel: "your edit")
                conversation.showDiff(shown(diff, old, document), toOutput: false)
                answer = conversation.ask(errors: report.errorCount, line: firstError, file: file.path)
            }
            switch answer {
            case .editAgain, .showDiff:
                line = firstError
            case .discard:
                conversation.warn("discarded; \(file.path) was not changed")
                return .refused
            case .install:
                try install(edited, previous: previous, start: start, newOwnership: newOwnership, keepingOnFailure: copy, conversation)
                return .installed
            }
        }
    }

    private func lint(_ document: Document, as name: String) -> LintReport {
        Linter.lint(document: document, file: name, options: LintOptions(target: lintTarget))
    }

    /// Installs the edit; when that fails (a full disk, an owner that cannot be kept), the edit
    /// is kept as `FILE.rejected-*` and the error passed on.
    private func install(_ bytes: [UInt8], previous: [UInt8]?, start: [UInt8], newOwnership: AtomicFile.Ownership?,
                         keepingOnFailure copy: EditCopy, _ conversation: some EditConversation) throws {
        do {
            try install(bytes, previous: previous, start: start, newOwnership: newOwnership, conversation)
        } catch let error as StreamConfigError {
            if let rejected = try? copy.keepRejected(next: file.path) {
                conversation.warn("\(file.path) was not changed; your edit is kept in \(rejected) (mode 0600)")
            }
            throw error
        }
    }

    /// The new file staged (written and synced beside the old one), then the backup, then the
    /// rename: a failure at any step leaves the file and its `.bak` as they were.
    private func install(_ bytes: [UInt8], previous: [UInt8]?, start: [UInt8], newOwnership: AtomicFile.Ownership?,
                         _ conversation: some EditConversation) throws {
        let say = conversation.say
        let old = AtomicFile.existingOwnership(file.path)
        let ownership: AtomicFile.Ownership?
        if old == nil, let newOwnership {
            ownership = newOwnership  // a container's file: decided when its stock copy was read
        } else if file.isStreamConf, let container = file.container, let old {
            // The container's netdata group is not known here: a world-readable file stays so.
            ownership = old
            if old.mode & 0o004 != 0 {
                conversation.warn("\(file.path) stays world-readable (mode \(String(old.mode, radix: 8))) so that Netdata in container '\(container.name)' can read it; "
                    + "it holds API keys: chgrp \"$(\(container.runtimeName) exec \(container.name) id -g netdata)\" \(file.path) && chmod 640 \(file.path)")
            }
        } else {
            ownership = file.isStreamConf ? Self.streamConfOwnership(old) : nil
        }
        let staged = try StagedFile(bytes, for: file.path, ownership: ownership)
        if let previous, var backup = old {
            if file.isStreamConf { backup.mode &= ~0o007 }  // it holds the same API keys
            try AtomicFile.write(previous, to: "\(file.path).bak", ownership: backup)
        }
        try staged.commit()
        say("installed \(file.path)" + (previous == nil ? "" : " (the previous version is in \(file.path).bak)"))
        if let old, let ownership, old.mode != ownership.mode || old.gid != ownership.gid {
            say("\(file.path): mode \(String(old.mode, radix: 8)) -> \(String(ownership.mode, radix: 8))"
                + (old.gid != ownership.gid ? ", group netdata" : "") + " (the file holds API keys)")
        }
        printChanges(old: Document(bytes: start), new: Document(bytes: bytes), conversation)
        say("restart Netdata to apply it (\(file.isStreamConf ? "stream.conf is read at start-up" : "configuration is read at start-up")): \(file.restartCommand)")
    }

    /// stream.conf holds API keys: it is installed 0640 with its owner kept; one that was
    /// world-readable moves to group netdata, so Netdata can still read it. New files get
    /// `AtomicFile`'s 0640 group netdata.
    public static func streamConfOwnership(_ old: AtomicFile.Ownership?) -> AtomicFile.Ownership {
        guard var ownership = old else { return AtomicFile.newFileOwnership() }
        if ownership.mode & 0o004 != 0, let group = getgrnam("netdata") { ownership.gid = group.pointee.gr_gid }
        ownership.mode = 0o640
        return ownership
    }

    /// "+3 -1 lines", and the unified diff itself when it is short.
    private func printChanges(old: Document, new: Document, _ conversation: some EditConversation) {
        let say = conversation.say
        let changes = UnifiedDiff.bytes(old: old, new: new, oldLabel: "", newLabel: "", context: 0)
        let lines = changes.split(separator: 10, omittingEmptySubsequences: false).dropFirst(2)
        let added = lines.filter { $0.first == UInt8(ascii: "+") }.count
        let removed = lines.filter { $0.first == UInt8(ascii: "-") }.count
        say("\(Wording.plural(added, "line")) added, \(removed) removed" + (file.exists ? "" : " (compared with the stock file)"))
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: originLabel, newLabel: file.path)
        let diffLines = diff.utf8.filter { $0 == UInt8(ascii: "\n") }.count
        if diffLines <= 40 {
            conversation.showDiff(shown(diff, old, new), toOutput: true)
        } else {
            if let container = file.container, !file.exists {
                say("the diff is \(diffLines) lines long: \(container.runtimeName) exec \(container.name) cat \(NetdataContainer.stockDirectory)/\(file.name) | diff -u - \(file.path)")
            } else {
                say("the diff is \(diffLines) lines long: diff -u \(originLabel) \(file.path)")
            }
        }
    }

    private var originLabel: String { file.exists ? "\(file.path).bak" : file.stockPath }

    /// A diff as shown to the user: keys masked, control characters from the file escaped.
    private func shown(_ diff: String, _ old: Document, _ new: Document) -> String {
        PrintableText.escaped(SecretMasker(secrets(old, new)).mask(diff), keepingNewlines: true)
    }

    private func secrets(_ documents: Document...) -> Set<String> {
        guard file.isStreamConf else { return [] }
        return documents.reduce(into: Set<String>()) { $0.formUnion(Linter.lint(document: $1, file: "").secrets) }
    }

}
