import ArgumentParser

/// Exit codes are API (documented in stream-config(1), EXIT STATUS).
enum ExitStatus {
    /// Success: no errors (warnings allowed unless --strict).
    static let ok: Int32 = 0
    /// Findings: errors (or warnings with --strict); a change refused because its result does not lint.
    static let findings: Int32 = 1
    /// The command line is wrong (what swift-argument-parser uses).
    static let usage: Int32 = 64
    /// An input file is missing, unreadable or not a regular file.
    static let noInput: Int32 = 66
    /// An output file cannot be created or replaced.
    static let cannotCreate: Int32 = 73
    /// Another writer holds the lock.
    static let busy: Int32 = 75
}

/// An error the user can act on: printed as `stream-config: message`, then the hint.
struct UserError: Error, CustomStringConvertible {
    var message: String
    var hint: String?
    var exitCode: Int32

    var description: String { message }

    static func noInput(_ message: String, hint: String? = nil) -> UserError { UserError(message: message, hint: hint, exitCode: ExitStatus.noInput) }
    static func cannotWrite(_ message: String, hint: String? = nil) -> UserError { UserError(message: message, hint: hint, exitCode: ExitStatus.cannotCreate) }
    static func usage(_ message: String, hint: String? = nil) -> UserError { UserError(message: message, hint: hint, exitCode: ExitStatus.usage) }
    static func refused(_ message: String, hint: String? = nil) -> UserError { UserError(message: message, hint: hint, exitCode: ExitStatus.findings) }
}

extension UserError {
    /// Print and exit; used by every command's `run()` through `withUserErrors`.
    func exit() -> ExitCode {
        Terminal.stderr("stream-config: \(message)")
        if let hint { Terminal.stderr("  hint: \(hint)") }
        return ExitCode(exitCode)
    }
}

func withUserErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as UserError {
        throw error.exit()
    }
}

func withUserErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as UserError {
        throw error.exit()
    }
}
