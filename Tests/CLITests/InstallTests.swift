import Foundation
import TestSupport
import Testing

/// `make install` into a temporary prefix: every file lands, the man pages render, each
/// completion script loads in its shell, systemd accepts the unit; `make uninstall` removes all.
@Suite(.serialized) struct InstallTests {
    static let required = ProcessInfo.processInfo.environment["STREAM_CONFIG_REQUIRE_INTEROP"] == "1"

    func sh(_ command: String, in directory: URL = CLI.packageRoot) throws -> CLI.Result {
        // The directory is the script's first argument: never parsed by the shell.
        let result = try Spawn.run("/bin/bash", ["-c", "cd \"$0\" && \(command)", directory.path], timeout: .seconds(600))
        return CLI.Result(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self), stderr: String(decoding: result.stderr, as: UTF8.self))
    }

    func has(_ tool: String) -> Bool { (try? sh("command -v \(tool)").status) == 0 }

    @Test func testMakeInstallPlacesEveryFileAndUninstallRemovesThem() throws {
        let dir = try TempDir()
        let prefix = dir.path("usr")
        let install = try sh("make install PREFIX=\(prefix) STREAM_CONFIG_BIN=\(CLI.binary)")
        #expect(install.status == 0, "\(install.stderr)")
        let files = [
            "bin/stream-config", "share/man/man1/stream-config.1", "share/man/man5/stream.conf.5",
            "share/bash-completion/completions/stream-config", "share/zsh/site-functions/_stream-config",
            "share/fish/vendor_completions.d/stream-config.fish", "lib/systemd/system/stream-config-relay.service",
            "share/stream-config/edit-config",
        ]
        for file in files { #expect(FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), "missing \(file)") }
        #expect(try sh("\(prefix)/bin/stream-config --version").status == 0)

        if has("man") || Self.required {
            for page in ["man1/stream-config.1", "man5/stream.conf.5"] {
                let man = try sh("MANWIDTH=100 man -l \(prefix)/share/man/\(page) | head -5")
                #expect(man.status == 0 && man.stdout.contains("NAME"), "man -l \(page): \(man.stderr)")
            }
        }

        let bash = try sh("source \(prefix)/share/bash-completion/completions/stream-config && complete -p stream-config")
        #expect(bash.status == 0 && bash.stdout.contains("stream-config"), "bash: \(bash.stderr)")
        if has("zsh") || Self.required {
            let zsh = try sh("zsh -f -c 'autoload -U compinit && compinit -u -D && fpath=(\(prefix)/share/zsh/site-functions $fpath) && autoload -U _stream-config && whence -w _stream-config'")
            #expect(zsh.status == 0 && zsh.stdout.contains("function"), "zsh: \(zsh.stdout) \(zsh.stderr)")
        }
        if has("fish") || Self.required {
            let fish = try sh("fish --no-config -c 'source \(prefix)/share/fish/vendor_completions.d/stream-config.fish; complete -C \"stream-config li\"'")
            #expect(fish.status == 0 && fish.stdout.contains("lint"), "fish: \(fish.stdout) \(fish.stderr)")
        }
        if has("systemd-analyze") || Self.required {
            let unit = "\(prefix)/lib/systemd/system/stream-config-relay.service"
            let text = try String(contentsOfFile: unit, encoding: .utf8)
            #expect(text.contains("ExecStart=\(prefix)/bin/stream-config relay"))
            // verify also runs `man` for Documentation=: look in the prefix too.
            let verify = try sh("MANPATH=\(prefix)/share/man: systemd-analyze verify \(unit)")
            #expect(verify.status == 0, "systemd-analyze: \(verify.stdout) \(verify.stderr)")
        }

        let uninstall = try sh("make uninstall PREFIX=\(prefix)")
        #expect(uninstall.status == 0)
        for file in files { #expect(!FileManager.default.fileExists(atPath: "\(prefix)/\(file)"), "left \(file)") }
    }

    @Test func testDestdirStagesUnderTheDestdirWithTheFinalPathsInside() throws {
        let dir = try TempDir()
        let stage = dir.path("stage")
        let install = try sh("make install DESTDIR=\(stage) PREFIX=/usr STREAM_CONFIG_BIN=\(CLI.binary)")
        #expect(install.status == 0, "\(install.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(stage)/usr/bin/stream-config"))
        let unit = try String(contentsOfFile: "\(stage)/usr/lib/systemd/system/stream-config-relay.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/stream-config relay"))
    }
}
