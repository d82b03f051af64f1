#if canImport(Glibc)
import Glibc
#endif

/// The writers' lock: an exclusive `flock` on `.NAME.lock` next to the file (mode 0600, empty,
/// left in place), so two writers (stream-config commands, `edit` sessions) cannot interleave a
/// read-modify-write and lose an update. Only its owner can open it, so another user cannot
/// hold the lock and make every writer wait (a lock on the directory itself would need only
/// read access).
public final class FileLock {
    private let fd: Int32

    public static func lockPath(for path: String) -> String {
        "\(AtomicFile.directory(of: path))/.\(AtomicFile.fileName(of: path)).lock"
    }

    public init(for path: String, timeoutSeconds: Double = 10) throws {
        let directory = AtomicFile.directory(of: path)
        let lockPath = Self.lockPath(for: path)
        fd = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw StreamConfigError.cannotWrite("\(path): the directory \(directory) does not exist")
            case EACCES, EPERM: throw StreamConfigError.cannotWrite("\(path): cannot write to \(directory): permission denied (for the lock file \(lockPath))",
                                                       hint: "run with sudo, as for edit-config")
            case ELOOP: throw StreamConfigError.cannotWrite("\(lockPath): the lock file is a symbolic link; remove it")
            default: throw StreamConfigError.cannotWrite("\(lockPath): cannot open the lock file: \(FileAccess.describe(errno: code))")
            }
        }
        do {
            try Self.checkPrivate(fd, lockPath)
        } catch {
            close(fd)
            throw error
        }
        var waited = 0.0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(fd)
                throw StreamConfigError.cannotWrite("\(lockPath): cannot lock: \(FileAccess.describe(errno: errno))")
            }
            if waited >= timeoutSeconds {
                close(fd)
                throw StreamConfigError.busy("\(path) is being changed by another stream-config (waited \(Int(timeoutSeconds)) s)",
                                             hint: "try again when the other command or editor session has finished")
            }
            usleep(50_000)
            waited += 0.05
        }
    }

    /// A lock file someone else could open would let them hold the lock: it must be a regular
    /// file owned by us (or root), open to nobody else.
    private static func checkPrivate(_ fd: Int32, _ lockPath: String) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StreamConfigError.cannotWrite("\(lockPath): \(FileAccess.describe(errno: errno))") }
        if let kind = FileAccess.kind(of: info.st_mode) {
            throw StreamConfigError.cannotWrite("\(lockPath): the lock file is \(kind); remove it")
        }
        guard info.st_uid == geteuid() || info.st_uid == 0 else {
            throw StreamConfigError.cannotWrite("\(lockPath): the lock file belongs to user \(info.st_uid), who could hold it and block every writer; remove it",
                                        hint: "only the owner of the configuration should be able to write to its directory")
        }
        if info.st_mode & 0o077 != 0 {
            guard info.st_uid == geteuid(), fchmod(fd, 0o600) == 0 else {
                throw StreamConfigError.cannotWrite("\(lockPath): the lock file is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))); make it 0600")
            }
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Removes the lock files in a directory this run created and is about to remove again.
    public static func removeLockFiles(inNewDirectory directory: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("."), name.hasSuffix(".lock"), name.count > 6 { unlink("\(directory)/\(name)") }
        }
    }
}
