import Foundation
import Testing
import TestSupport

/// stream-config(1) documents every option of every command: each option `--help` lists for a
/// command (the commands found in the binary's own tree, `--experimental-dump-help`) is named in
/// that command's entry of COMMANDS, in the options every command takes (the start of COMMANDS),
/// or, for a command whose entry names `rewrite-options`, in that list. So the page and the
/// binary cannot drift: a new option fails here until the page describes it.
@Suite struct ManPageHelpTests {
    static let page = CLI.packageRoot.appendingPathComponent("man/stream-config.1")

    /// Every command path of the binary that runs something (leaves of the tree), e.g. ["parent", "add-key"].
    static func leafCommands() throws -> [[String]] {
        let result = try CLI.run(["--experimental-dump-help"])
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let root = json["command"] as? [String: Any] else {
            throw TestError(description: "--experimental-dump-help: \(result.status) \(result.stderr)")
        }
        func walk(_ command: [String: Any], _ path: [String]) -> [[String]] {
            let subcommands = (command["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            if subcommands.isEmpty { return [path] }
            return subcommands.flatMap { walk($0, path + [$0["commandName"] as? String ?? "?"]) }
        }
        return walk(root, [])
    }

    /// The option names `--help` lists (`--file`, `-q`, `--quiet`), without --help itself.
    static func helpOptions(_ text: String) -> [String] {
        var names: [String] = []
        var inOptions = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix(":") && !line.hasPrefix(" ") { inOptions = line == "OPTIONS:"; continue }
            guard inOptions, let match = line.prefixMatch(of: /\ \ ((?:-[A-Za-z0-9], )?--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z0-9])(?=[ ,<]|$)/) else { continue }
            names += match.1.split(separator: ", ").map(String.init)
        }
        return names.filter { !["-h", "--help", "--version"].contains($0) }
    }

    /// The mdoc text where the options of `command` may be documented.
    static func manText(for command: [String], in page: String, topLevel: Set<String>) -> String? {
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let commands = lines.firstIndex(of: ".Sh COMMANDS"),
              let listStart = lines[commands...].firstIndex(where: { $0 == "The commands:" }) else { return nil }
        let common = lines[commands..<listStart].joined(separator: "\n")
        let header = ".It Cm " + command.joined(separator: " ")
        guard let start = lines.indices.first(where: { $0 > listStart && (lines[$0] == header || lines[$0].hasPrefix(header + " ")) }) else { return nil }
        let end = lines.indices.first { index in
            guard index > start else { return false }
            if lines[index].hasPrefix(".Sh ") { return true }
            guard lines[index].hasPrefix(".It Cm ") else { return false }
            return topLevel.contains(String(lines[index].dropFirst(".It Cm ".count).split(separator: " ").first ?? ""))
        } ?? lines.count
        var text = common + "\n" + lines[start..<end].joined(separator: "\n")
        if text.contains("Ar rewrite-options"), let list = lines.firstIndex(of: ".Ar rewrite-options"),
           let close = lines[list...].firstIndex(of: ".El") {
            text += "\n" + lines[list...close].joined(separator: "\n")
        }
        return text
    }

    /// `--name` as mdoc writes it (`Fl -name`), `-q` as `Fl q`.
    static func documents(_ option: String, in text: String) -> Bool {
        let mdoc = "Fl " + String(option.dropFirst())
        var search = text[...]
        while let range = search.range(of: mdoc) {
            let next = search[range.upperBound...].first
            if next == nil || !(next!.isLetter || next!.isNumber || next == "-") { return true }
            search = search[range.upperBound...]
        }
        return false
    }

    @Test func testEveryOptionOfEveryCommandIsInItsManPageEntry() throws {
        let commands = try Self.leafCommands()
        let topLevel = Set(commands.map { $0[0] })
        #expect(commands.count >= 19, "\(commands)")
        let page = try String(contentsOf: Self.page, encoding: .utf8)
        var checked = 0
        for command in commands {
            let help = try CLI.run(command + ["--help"])
            #expect(help.status == 0, "\(command) --help: \(help.stderr)")
            let options = Self.helpOptions(help.stdout)
            #expect(!options.isEmpty, "\(command): no options found in --help")
            guard let text = Self.manText(for: command, in: page, topLevel: topLevel) else {
                Issue.record("stream-config(1) has no entry `.It Cm \(command.joined(separator: " "))` in COMMANDS")
                continue
            }
            let missing = options.filter { !Self.documents($0, in: text) }
            #expect(missing.isEmpty, "stream-config(1), `\(command.joined(separator: " "))`: \(missing) are in --help but not in its entry")
            checked += options.count
        }
        #expect(checked > 100, "only \(checked) options checked")
    }

    /// Every command takes -q/--quiet (one option group, QuietOption).
    @Test func testEveryCommandTakesQuiet() throws {
        for command in try Self.leafCommands() {
            let options = Self.helpOptions(try CLI.run(command + ["--help"]).stdout)
            #expect(options.contains("-q") && options.contains("--quiet"), "\(command): \(options)")
        }
    }

    /// The check finds what it is for: an option named nowhere in the entry, a longer option
    /// that only starts like it, and an entry that is not there.
    @Test func testTheCheckFindsDrift() throws {
        let topLevel: Set<String> = ["tls", "lint"]
        let page = """
        .Sh COMMANDS
        Every command takes
        .Fl q , Fl -quiet .
        The commands:
        .Bl -tag -width Ds
        .It Cm tls init
        .Fl -dir Ar dir
        and
        .Fl -days-left
        .It Cm tls show Ar file
        .Fl -key Ar file
        .El
        .Sh ENVIRONMENT
        """
        let initText = try #require(Self.manText(for: ["tls", "init"], in: page, topLevel: topLevel))
        #expect(Self.documents("--dir", in: initText) && Self.documents("-q", in: initText) && Self.documents("--quiet", in: initText))
        #expect(!Self.documents("--days", in: initText), "--days-left is not --days")
        #expect(!Self.documents("--key", in: initText), "tls show's option is not in tls init's entry")
        #expect(Self.manText(for: ["lint"], in: page, topLevel: topLevel) == nil)
        let help = "USAGE: x\n\nOPTIONS:\n  --dir <dir>             Directory.\n  -q, --quiet             Quiet.\n  -h, --help              Help.\n"
        #expect(Self.helpOptions(help) == ["--dir", "-q", "--quiet"])
    }
}
