import Foundation
import TestSupport

/// Runs the built `stream-config` binary (STREAM_CONFIG_BIN, else .build/debug).
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["STREAM_CONFIG_BIN"], !path.isEmpty { return path }
        return packageRoot.appendingPathComponent(".build/debug/stream-config").path
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], asUser user: String? = nil,
                    timeout: Duration = .seconds(120)) throws -> Result {
        let command = user.map { ["/usr/bin/setpriv", "--reuid=\($0)", "--regid=\($0)", "--clear-groups", binary] } ?? [binary]
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        // Every wait has a limit: a hung command fails its test instead of hanging the run.
        let result = try Spawn.run(command[0], Array(command.dropFirst()) + arguments, environment: env.map { "\($0.key)=\($0.value)" },
                                   stdin: stdin.map { Array($0) }, timeout: timeout)
        if result.timedOut {
            throw TestError(description: "stream-config \(arguments.joined(separator: " ")) did not finish within \(timeout); killed it")
        }
        return Result(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
                      stderr: String(decoding: result.stderr, as: UTF8.self))
    }
}

extension CLI {
    /// The names in `dir`, sorted, without the writers' lock files (`.NAME.lock`, left in place by design).
    static func listingWithoutLockFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !($0.hasPrefix(".") && $0.hasSuffix(".lock")) }.sorted()
    }
}

/// A temporary directory removed at the end of the test.
final class TempDir {
    let url: URL
    init() throws {
        // No dashes: a UUID-shaped name would be masked as a key in messages that quote the path.
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stream-config-test-\(UUID().uuidString.filter { $0 != "-" })")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String, _ contents: String, mode: Int = 0o640) throws -> String {
        let path = url.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
}

/// Waits for `condition`, checking every 20 ms, until `deadline` seconds have passed.
func poll(until what: String, deadline: TimeInterval, _ condition: () throws -> Bool) throws {
    let end = Date().addingTimeInterval(deadline)
    while try !condition() {
        guard Date() < end else { throw TestError(description: "timed out waiting for \(what)") }
        usleep(20_000)
    }
}
