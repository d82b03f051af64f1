#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file the safe way: a temporary file in the same directory, fsync, rename over the
/// original, fsync of the directory. The result keeps the original's owner, mode and ACL; a new file
/// is created 0640, group `netdata` when that group exists (stream.conf holds API keys but must
/// stay readable by Netdata).
public enum AtomicFile {
    public static let newFileMode: mode_t = 0o640

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    public static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Owner, group and mode to give the replacement.
    public struct Ownership: Equatable, Sendable {
        public var uid: uid_t
        public var gid: gid_t
        public var mode: mode_t

        public init(uid: uid_t, gid: gid_t, mode: mode_t) {
            self.uid = uid
            self.gid = gid
            self.mode = mode
        }
    }

    public static func existingOwnership(_ path: String) -> Ownership? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Ownership(uid: info.st_uid, gid: info.st_gid, mode: info.st_mode & 0o7777)
    }

    public static func ownerName(_ ownership: Ownership) -> String {
        let user = getpwuid(ownership.uid).map { String(cString: $0.pointee.pw_name) } ?? String(ownership.uid)
        let group = getgrgid(ownership.gid).map { String(cString: $0.pointee.gr_name) } ?? String(ownership.gid)
        return "\(user):\(group)"
    }

    /// The owner and group a replacement must have could not be given to it.
    public static func ownerError(_ path: String, _ ownership: Ownership, _ code: Int32) -> StreamConfigError {
        StreamConfigError.cannotWrite("\(path): cannot keep its owner and group \(ownerName(ownership)) (\(FileAccess.describe(errno: code))); the file is unchanged",
                              hint: "run as root (sudo), or as the file's owner and a member of its group")
    }

    public static func newFileOwnership() -> Ownership {
        var gid = getegid()
        if let group = getgrnam("netdata") { gid = group.pointee.gr_gid }
        return Ownership(uid: geteuid(), gid: gid, mode: newFileMode)
    }

    /// Temporary files of writers that were killed (SIGKILL, power loss). Only call this while
    /// holding the `FileLock`: then no live writer can own one.
    public static func removeStaleTemporaryFiles(for path: String) {
        let prefix = ".\(fileName(of: path)).stream-config-"
        let directory = directory(of: path)
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(prefix) { unlink("\(directory)/\(name)") }
        }
    }

    /// Writes `bytes` to `path` atomically (a `StagedFile`, committed). Returns whether the file existed before.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String, ownership explicit: Ownership? = nil) throws -> Bool {
        let staged = try StagedFile(bytes, for: path, ownership: explicit)
        try staged.commit()
        return staged.replacesExisting
    }

    /// Writes every byte, retrying after EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StreamConfigError.cannotWrite("\(path): write failed: \(FileAccess.describe(errno: errno))")
                }
                offset += written
            }
        }
    }

    public static func writeError(_ code: Int32, path: String, directory: String) -> StreamConfigError {
        switch code {
        case EACCES, EPERM: return .cannotWrite("\(path): cannot write to \(directory): permission denied", hint: "run with sudo, as for edit-config")
        case EROFS: return .cannotWrite("\(path): the file system is read-only")
        case ENOENT: return .cannotWrite("\(path): the directory \(directory) does not exist")
        default: return .cannotWrite("\(path): \(FileAccess.describe(errno: code))")
        }
    }
}

/// A replacement for `path` written next to it (same directory, so the rename is atomic),
/// synced, with the owner, group, mode and ACL it must have; `path` itself is untouched until
/// `commit`. Discarded (the temporary file removed) when not committed.
///
/// The owner is kept or the write refused: when the file exists and its owner and group cannot
/// be given to the replacement (a user other than root replacing another user's file), nothing
/// is written. A new file may fall back to the caller's own group.
public final class StagedFile {
    public let path: String
    public let temporary: String
    public let replacesExisting: Bool
    private var committed = false

