#if canImport(Glibc)
import Glibc
#endif

/// Reading input files with errors a user can act on.
enum FileAccess {
    struct Contents {
        var bytes: [UInt8]
        var mode: UInt32
    }

    static func describe(errno code: Int32) -> String { String(cString: strerror(code)) }

    static func read(_ path: String) throws -> Contents {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw UserError.noInput("\(path): no such file")
            case EACCES: throw UserError.noInput("\(path): permission denied",
                                                 hint: "run as a user that can read it (Netdata itself would fall back to the stock file)")
            default: throw UserError.noInput("\(path): \(describe(errno: code))")
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw UserError.noInput("\(path): \(describe(errno: errno))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw UserError.noInput("\(path): is a directory, not a file") }
        return Contents(bytes: try readAll(fd, path: path, sizeHint: Int(info.st_size)), mode: UInt32(info.st_mode & 0o7777))
    }

    static func readStandardInput() throws -> [UInt8] { try readAll(0, path: "<stdin>", sizeHint: 0) }

    static func readAll(_ fd: Int32, path: String, sizeHint: Int) throws -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(max(sizeHint, 0) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw UserError.noInput("\(path): \(describe(errno: errno))")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
