import Foundation

/// The commands README.md and the man pages show, as blocks a test runs (DocExamplesInteropTests)
/// so that no example can rot.
///
/// Which blocks hold commands:
/// - Markdown: a fenced block with the info string `sh` is a script, run as a whole; a `console`
///   block is sample output, and each of its `$ ` lines is a command. Other blocks (ini, yaml,
///   plain) hold no commands.
/// - mdoc: a `.Bd -literal` block whose lines start with `$ ` is console; one with a line that
///   starts a command (`stream-config`, `sudo`, `key=`, `printf`) is a script; others (ini, yaml)
///   hold no commands.
///
/// A comment just before the block says how to run it:
/// `<!-- doc-test: host=parent stdin=key exit=0,1 -->` (Markdown) or `.\" doc-test: ...` (mdoc).
/// `skip: REASON` marks a block that is not run (building, installing packages, a service that
/// runs until stopped), with the reason; `host=NAME` runs it on that host of the test (default
/// `local`, or `man` for the man pages); `stdin=key` gives it the last key an earlier block
/// printed on its standard input (what a reader pastes); `exit=N,...` lists exit statuses a
/// command of the block may have besides 0 (with the reason in the comment).
public struct DocBlock: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case script
        case console
        case skipped(reason: String)
        /// Not commands but the input of the commands after it: written to this file of the host's working directory.
        case file(path: String)
    }

    public var document: String
    /// 1-based line of the opening fence (or `.Bd`).
    public var line: Int
    public var kind: Kind
    /// The block's lines as a reader copies them (mdoc escapes undone); for console, the commands only.
    public var text: String
    public var host: String
    public var stdinKey = false
    public var allowedExits: Set<Int32> = [0]

    public var description: String { "\(document):\(line)" }

    /// The command lines (continuations joined, comments and blank lines left out).
    public var commands: [String] {
        var out: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("#")) { continue }
            if trimmed.hasSuffix("\\") {
                current += String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces) + " "
                continue
            }
            current += trimmed
            out.append(current)
            current = ""
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}

public enum DocExamples {
    /// The annotation of the line before a block: (key, value) words, or a skip reason.
    struct Annotation {
        var skip: String?
        var host: String?
        var stdinKey = false
        var exits: Set<Int32> = []
        var file: String?

        init?(_ line: String) {
            let body: Substring
            if let start = line.range(of: "<!-- doc-test:"), let end = line.range(of: "-->") {
                body = line[start.upperBound..<end.lowerBound]
            } else if let start = line.range(of: ".\\\" doc-test:") {
                body = line[start.upperBound...]
            } else {
                return nil
            }
            let text = body.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("skip:") {
                skip = text.dropFirst("skip:".count).trimmingCharacters(in: .whitespaces)
                return
            }
            for word in text.split(separator: " ") {
                let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "host": host = parts[1]
                case "stdin": stdinKey = parts[1] == "key"
                case "exit": exits = Set(parts[1].split(separator: ",").compactMap { Int32($0) })
                case "file": file = parts[1]
                default: break
                }
            }
        }
    }

    public static func markdown(_ text: String, document: String, defaultHost: String = "local") -> [DocBlock] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [DocBlock] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```") else { index += 1; continue }
            let info = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
            var end = index + 1
            while end < lines.count && !lines[end].hasPrefix("```") { end += 1 }
            let body = Array(lines[(index + 1)..<min(end, lines.count)])
            let annotation = index > 0 ? Annotation(lines[index - 1]) : nil
            if info == "sh" || info == "console" {
                var block = DocBlock(document: document, line: index + 1, kind: info == "sh" ? .script : .console,
                                     text: info == "sh" ? body.joined(separator: "\n") : consoleCommands(body),
                                     host: annotation?.host ?? defaultHost)
                apply(annotation, to: &block)
                blocks.append(block)
            } else if let path = annotation?.file {
                blocks.append(DocBlock(document: document, line: index + 1, kind: .file(path: path),
                                       text: body.joined(separator: "\n") + "\n", host: annotation?.host ?? defaultHost))
            }
            index = end + 1
        }
        return blocks
    }

    public static func mdoc(_ text: String, document: String, defaultHost: String = "man") -> [DocBlock] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [DocBlock] = []
        var index = 0
        while index < lines.count {
            guard lines[index].hasPrefix(".Bd -literal") else { index += 1; continue }
            var end = index + 1
            while end < lines.count && lines[end] != ".Ed" { end += 1 }
            let body = lines[(index + 1)..<min(end, lines.count)].map { $0.replacingOccurrences(of: "\\e", with: "\\") }
            let annotation = index > 0 ? Annotation(lines[index - 1]) : nil
            let commandStarts = ["stream-config ", "sudo ", "key=", "printf "]
            let kind: DocBlock.Kind?
            if body.contains(where: { $0.hasPrefix("$ ") }) {
                kind = .console
            } else if body.contains(where: { line in commandStarts.contains { line.hasPrefix($0) } }) {
                kind = .script
            } else {
                kind = nil
            }
            if let kind {
                var block = DocBlock(document: document, line: index + 1, kind: kind,
                                     text: kind == .console ? consoleCommands(body) : body.joined(separator: "\n"),
                                     host: annotation?.host ?? defaultHost)
                apply(annotation, to: &block)
                blocks.append(block)
            }
            index = end + 1
        }
        return blocks
    }

    /// The `$ ` lines of a console block (with their `\` continuations), without the prompt.
    static func consoleCommands(_ body: [String]) -> String {
        var out: [String] = []
        var continuing = false
        for line in body {
            if line.hasPrefix("$ ") {
                out.append(String(line.dropFirst(2)))
                continuing = line.hasSuffix("\\")
            } else if continuing {
                out.append(line)
                continuing = line.hasSuffix("\\")
            }
        }
        return out.joined(separator: "\n")
    }

    static func apply(_ annotation: Annotation?, to block: inout DocBlock) {
        guard let annotation else { return }
        if let reason = annotation.skip { block.kind = .skipped(reason: reason) }
        block.stdinKey = annotation.stdinKey
        block.allowedExits.formUnion(annotation.exits)
    }
}

