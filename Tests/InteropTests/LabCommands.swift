// Running commands from tests (curl, the project's stream-config binary) and reading their findings.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Running commands (curl, stream-config)

struct CommandResult: Sendable, CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String
    var description: String { "exit \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)" }
}

enum Command {
    /// Runs `executable` to completion (SIGKILLed after `timeout`) and captures its output, with
    /// the one runner every test target shares (TestSupport's `Spawn`), on a thread of its own.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let result = try await onOwnThread { try Spawn.run(executable, arguments, timeout: timeout) }
        if result.timedOut { throw LabError("\(executable) \(arguments) did not finish within \(timeout)") }
        return CommandResult(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
                             stderr: String(decoding: result.stderr, as: UTF8.self))
    }
}

enum HTTP {
    /// GET with curl (`-f`: HTTP errors give a non-zero status).
    static func get(_ url: String, timeout: Int = 2) async throws -> CommandResult {
        try await Command.run("/usr/bin/curl", ["-fsS", "-m", String(timeout), url], timeout: .seconds(timeout + 3))
    }
}

// MARK: - The project's CLI

enum StreamConfigCLI {
    /// Package root, from this file's path (Tests/InteropTests/NetdataLab.swift).
    static func packageRoot(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// STREAM_CONFIG_BIN if set, else `<package root>/.build/debug/stream-config`.
    static func binaryPath() -> String {
        if let env = ProcessInfo.processInfo.environment["STREAM_CONFIG_BIN"], !env.isEmpty { return env }
        return packageRoot().appendingPathComponent(".build/debug/stream-config").path
    }

    static func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandResult {
        let bin = binaryPath()
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw LabError("stream-config binary not found at \(bin) (build it, or set STREAM_CONFIG_BIN)")
        }
        return try await Command.run(bin, arguments, timeout: timeout)
    }

    /// One line of `--format gcc` output: `PATH:LINE:COL: SEVERITY: [CODE] message`.
    struct Finding: Sendable, Equatable {
        let path: String, line: Int, column: Int, severity: String, code: String, message: String

        init?(gccLine s: String) {
            guard let m = s.wholeMatch(of: /(.+?):(\d+):(\d+): (\w+): \[([A-Z]+\d+)\] (.*)/),
                  let line = Int(m.2), let column = Int(m.3) else { return nil }
            (path, self.line, self.column) = (String(m.1), line, column)
            (severity, code, message) = (String(m.4), String(m.5), String(m.6))
        }
    }

    /// `stream-config lint --target TARGET --format gcc FILE`: the raw result and its findings.
    static func lint(_ file: URL, target: String = "1.37") async throws -> (result: CommandResult, findings: [Finding]) {
        let r = try await run(["lint", "--target", target, "--format", "gcc", file.path])
        return (r, r.stdout.split(separator: "\n").compactMap { Finding(gccLine: String($0)) })
    }
}
