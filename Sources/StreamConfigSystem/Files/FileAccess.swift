#if canImport(Glibc)
import Glibc
#endif

/// Reading input files with errors a user can act on. Every file stream-config reads goes
/// through `read`: only regular files (a FIFO, device or socket is refused before it is read,
/// so nothing hangs), and at most `sizeLimit` bytes (so a huge file is refused, never an
/// allocation abort).
public enum FileAccess {
    public struct Contents: Sendable {
        public var bytes: [UInt8]
        public var mode: UInt32

        public init(bytes: [UInt8], mode: UInt32) {
            self.bytes = bytes
            self.mode = mode
        }
    }

    public static func describe(errno code: Int32) -> String { String(cString: strerror(code)) }

    /// The size cap: 64 MiB, or STREAM_CONFIG_MAX_FILE_SIZE (bytes, or with a K, M or G suffix).
    public static let sizeLimitVariable = "STREAM_CONFIG_MAX_FILE_SIZE"
    public static let defaultSizeLimit = 64 << 20

    public static func sizeLimit() throws -> Int {
        guard let text = Environment.value(sizeLimitVariable), !text.isEmpty else { return defaultSizeLimit }
        guard let limit = parseSize(text) else {
            throw StreamConfigError.usage("\(sizeLimitVariable)=\(text) is not a size", hint: "give bytes, or a number with K, M or G (e.g. 64M)")
        }
        return limit
    }

    /// `1024`, `64K`, `64M`, `1G` (powers of 1024); nil when not a positive size.
    public static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text)
        var unit = 1
        switch digits.last.map({ Character($0.uppercased()) }) {
        case "K": unit = 1 << 10
        case "M": unit = 1 << 20
        case "G": unit = 1 << 30
        default: break
        }
        if unit > 1 { digits = digits.dropLast() }
        guard let value = Int(digits), value > 0, value <= Int.max / unit else { return nil }
        return value * unit
    }

    public static func sizeDescription(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : bytes % (1 << 10) == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }

    /// What a non-regular file is, for messages.
    public static func kind(of mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Reads a regular file. With `followLinks: false` a symbolic link is refused too.
    public static func read(_ path: String, followLinks: Bool = true) throws -> Contents {
        let limit = try sizeLimit()
        var info = stat()
        // Look before opening: opening a FIFO or a device can block or have side effects.
        if (followLinks ? stat(path, &info) : lstat(path, &info)) == 0 {
            try checkRegular(path, info, limit: limit)
        }
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW)
        let fd = open(path, flags)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw StreamConfigError.noInput("\(path): no such file")
            case EACCES: throw StreamConfigError.noInput("\(path): permission denied",
                                                 hint: "run as a user that can read it (Netdata itself would fall back to the stock file)")
            case ELOOP where !followLinks: throw StreamConfigError.noInput("\(path): is a symbolic link, not a regular file")
            default: throw StreamConfigError.noInput("\(path): \(describe(errno: code))")
            }
        }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw StreamConfigError.noInput("\(path): \(describe(errno: errno))") }
        try checkRegular(path, info, limit: limit)  // again: it may have been swapped since the look
        return Contents(bytes: try readAll(fd, path: path, sizeHint: Int(info.st_size), limit: limit), mode: UInt32(info.st_mode & 0o7777))
    }

    private static func checkRegular(_ path: String, _ info: stat, limit: Int) throws {
        if let kind = kind(of: info.st_mode) {
            throw StreamConfigError.noInput("\(path): is \(kind), not a regular file; stream-config reads and replaces only regular files")
        }
        if Int(info.st_size) > limit { throw tooLarge(path, limit: limit) }
    }

    private static func tooLarge(_ path: String, limit: Int) -> StreamConfigError {
        StreamConfigError.noInput("\(path): larger than \(sizeDescription(limit)), the most stream-config reads",
                          hint: "a stream.conf is a few KiB; set \(sizeLimitVariable) (e.g. 256M) to read a larger file anyway")
    }

    public static func readStandardInput() throws -> [UInt8] { try readAll(0, path: "<stdin>", sizeHint: 0, limit: try sizeLimit()) }

    /// Reads to the end, retrying after EINTR; more than `limit` bytes is an error.
    public static func readAll(_ fd: Int32, path: String, sizeHint: Int, limit: Int) throws -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(min(max(sizeHint, 0), limit) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { try waitReadable(fd, path: path); continue }
                throw StreamConfigError.noInput("\(path): \(describe(errno: errno))")
            }
            if count == 0 { break }
            if result.count + count > limit { throw tooLarge(path, limit: limit) }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// Standard input may be non-blocking (inherited); wait for it rather than fail.
    private static func waitReadable(_ fd: Int32, path: String) throws {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, -1) < 0 {
            guard errno == EINTR else { throw StreamConfigError.noInput("\(path): \(describe(errno: errno))") }
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The files of `paths` this user cannot read, each with why (lint runs as a user, Netdata
    /// as netdata: a readable file here may still be unreadable for Netdata).
    public static func unreadableFiles(_ paths: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for path in paths where access(path, R_OK) != 0 {
            result[path] = "cannot be read (\(describe(errno: errno)))"
        }
        return result
    }
}
