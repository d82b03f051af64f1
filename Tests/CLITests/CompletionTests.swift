import Foundation
import Testing
import TestSupport

/// Shell completion completes file names for every option and argument that takes a file, and
/// the stock file names for `edit`: the scripts `--generate-completion-script` writes (what
/// `make install` and the package install) say so, and bash, run for real, offers them.
@Suite struct CompletionTests {
    /// (command path, option or "" for the positional argument, directory only).
    static let fileArguments: [([String], String, Bool)] = [
        (["lint"], "", false),
        (["migrate"], "--netdata-conf", false),
        (["child", "set"], "--file", false),
        (["child", "set"], "--ca-file", false),
        (["child", "set"], "--ca-path", true),
        (["parent", "add-key"], "--file", false),
        (["parent", "list-keys"], "--file", false),
        (["set"], "--file", false),
        (["get"], "--file", false),
        (["doctor"], "--config", false),
        (["doctor"], "--netdata-conf", false),
        (["relay"], "--config", false),
        (["relay"], "--tls-certificate", false),
        (["relay"], "--tls-key", false),
        (["tls", "init"], "--dir", true),
        (["tls", "init"], "--netdata-conf", false),
        (["tls", "show"], "", false),
        (["tls", "show"], "--key", false),
        (["fleet", "check"], "", false),
        (["fleet", "render"], "--out", true),
    ]

    static func script(_ shell: String) throws -> String {
        let result = try CLI.run(["--generate-completion-script", shell])
        guard result.status == 0, !result.stdout.isEmpty else { throw TestError(description: "\(shell): \(result.stderr)") }
        return result.stdout
    }

    /// The body of the zsh function of a command (`_stream-config_child_set`).
    static func zshFunction(_ script: String, _ command: [String]) -> String? {
        let name = "_stream-config_" + command.joined(separator: "_") + "() {"
        guard let start = script.range(of: name) else { return nil }
        let rest = script[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n}\n")?.lowerBound ?? rest.endIndex)])
    }

    @Test func testZshCompletesFiles() throws {
        let script = try Self.script("zsh")
        for (command, option, directory) in Self.fileArguments {
            let body = try #require(Self.zshFunction(script, command), "no zsh function for \(command)")
            let specs = body.split(separator: "\n").filter { option.isEmpty ? !$0.contains("'-") && $0.contains(":_files") : $0.contains("'\(option)[") }
            let action = directory ? ":_files -/'" : ":_files'"
            #expect(!specs.isEmpty && specs.allSatisfy { $0.hasSuffix(action) }, "zsh \(command) \(option): \(specs)")
        }
        let edit = try #require(Self.zshFunction(script, ["edit"]))
        #expect(edit.contains("---completion edit"), "edit's names come from the stock directory")
    }

    @Test func testFishCompletesFiles() throws {
        let script = try Self.script("fish")
        for (command, option, directory) in Self.fileArguments where !option.isEmpty {
            let name = String(option.dropFirst(2))
            let lines = script.split(separator: "\n").filter { $0.contains("\"stream-config \(command.joined(separator: " "))\" \(name)'") && $0.contains("-l '\(name)'") }
            let kind = directory ? "-rfa '(__stream-config_complete_directories)'" : "-rF"
            #expect(lines.count == 1 && lines.allSatisfy { $0.hasSuffix(kind) }, "fish \(command) \(option): \(lines)")
        }
        #expect(script.contains("---completion edit -- positional@0"), "edit's names come from the stock directory")
    }

    /// bash, for real: the completion function of the generated script, with COMP_WORDS set as
    /// bash sets them, in a directory with one file and one directory.
    @Test func testBashCompletesFilesAndStockNames() throws {
        let dir = try TempDir()
        let scriptPath = try dir.file("completion.bash", try Self.script("bash"))
        _ = try dir.file("work/probe-file.conf", "")
        try FileManager.default.createDirectory(atPath: dir.path("work/probe-dir"), withIntermediateDirectories: true)
        _ = try dir.file("stock/stream.conf", "")
        _ = try dir.file("stock/health.d/cpu.conf", "")
        try FileManager.default.createDirectory(atPath: dir.path("bin"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path("bin/stream-config"), withDestinationPath: CLI.binary)

        func complete(_ words: [String]) throws -> [String] {
            let line = (["stream-config"] + words).joined(separator: " ")
            let array = (["stream-config"] + words).map { "'\($0)'" }.joined(separator: " ")
            let program = """
                source '\(scriptPath)'
                cd '\(dir.path("work"))'
                COMP_WORDS=(\(array)); COMP_CWORD=\(words.count); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
                function=$(complete -p stream-config | sed 's/.*-F \\([^ ]*\\) .*/\\1/')
                "$function" stream-config '\(words.last ?? "")' '\(words.dropLast().last ?? "stream-config")'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = dir.path("bin") + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            environment["NETDATA_STOCK_CONFIG_DIR"] = dir.path("stock")
            let result = try Spawn.run("/bin/bash", ["-c", program], environment: environment.map { "\($0.key)=\($0.value)" }, timeout: .seconds(60))
            return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        }

        for (command, option, directory) in Self.fileArguments {
            let before = command + (option.isEmpty ? [] : [option])
            let offered = try complete(before + ["probe"])
            let expected = directory ? ["probe-dir"] : ["probe-file.conf"]
            // Files only for a file (bash adds directories to descend into), directories only for a directory.
            #expect(expected.allSatisfy(offered.contains) && (!directory || !offered.contains("probe-file.conf")),
                    "bash: stream-config \(before.joined(separator: " ")) probe<TAB> offers \(offered)")
        }
        #expect(try complete(["edit", ""]).sorted() == ["health.d/cpu.conf", "stream.conf"])
        #expect(try complete(["edit", "st"]) == ["stream.conf"])
        #expect(try complete(["edit", "--file", "hea"]) == ["health.d/cpu.conf"])
        #expect(try complete(["li"]) == ["lint"])
    }
}
