#if canImport(Glibc)
import Glibc
#endif

/// Several files replaced as one change (the key, the certificate and netdata.conf of
/// `tls init`).
///
/// `stage` writes each file in full to a temporary file next to its target (the same
/// `.NAME.stream-config-XXXXXX` names as `AtomicFile`, so a killed run's leftovers are cleaned
/// the same way), sets owner and mode and fsyncs it; nothing visible changes yet. `commit`
/// then renames them into place one after the other. A failure while staging removes the
/// temporary files and the directories made for them: no target changes. A failure while
/// renaming (practically only a vanished directory) puts back what was already renamed: the
/// old file from a hard-link backup, or no file where there was none.
public final class TLSFileSet {
    public struct Staged: Sendable {
        public let path: String
        public let temporary: String
        public let existed: Bool
        public var backup: String?
    }

    /// Whether the requested owner could be given (non-root users cannot `chown`).
    public struct StageResult: Sendable {
        public var ownerApplied: Bool
    }

    public private(set) var staged: [Staged] = []

    public init() {}
    private var createdDirectories: [String] = []
    private var committed = false

    /// Creates `path` and any missing parents (mode 0755), remembering which ones are new so a
    /// failed change can remove them again.
    public func makeDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw StreamConfigError.cannotWrite("\(path): exists and is not a directory", hint: "choose another --dir")
            }
            return
        }
        let parent = AtomicFile.directory(of: path)
        if parent != path, stat(parent, &info) != 0 { try makeDirectory(parent) }
        if mkdir(path, 0o755) != 0 {
            let code = errno
            if code == EEXIST { return }
            throw Self.error(code, creating: path)
        }
        createdDirectories.append(path)
    }

    /// Writes `bytes` next to `path`, with `ownership`; `path` itself is not touched yet.
    @discardableResult
    public func stage(_ bytes: [UInt8], to path: String, ownership: AtomicFile.Ownership) throws -> StageResult {
        let directory = AtomicFile.directory(of: path)
        var template = Array("\(directory)/.\(AtomicFile.fileName(of: path)).stream-config-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Self.error(errno, writing: path, in: directory) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var keep = false
        defer { if !keep { unlink(temporary) } }
        var result = StageResult(ownerApplied: true)
        do {
            defer { close(fd) }
            // The mode first (mkstemp made it 0600), so no moment exists where a key is readable.
            guard fchmod(fd, ownership.mode & 0o600) == 0 else {
                throw StreamConfigError.cannotWrite("\(temporary): cannot set mode: \(FileAccess.describe(errno: errno))")
            }
            try AtomicFile.writeAll(fd, bytes, path: temporary)
            if fchown(fd, ownership.uid, ownership.gid) != 0 {
                let code = errno
                if geteuid() == 0 { throw StreamConfigError.cannotWrite("\(temporary): cannot set owner: \(FileAccess.describe(errno: code))") }
                // An existing file keeps its owner, or is not replaced.
                if let existing = AtomicFile.existingOwnership(path), existing.uid == ownership.uid, existing.gid == ownership.gid {
                    throw AtomicFile.ownerError(path, ownership, code)
                }
                result.ownerApplied = false
            }
            if FileAccess.exists(path) { try ExtendedACL.copy(from: path, to: fd, temporary: temporary) }
            guard fchmod(fd, ownership.mode) == 0 else {
                throw StreamConfigError.cannotWrite("\(temporary): cannot set mode: \(FileAccess.describe(errno: errno))")
            }
            guard fsync(fd) == 0 else { throw StreamConfigError.cannotWrite("\(temporary): fsync failed: \(FileAccess.describe(errno: errno))") }
        }
        keep = true
        staged.append(Staged(path: path, temporary: temporary, existed: FileAccess.exists(path)))
        return result
    }

    /// Renames every staged file into place; on a failure, undoes the renames already done.
    public func commit() throws {
        // Hard-link backups of the files about to be replaced, for the undo.
        for index in staged.indices where staged[index].existed {
            staged[index].backup = Self.backupLink(for: staged[index].path)
        }
        for index in staged.indices {
            let file = staged[index]
            if rename(file.temporary, file.path) != 0 {
                let code = errno
                let restored = undo(staged[..<index])
                throw StreamConfigError.cannotWrite(
                    "\(file.path): cannot replace it: \(FileAccess.describe(errno: code))"
                        + (restored ? "; every file was put back as it was" : "; some files could not be put back, check \(staged[..<index].map(\.path).joined(separator: ", "))"))
            }
        }
        committed = true
        for file in staged {
            if let backup = file.backup { unlink(backup) }
        }
        var synced = Set<String>()
        for file in staged where synced.insert(AtomicFile.directory(of: file.path)).inserted {
            let fd = open(AtomicFile.directory(of: file.path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 {
                fsync(fd)
                close(fd)
            }
        }
    }

    /// Removes the temporary files (and backups) and the directories this set created.
    public func discard() {
        guard !committed else { return }
        for file in staged {
            unlink(file.temporary)
            if let backup = file.backup { unlink(backup) }
        }
        staged.removeAll()
        for directory in createdDirectories.reversed() {
            FileLock.removeLockFiles(inNewDirectory: directory)
            rmdir(directory)
        }
        createdDirectories.removeAll()
    }

    deinit { discard() }

    private func undo(_ done: ArraySlice<Staged>) -> Bool {
        var complete = true
        for file in done.reversed() {
            if let backup = file.backup {
                if rename(backup, file.path) != 0 { complete = false }
            } else if file.existed {
                complete = false
            } else {
                unlink(file.path)
            }
        }
        return complete
    }

    /// A second name for `path` (same directory), or nil when the file system has no hard links.
    private static func backupLink(for path: String) -> String? {
        let directory = AtomicFile.directory(of: path)
        for _ in 0..<8 {
            var random = SystemRandomNumberGenerator()
            let suffix = String(random.next() as UInt64, radix: 36)
            let candidate = "\(directory)/.\(AtomicFile.fileName(of: path)).stream-config-old-\(suffix)"
            if link(path, candidate) == 0 { return candidate }
            if errno != EEXIST { return nil }
        }
        return nil
    }

    public static func error(_ code: Int32, writing path: String, in directory: String) -> StreamConfigError {
        switch code {
        case EACCES, EPERM: return .cannotWrite("\(path): cannot write to \(directory): permission denied", hint: "run with sudo, or choose a directory you can write")
        case EROFS: return .cannotWrite("\(path): \(directory) is on a read-only file system")
        case ENOENT: return .cannotWrite("\(path): the directory \(directory) does not exist")
        default: return .cannotWrite("\(path): cannot write to \(directory): \(FileAccess.describe(errno: code))")
        }
    }

    public static func error(_ code: Int32, creating directory: String) -> StreamConfigError {
        switch code {
        case EACCES, EPERM: return .cannotWrite("\(directory): cannot create the directory: permission denied", hint: "run with sudo, or choose a --dir you can write")
        case EROFS: return .cannotWrite("\(directory): cannot create the directory: read-only file system")
        case ENOTDIR: return .cannotWrite("\(directory): cannot create the directory: a parent is not a directory")
        default: return .cannotWrite("\(directory): cannot create the directory: \(FileAccess.describe(errno: code))")
        }
    }
}
