#if canImport(Glibc)
import Glibc
#endif

/// The file a writer replaces. A symbolic link is written through: its target is replaced
/// atomically in the target's directory and the link stays. A link whose target is outside the
/// configuration directory is refused unless the user named the file with `--file`.
public enum WriteTarget {
    /// `note` is told when a link is written through (the caller shows it).
    public static func resolve(_ path: String, configDirectory: String, explicit: Bool,
                               note: (String) -> Void = { _ in }) throws -> String {
        guard let real = realPath(path) else {
            var info = stat()
            if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                throw StreamConfigError.noInput("\(path): is a link to \(linkText(path) ?? "?"), which does not exist",
                                        hint: "remove the link, or create its target")
            }
            return path  // a new file, or a missing directory the writer reports
        }
        guard real != path else { return path }
        let directory = realPath(configDirectory) ?? configDirectory
        if !explicit, !real.hasPrefix(directory + "/") {
            throw StreamConfigError.cannotWrite("\(path) is a link to \(real), outside \(configDirectory); not changed",
                                        hint: "name the file with --file \(path) to change it anyway")
        }
        if isLink(path) { note("\(path) is a link to \(real); changing \(real)") }
        return real
    }

    public static func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func linkText(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
