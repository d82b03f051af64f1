#if canImport(Glibc)
import Glibc
#endif

/// The user's editor: `--editor`, VISUAL, EDITOR, `editor`, `vi`. Unlike edit-config, the command
/// may have arguments: it runs as `/bin/sh -c 'COMMAND "$@"' sh [+LINE] FILE`, so the file name
/// is never parsed by the shell.
public struct EditorCommand: Sendable {
    public var command: String

    public init(command: String) { self.command = command }

    public static func choose(option: String?) -> EditorCommand {
        for candidate in [option, Environment.value("VISUAL"), Environment.value("EDITOR")] {
            if let candidate, candidate.contains(where: { !$0.isWhitespace }) { return EditorCommand(command: candidate) }
        }
        return EditorCommand(command: findInPath("editor") != nil ? "editor" : "vi")
    }

    /// Editors that open a file at a line when given `+LINE` before it.
    static let lineNumberEditors: Set<String> = [
        "vi", "vim", "nvim", "gvim", "nvi", "elvis", "vis", "nano", "rnano", "pico", "emacs", "emacsclient",
        "micro", "joe", "jed", "mg", "ne", "kak",
    ]

    /// Whether `+LINE` can be passed: the program's real name (`editor` -> /usr/bin/vim.basic -> vim).
    public var takesLineNumber: Bool {
        guard let word = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else { return false }
        let program = word.filter { $0 != "'" && $0 != "\"" }
        let resolved = (program.contains("/") ? program : Self.findInPath(program)).flatMap(WriteTarget.realPath) ?? program
        let base = AtomicFile.fileName(of: resolved).split(separator: ".").first.map(String.init) ?? ""
        return Self.lineNumberEditors.contains(base) || Self.lineNumberEditors.contains(AtomicFile.fileName(of: program))
    }

    public static func findInPath(_ program: String) -> String? {
        for directory in (Environment.value("PATH") ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs the editor on `file` and waits; throws when it fails (nothing must be installed then).
    public func edit(_ file: String, line: Int?) throws {
        var arguments = ["/bin/sh", "-c", "\(command) \"$@\"", "sh"]
        if let line, takesLineNumber { arguments.append("+\(line)") }
        arguments.append(file)
        let status = try EditSignals.whileEditorRuns {
            let status = try Subprocess.runInForeground(arguments, defaultSignals: EditSignals.handled,
                                                         started: { EditSignals.editorPID = $0 }, ended: { EditSignals.editorPID = 0 })
            while EditSignals.caught != 0 { pause() }  // the handler is ending the process
            return status
        }
        let signal = status & 0x7f
        let code = (status >> 8) & 0xff
        if signal != 0 {
            throw StreamConfigError.refused("the editor (\(command)) was killed by signal \(signal); nothing installed")
        }
        if code == 127 {
            throw StreamConfigError.refused("the editor (\(command)) could not be run (exit status 127: not found?); nothing installed",
                                    hint: "set VISUAL or EDITOR, or pass --editor")
        }
        if code != 0 {
            throw StreamConfigError.refused("the editor (\(command)) exited with status \(code); nothing installed")
        }
    }
}

/// The copy the editor works on: next to the file (so nothing crosses a file system), mode 0600,
/// named `.NAME.stream-config-edit-XXXXXX` (the prefix `AtomicFile.removeStaleTemporaryFiles`
/// clears), and removed on every way out, SIGINT/SIGTERM/SIGHUP included.
public final class EditCopy {
    public let path: String

    public init(for target: String, bytes: [UInt8]) throws {
        let directory = AtomicFile.directory(of: target)
        var template = Array("\(directory)/.\(AtomicFile.fileName(of: target)).stream-config-edit-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw StreamConfigError.cannotWrite("cannot create a temporary copy in \(directory): \(FileAccess.describe(errno: errno))") }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        EditSignals.install(removing: path)
        defer { close(fd) }
        fchmod(fd, 0o600)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                remove()
                throw StreamConfigError.cannotWrite("\(path): write failed: \(FileAccess.describe(errno: errno))")
            }
            offset += written
        }
    }

    /// The edited bytes. The copy must still be a regular file: an editor (or anyone) that
    /// replaced it with a link or a directory gets it refused, never the link's target installed.
    public func read() throws -> [UInt8] {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw StreamConfigError.refused("the edited copy \(path) is gone (did the editor delete it?); nothing installed")
        }
        if let kind = FileAccess.kind(of: info.st_mode) {
            throw StreamConfigError.refused("the edited copy \(path) was replaced by \(kind); nothing installed",
                                    hint: "edit the file in place, or use an editor that writes a regular file")
        }
        do {
            return try FileAccess.read(path, followLinks: false).bytes
        } catch let error as StreamConfigError {
            throw StreamConfigError.refused("the edited copy cannot be read: \(error.message); nothing installed")
        }
    }