/// Runs doc blocks in bash, each host a directory of its own standing for `/`: the paths the
/// examples name (`/etc/netdata`, `/var/lib/netdata`, `/var/log/netdata`, `/root`) are replaced
/// by the host's directories, `stream-config` is the binary under test, `sudo` runs the command
/// as the test's user, `systemctl` only records the restart for the test to carry out on its own
/// Netdata (the system service is never touched), and `scp HOST:PATH DEST` copies from the
/// directory of the host whose example address or name is HOST.
public struct DocRunner: Sendable {
    public struct Host: Sendable {
        public var root: String
        /// Where `/etc/netdata` and `/var/log/netdata` are for this host.
        public var etc: String
        public var log: String
        public init(root: String, etc: String? = nil, log: String? = nil) {
            self.root = root
            self.etc = etc ?? "\(root)/etc/netdata"
            self.log = log ?? "\(root)/var/log/netdata"
        }
    }

    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// `STATUS\tCOMMAND` of every command that exited with a status other than 0.
        public var failures: [(status: Int32, command: String)]
        /// The shell reached the end of the block (not stopped by an unset variable or a syntax error).
        public var finished: Bool
        /// Hosts whose Netdata the block restarted (`systemctl restart netdata`).
        public var restarts: [String]
    }

    public var directory: String
    public var binary: String
    public var hosts: [String: Host]
    /// Text replaced in every block before it runs (example address → a test parent's).
    public var substitutions: [(String, String)]
    /// Example host names or addresses of `scp HOST:PATH` → test host.
    public var scpHosts: [String: String]
    public var stockDirectory: String

    public init(directory: String, binary: String, hosts: [String: Host], substitutions: [(String, String)] = [],
                scpHosts: [String: String] = [:], stockDirectory: String = "/usr/lib/netdata/conf.d") {
        (self.directory, self.binary, self.hosts, self.substitutions) = (directory, binary, hosts, substitutions)
        (self.scpHosts, self.stockDirectory) = (scpHosts, stockDirectory)
    }

    /// The block's text as run on `host`: example addresses replaced, system paths moved.
    public func rewrite(_ text: String, on host: Host) -> String {
        var text = text
        for (from, to) in substitutions { text = text.replacingOccurrences(of: from, with: to) }
        text = text.replacingOccurrences(of: "/etc/netdata", with: host.etc)
        text = text.replacingOccurrences(of: "/var/log/netdata", with: host.log)
        text = text.replacingOccurrences(of: "/var/lib/netdata", with: "\(host.root)/var/lib/netdata")
        text = text.replacingOccurrences(of: "/root/", with: "\(host.root)/root/")
        return text
    }

    /// The functions and settings every block runs with.
    func prelude(hostName: String, host: Host) -> String {
        let scpCases = scpHosts.map { name, target in
            let other = hosts[target] ?? host
            return "        \(name)|*@\(name)) from=\(quoted(other.etc)) ;;"
        }.sorted().joined(separator: "\n")
        return """
        set -u -o pipefail
        # Every command that fails is recorded; one run by `sudo` as the `sudo ...` line (the
        # trap would only see the function's "$@").
        trap 'rc=$?; case "$BASH_COMMAND" in "\\"\\$@\\""|"return "*) ;; *) printf "@@FAILED %s\\t%s\\n" "$rc" "$BASH_COMMAND" >>"$DOC_TEST_FAILURES" ;; esac' ERR
        sudo() { "$@" || { local rc=$?; printf '@@FAILED %s\\tsudo %s\\n' "$rc" "$*" >>"$DOC_TEST_FAILURES"; return $rc; }; }
        systemctl() {
            if [ "$1" = restart ] && [ "$2" = netdata ]; then echo \(quoted(hostName)) >>"$DOC_TEST_RESTARTS"; return 0; fi
            echo "doc test: systemctl $* is not run" >&2; return 0
        }
        scp() {
            local source=$1 dest=$2 remote=${1%%:*} path=${1#*:} from=""
            case "$remote" in
        \(scpCases)
                *) echo "doc test: scp from unknown host $remote" >&2; return 1 ;;
            esac
            cp "$from${path#\(host.etc)}" "$dest"
        }
        cd \(quoted(host.root))

        """
    }

    func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs one block; `key` is exported as `$key` and, with `stdin=key`, written to its input.
    public func run(_ block: DocBlock, key: String?, editor: String = "true", timeout: Duration = .seconds(120)) throws -> Outcome {
        guard let host = hosts[block.host] else { throw Spawn.Failure(description: "\(block): no test host \(block.host)") }
        if case .file(let path) = block.kind {
            try block.text.write(toFile: "\(host.root)/\(path)", atomically: true, encoding: .utf8)
            return Outcome(status: 0, stdout: "", stderr: "", failures: [], finished: true, restarts: [])
        }
        let failures = "\(directory)/failures", restarts = "\(directory)/restarts"
        for file in [failures, restarts] { _ = FileManager.default.createFile(atPath: file, contents: Data()) }
        let body = rewrite(block.text, on: host)
        let script = prelude(hostName: block.host, host: host) + body + "\necho @@END >>\"$DOC_TEST_FAILURES\"\n"
        let scriptPath = "\(directory)/block-\(block.line).sh"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let bin = "\(directory)/bin"
        try? FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: "\(bin)/stream-config") {
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/stream-config", withDestinationPath: binary)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "\(bin):" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["NETDATA_USER_CONFIG_DIR"] = host.etc
        environment["NETDATA_STOCK_CONFIG_DIR"] = stockDirectory
        environment["EDITOR"] = editor
        environment["VISUAL"] = ""
        environment["NO_COLOR"] = "1"
        environment["DOC_TEST_FAILURES"] = failures
        environment["DOC_TEST_RESTARTS"] = restarts
        environment["STREAM_CONFIG_API_KEY"] = nil
        if let key { environment["key"] = key } else { environment["key"] = nil }
        let input = block.stdinKey ? Array(((key ?? "") + "\n").utf8) : nil
        let result = try Spawn.run("/bin/bash", [scriptPath], environment: environment.map { "\($0.key)=\($0.value)" },
                                   stdin: input, timeout: timeout)
        let recorded = (try? String(contentsOfFile: failures, encoding: .utf8)) ?? ""
        var failed: [(Int32, String)] = []
        for line in recorded.split(separator: "\n") where line.hasPrefix("@@FAILED ") {
            let rest = line.dropFirst("@@FAILED ".count)
            let parts = rest.split(separator: "\t", maxSplits: 1)
            failed.append((Int32(parts[0]) ?? -1, parts.count > 1 ? String(parts[1]) : ""))
        }
        let restarted = ((try? String(contentsOfFile: restarts, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        return Outcome(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
                       stderr: String(decoding: result.stderr, as: UTF8.self),
                       failures: failed.map { (status: $0.0, command: $0.1) }, finished: recorded.contains("@@END"), restarts: restarted)
    }

    /// The last API key (a lowercase UUID on a line of its own) in `text`.
    public static func lastKey(in text: String) -> String? {
        text.split(separator: "\n").reversed().first { $0.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil }.map(String.init)
    }
}