    public init(_ bytes: [UInt8], for path: String, ownership explicit: AtomicFile.Ownership? = nil) throws {
        self.path = path
        let directory = AtomicFile.directory(of: path)
        let existing = AtomicFile.existingOwnership(path)
        replacesExisting = existing != nil
        let ownership = explicit ?? existing ?? AtomicFile.newFileOwnership()
        var template = Array("\(directory)/.\(AtomicFile.fileName(of: path)).stream-config-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw AtomicFile.writeError(errno, path: path, directory: directory) }
        temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            defer { close(fd) }
            try AtomicFile.writeAll(fd, bytes, path: temporary)
            // Owner first (fchown may clear set-id bits), then the ACL, then the mode (which
            // sets the ACL's mask from the group bits, as chmod does).
            if fchown(fd, ownership.uid, ownership.gid) != 0 {
                let code = errno
                if geteuid() == 0 || existing != nil { throw AtomicFile.ownerError(path, ownership, code) }
            }
            if existing != nil { try ExtendedACL.copy(from: path, to: fd, temporary: temporary) }
            guard fchmod(fd, ownership.mode) == 0 else { throw StreamConfigError.cannotWrite("\(temporary): cannot set mode: \(FileAccess.describe(errno: errno))") }
            guard fsync(fd) == 0 else { throw StreamConfigError.cannotWrite("\(temporary): fsync failed: \(FileAccess.describe(errno: errno))") }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Renames the replacement over `path` and syncs the directory.
    public func commit() throws {
        let directory = AtomicFile.directory(of: path)
        guard rename(temporary, path) == 0 else { throw AtomicFile.writeError(errno, path: path, directory: directory) }
        committed = true
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    deinit {
        if !committed { unlink(temporary) }
    }
}

/// POSIX ACLs (`setfacl`) live in the `system.posix_acl_access` extended attribute: a
/// replacement gets the original's, so users and groups granted access keep it.
public enum ExtendedACL {
    public static let attribute = "system.posix_acl_access"

    // <sys/xattr.h> is not part of the Glibc module: the two calls are looked up in libc.
    private typealias GetFunction = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    private typealias FSetFunction = @convention(c) (Int32, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32

    private static func getxattr(_ path: String, _ name: String, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int {
        guard let symbol = dlsym(nil, "getxattr") else { errno = ENOTSUP; return -1 }
        return unsafeBitCast(symbol, to: GetFunction.self)(path, name, value, size)
    }

    private static func fsetxattr(_ fd: Int32, _ name: String, _ value: UnsafeRawPointer?, _ size: Int, _ flags: Int32) -> Int32 {
        guard let symbol = dlsym(nil, "fsetxattr") else { errno = ENOTSUP; return -1 }
        return unsafeBitCast(symbol, to: FSetFunction.self)(fd, name, value, size, flags)
    }

    public static func copy(from path: String, to fd: Int32, temporary: String) throws {
        var size = getxattr(path, attribute, nil, 0)
        guard size > 0 else {
            if size < 0, errno != ENODATA, errno != ENOTSUP {
                throw StreamConfigError.cannotWrite("\(path): cannot read its ACL: \(FileAccess.describe(errno: errno)); the file is unchanged")
            }
            return
        }
        var value = [UInt8](repeating: 0, count: size)
        size = value.withUnsafeMutableBytes { getxattr(path, attribute, $0.baseAddress, $0.count) }
        guard size >= 0 else { throw StreamConfigError.cannotWrite("\(path): cannot read its ACL: \(FileAccess.describe(errno: errno)); the file is unchanged") }
        let result = value.withUnsafeBytes { fsetxattr(fd, attribute, $0.baseAddress, size, 0) }
        guard result == 0 else {
            throw StreamConfigError.cannotWrite("\(path): cannot keep its ACL on the replacement \(temporary): \(FileAccess.describe(errno: errno)); the file is unchanged")
        }
    }
}
