import ArgumentParser
import StreamConfigSystem

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

    /// The one place an error's code becomes an exit status.
    static func of(_ code: StreamConfigError.Code) -> Int32 {
        switch code {
        case .usage: return usage
        case .noInput: return noInput
        case .cannotWrite: return cannotCreate
        case .busy: return busy
        default: return findings  // .refused, and any code added later
        }
    }
}

extension StreamConfigError {
    var exitCode: Int32 { ExitStatus.of(code) }

    /// Print and exit: `stream-config: message`, then the hint. Used by every command's `run()`
    /// through `withUserErrors`.
    func exit() -> ExitCode {
        for line in details { Terminal.stderr(line) }
        Terminal.stderr("stream-config: \(message)")
        if let hint { Terminal.stderr("  hint: \(hint)") }
        return ExitCode(exitCode)
    }
}

func withUserErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as StreamConfigError {
        throw error.exit()
    }
}

func withUserErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as StreamConfigError {
        throw error.exit()
    }
}
