#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file the safe way: a temporary file in the same directory, fsync, rename over the
/// original, fsync of the directory. The result keeps the original's owner and mode; a new file
/// is created 0640, group `netdata` when that group exists (stream.conf holds API keys but must
/// stay readable by Netdata).
enum AtomicFile {
    static let newFileMode: mode_t = 0o640

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Owner, group and mode to give the replacement.
    struct Ownership {
        var uid: uid_t
        var gid: gid_t
        var mode: mode_t
    }

    static func existingOwnership(_ path: String) -> Ownership? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Ownership(uid: info.st_uid, gid: info.st_gid, mode: info.st_mode & 0o7777)
    }

    static func newFileOwnership() -> Ownership {
        var gid = getegid()
        if let group = getgrnam("netdata") { gid = group.pointee.gr_gid }
        return Ownership(uid: geteuid(), gid: gid, mode: newFileMode)
    }

    /// Writes `bytes` to `path` atomically. Returns whether the file existed before.
    /// Temporary files of writers that were killed (SIGKILL, power loss). Only call this while
    /// holding the `DirectoryLock`: then no live writer can own one.
    static func removeStaleTemporaryFiles(for path: String) {
        let prefix = ".\(fileName(of: path)).stream-config-"
        let directory = directory(of: path)
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(prefix) { unlink("\(directory)/\(name)") }
        }
    }

    @discardableResult
    static func write(_ bytes: [UInt8], to path: String, ownership explicit: Ownership? = nil) throws -> Bool {
        let directory = directory(of: path)
        let existing = existingOwnership(path)
        let ownership = explicit ?? existing ?? newFileOwnership()
        var template = Array("\(directory)/.\(fileName(of: path)).stream-config-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw writeError(errno, path: path, directory: directory) }
        let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        defer {
            if !committed { unlink(tempPath) }
        }
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: tempPath)
            // Owner first (fchown may clear set-id bits), then the mode.
            if fchown(fd, ownership.uid, ownership.gid) != 0, geteuid() == 0 {
                throw UserError.cannotWrite("\(tempPath): cannot set owner: \(FileAccess.describe(errno: errno))")
            }
            guard fchmod(fd, ownership.mode) == 0 else { throw UserError.cannotWrite("\(tempPath): cannot set mode: \(FileAccess.describe(errno: errno))") }
            guard fsync(fd) == 0 else { throw UserError.cannotWrite("\(tempPath): fsync failed: \(FileAccess.describe(errno: errno))") }
        }
        guard rename(tempPath, path) == 0 else { throw writeError(errno, path: path, directory: directory) }
        committed = true
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        return existing != nil
    }

    /// Writes every byte, retrying after EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw UserError.cannotWrite("\(path): write failed: \(FileAccess.describe(errno: errno))")
                }
                offset += written
            }
        }
    }

    private static func writeError(_ code: Int32, path: String, directory: String) -> UserError {
        switch code {
        case EACCES, EPERM: return .cannotWrite("\(path): cannot write to \(directory): permission denied", hint: "run with sudo, as for edit-config")
        case EROFS: return .cannotWrite("\(path): the file system is read-only")
        case ENOENT: return .cannotWrite("\(path): the directory \(directory) does not exist")
        default: return .cannotWrite("\(path): \(FileAccess.describe(errno: code))")
        }
    }
}

/// An exclusive lock on the directory that holds the file: two writers (stream-config commands,
/// `edit` sessions) cannot interleave a read-modify-write and lose an update, and no lock file
/// is ever left behind.
final class DirectoryLock {
    private let fd: Int32

    init(for path: String, timeoutSeconds: Double = 10) throws {
        let directory = AtomicFile.directory(of: path)
        fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw UserError.cannotWrite("\(path): the directory \(directory) does not exist") }
            throw UserError.cannotWrite("\(directory): \(FileAccess.describe(errno: errno))")
        }
        var waited = 0.0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw UserError.cannotWrite("\(directory): cannot lock: \(FileAccess.describe(errno: errno))")
            }
            if waited >= timeoutSeconds {
                close(fd)
                throw UserError(message: "\(path) is being changed by another stream-config (waited \(Int(timeoutSeconds)) s)",
                                hint: "try again when the other command or editor session has finished", exitCode: ExitStatus.busy)
            }
            usleep(50_000)
            waited += 0.05
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
