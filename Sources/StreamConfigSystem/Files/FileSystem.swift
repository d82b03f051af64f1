#if canImport(Glibc)
import Glibc
#endif

/// Small questions about paths, asked of the file system.
public enum FileSystem {
    /// `mkdir -p`: every missing directory of `path` (0755), from `start` on (default: the root
    /// or the current directory). `hint` goes with the error.
    public static func makeDirectories(_ path: String, from start: String? = nil, hint: String? = nil) throws {
        var current = start ?? (path.hasPrefix("/") ? "" : ".")
        let rest = start.map { path.dropFirst($0.count) } ?? Substring(path)
        for component in rest.split(separator: "/") {
            current += "/\(component)"
            if isDirectory(current) { continue }
            guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                throw StreamConfigError.cannotWrite("cannot create directory \(current) (\(FileAccess.describe(errno: errno)))", hint: hint)
            }
        }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// `path` made absolute against the working directory, "." components and repeated or
    /// trailing slashes dropped (".." is kept as written).
    public static func absolute(_ path: String) -> String {
        var result = path
        if !result.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil {
                let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                result = (cwd == "/" ? "" : cwd) + "/" + result
            }
        }
        let parts = result.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether this user may write to `path` (access(2) with W_OK); the errno text when not.
    public static func writeProblem(_ path: String) -> String? {
        access(path, W_OK) == 0 ? nil : FileAccess.describe(errno: errno)
    }

    /// The name of user `uid`, or `uid N`.
    public static func userName(_ uid: uid_t) -> String {
        if let user = getpwuid(uid) { return String(cString: user.pointee.pw_name) }
        return "uid \(uid)"
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingBlanks: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
