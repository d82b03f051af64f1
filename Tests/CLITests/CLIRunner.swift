import Foundation

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
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // The throwing write: a child that exits without reading must not crash the test process (EPIPE).
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        // Every wait has a limit: a hung command fails its test instead of hanging the run.
        if group.wait(timeout: .now() + .seconds(Int(timeout.components.seconds))) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = group.wait(timeout: .now() + 5)
            throw TestError(description: "stream-config \(arguments.joined(separator: " ")) did not finish within \(timeout); killed it")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
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
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stream-config-test-\(UUID().uuidString)")
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
