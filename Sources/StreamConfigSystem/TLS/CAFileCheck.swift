import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// Whether a file named for verifying TLS parents is usable on this host: `CAfile` (and
/// `child set --ca-file`) must be a readable file of PEM certificates, as OpenSSL loads it for
/// Netdata (a DER file or a private key is not one); `CApath` (`--ca-path`) an existing
/// directory. The file system is read here; the core only gets the outcome (`FileFact`).
public enum CAFileCheck {
    public struct Problem: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// Nothing at the path.
            case missing
            /// There, but this user cannot read it (or search the directory).
            case unreadable
            /// There, but not what the option takes: no PEM certificate, not a directory, a relative path.
            case wrongKind
        }

        public var kind: Kind
        /// A phrase after the path: "does not exist", "is not a PEM certificate file (...)".
        public var problem: String
    }

    /// `path` as an absolute path: Netdata opens `CAfile` and `CApath` from its own working
    /// directory, so `child set` writes a relative one (`--ca-file parent.pem`) as seen from
    /// here. An existing path is resolved (`realpath`); another is joined to the working
    /// directory, with `.` and `..` taken away.
    public static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/"), !path.isEmpty else { return path }
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var parts: [Substring] = []
        for part in (directory + "/" + path).split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The problem with `path` as a `CAfile` (`directory: false`) or `CApath`, or nil.
    public static func check(_ path: String, directory: Bool) -> Problem? {
        guard path.hasPrefix("/") else {
            return Problem(kind: .wrongKind, problem: "is a relative path: Netdata opens it from its own working directory, not this one; give the absolute path")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return Problem(kind: .missing, problem: "does not exist") }
            return Problem(kind: .unreadable, problem: "cannot be looked at (\(FileAccess.describe(errno: code)))")
        }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        if directory {
            guard isDirectory else { return Problem(kind: .wrongKind, problem: "is not a directory (CApath names a directory of certificates; a single file goes in CAfile)") }
            guard access(path, R_OK | X_OK) == 0 else {
                return Problem(kind: .unreadable, problem: "cannot be read (\(FileAccess.describe(errno: errno)))")
            }
            return nil
        }
        if isDirectory { return Problem(kind: .wrongKind, problem: "is a directory, not a certificate file (a directory goes in CApath)") }
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(path).bytes
        } catch let error as StreamConfigError {
            let reason = error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.utf8.count + 2)) : error.message
            return Problem(kind: .unreadable, problem: "cannot be read (\(reason))")
        } catch {
            return Problem(kind: .unreadable, problem: "cannot be read (\(error))")
        }
        return certificateProblem(bytes).map { Problem(kind: .wrongKind, problem: $0) }
    }

    /// Why `bytes` are not a PEM certificate file OpenSSL can load, or nil when they are.
    static func certificateProblem(_ bytes: [UInt8]) -> String? {
        if bytes.isEmpty { return "is empty, not a PEM certificate file" }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("-----BEGIN ") else {
            if (try? TLSInspect.certificates(in: bytes, path: "")) != nil {
                return "is a DER certificate, and Netdata (OpenSSL) reads CAfile as PEM: convert it with `openssl x509 -inform der -in FILE -out FILE.pem`"
            }
            return "is not a PEM certificate file (no -----BEGIN CERTIFICATE----- block)"
        }
        do throws(TLSInspect.Problem) {
            _ = try TLSInspect.certificates(in: bytes, path: "")
            return nil
        } catch {
            // The message starts with the path given (empty here): ": no CERTIFICATE in ...".
            let detail = error.message.hasPrefix(": ") ? String(error.message.dropFirst(2)) : error.message
            return "is not a PEM certificate file (\(detail))"
        }
    }

    /// `lint`'s facts about a stream.conf: each `CAfile`/`CApath` in force that names an absolute
    /// path with a problem here.
    public static func facts(_ ini: Ini) -> [FileFact] {
        StreamTLSFiles.named(in: ini).compactMap { named in
            check(named.path, directory: named.isDirectory).map { FileFact(option: named.option, path: named.path, problem: $0.problem) }
        }
    }
}

extension CAFileCheck {
    /// `child set`'s check: `--ca-file` must be a PEM certificate file here and `--ca-path` a
    /// directory, since the stream.conf written is for the Netdata on this host. Throws
    /// `noInput` (exit 66) when missing or unreadable, `usage` (64) when not a certificate or
    /// directory; `--force` skips the check.
    public static func require(_ path: String?, option: String, directory: Bool) throws {
        guard let path, let problem = check(path, directory: directory) else { return }
        let message = "\(option) \(path) \(problem.problem)"
        let hint = directory ? "give the directory of CA certificates, or --force if it will be there when Netdata starts"
            : "give the parent's certificate (or its CA) in PEM, e.g. a copy of the parent's /etc/netdata/ssl/stream.crt, or --force if it will be there when Netdata starts"
        switch problem.kind {
        case .missing, .unreadable: throw StreamConfigError.noInput(message, hint: hint)
        case .wrongKind: throw StreamConfigError.usage(message, hint: hint)
        }
    }
}