    /// Moves the copy to `FILE.rejected-YYYYmmdd-HHMMSS` (0600) and returns that path.
    public func keepRejected(next target: String) throws -> String {
        let stamp = Self.timestamp()
        for attempt in 1...100 {
            let candidate = "\(target).rejected-\(stamp)" + (attempt == 1 ? "" : "-\(attempt)")
            if link(path, candidate) == 0 {
                // Never chmod through a name: the mode is set on what was opened, a regular file.
                let fd = open(candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
                var info = stat()
                guard fd >= 0, fstat(fd, &info) == 0, FileAccess.kind(of: info.st_mode) == nil, fchmod(fd, 0o600) == 0 else {
                    if fd >= 0 { close(fd) }
                    unlink(candidate)
                    break
                }
                close(fd)
                remove()
                return candidate
            }
            guard errno == EEXIST else { break }
        }
        throw StreamConfigError.cannotWrite("cannot keep the rejected copy next to \(target): \(FileAccess.describe(errno: errno))")
    }

    public func remove() {
        if unlink(path) != 0, errno == EISDIR || errno == EPERM { rmdir(path) }
        EditSignals.uninstall()
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y%m%d-%H%M%S", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What the signal handler needs, set up before it is installed. The handler only makes
/// async-signal-safe calls: unlink, tcsetattr, signal, kill.
enum EditSignals {
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    nonisolated(unsafe) static var copyPath: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) static var editorPID: pid_t = 0
    nonisolated(unsafe) static var caught: Int32 = 0
    nonisolated(unsafe) static var terminal: UnsafeMutablePointer<termios>? = nil

    static func install(removing path: String) {
        copyPath = strdup(path)
        if isatty(0) == 1 {
            let saved = UnsafeMutablePointer<termios>.allocate(capacity: 1)
            if tcgetattr(0, saved) == 0 { terminal = saved } else { saved.deallocate() }
        }
        for signal in handled { Glibc.signal(signal, removeCopyAndDie) }
        // A parent may have left them blocked (Foundation's Process does): we must see them.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    static func uninstall() {
        for signal in handled { Glibc.signal(signal, SIG_DFL) }
        let path = copyPath
        copyPath = nil
        free(path)
        terminal?.deallocate()
        terminal = nil
    }

    /// The terminal's Ctrl-C / Ctrl-\ reach the editor too (same process group): it decides
    /// what they mean, and we look at how it exited. SIGTERM/SIGHUP still clean up.
    static func whileEditorRuns<T>(_ body: () throws -> T) rethrows -> T {
        Glibc.signal(SIGINT, SIG_IGN)
        Glibc.signal(SIGQUIT, SIG_IGN)
        defer {
            if let terminal { tcsetattr(0, TCSADRAIN, terminal) }
            Glibc.signal(SIGINT, removeCopyAndDie)
            Glibc.signal(SIGQUIT, removeCopyAndDie)
        }
        return try body()
    }
}

/// May run on any thread (dispatch's threads do not block these signals), so it ends the whole
/// process with `kill(getpid())`, and `caught` stops the main thread from carrying on once the
/// editor is gone.
private func removeCopyAndDie(_ signal: Int32) {
    if let path = EditSignals.copyPath { unlink(path) }
    if let terminal = EditSignals.terminal { tcsetattr(0, TCSANOW, terminal) }
    Glibc.signal(signal, SIG_DFL)
    EditSignals.caught = signal
    if EditSignals.editorPID > 0 { kill(-EditSignals.editorPID, SIGTERM) }  // its whole process group
    kill(getpid(), signal)
}
