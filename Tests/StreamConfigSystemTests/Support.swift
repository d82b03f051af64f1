import Glibc

/// A private temporary directory, removed with everything in it when released.
final class Scratch {
    let path: String

    init() throws {
        var template = Array("/tmp/sc-system-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ScratchError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func path(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    func file(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        let full = path(name)
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ScratchError(description: "open \(full): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        _ = text.utf8CString.dropLast().withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, mode)
        return full
    }

    func read(_ name: String) -> String? {
        guard let handle = fopen(path(name), "r") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, handle)
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func mode(_ name: String) -> mode_t? {
        var info = stat()
        return lstat(path(name), &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    func owner(_ name: String) -> (uid_t, gid_t)? {
        var info = stat()
        return lstat(path(name), &info) == 0 ? (info.st_uid, info.st_gid) : nil
    }

    func names() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { found.append(name) }
        }
        return found.sorted()
    }

    deinit {
        _ = path.withCString { system("rm -rf '\(String(cString: $0))'") }
    }
}

struct ScratchError: Error, CustomStringConvertible { var description: String }
