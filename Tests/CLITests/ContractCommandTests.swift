import Foundation
import TestSupport
import Testing

/// Issue 17, items 4-8 (part): placeholders and Netdata's documentation key, section
/// did-you-mean, CA files that are no certificate, switching a child's TLS mode in place, and
/// one severity word in every format.
@Suite struct ContractCommandTests {
    static let documentationKey = "11111111-2222-3333-4444-555555555555"
    /// Not the documentation key: tests about something else use this one.
    static let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"
    static let goldens = CLI.packageRoot.appendingPathComponent("fixtures/rewrites")

    // MARK: item 4: placeholders and the documentation key

    @Test func testAddKeyAndChildSetRefuseExampleKeys() throws {
        let dir = try TempDir()
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n")
        for key in [Self.documentationKey, "YOUR_API_KEY", "API_KEY", "<API_KEY>", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"] {
            let add = try CLI.run(["parent", "add-key", "--file", file, "--key", key])
            #expect(add.status == 64, "\(key): \(add)")
            let child = try CLI.run(["child", "set", "--file", file, "--destination", "10.0.0.1:19999", "--api-key", key])
            #expect(child.status == 64, "\(key): \(child)")
            let why = key == Self.documentationKey ? "printed in Netdata's documentation" : "is a placeholder from an example"
            #expect(add.stderr.contains(why) && child.stderr.contains(why), "\(key): \(add.stderr)\(child.stderr)")
            #expect(!add.stderr.contains(Self.documentationKey) && !child.stderr.contains(Self.documentationKey), "UUIDs are masked in messages")
        }
        #expect(try text(file) == "[stream]\n    enabled = no\n", "nothing written")
        // A key of one's own passes.
        #expect(try CLI.run(["parent", "add-key", "--file", file, "--key", Self.key]).status == 0)
        // A documentation-key section already there can be disabled and removed.
        let old = try dir.file("old.conf", "[\(Self.documentationKey)]\n    type = api\n    enabled = yes\n")
        #expect(try CLI.run(["parent", "disable-key", "--file", old, Self.documentationKey]).status == 0)
        #expect(try CLI.run(["parent", "remove-key", "--file", old, Self.documentationKey]).status == 0)
        let left = try text(old)
        #expect(left.isEmpty, "\(left)")
    }

    @Test func testLintFlagsTheDocumentationKeyAcceptedFromEveryAddress() throws {
        let dir = try TempDir()
        let open = try dir.file("open.conf", "[\(Self.documentationKey)]\n    type = api\n    enabled = yes\n")
        let result = try CLI.run(["lint", "--format", "gcc", open])
        #expect(result.status == 1 && result.stdout.contains("error: [SC311]"), "\(result)")
        #expect(result.stdout.contains("no `allow from`, so `*`"), "\(result.stdout)")
        let narrow = try dir.file("narrow.conf", "[\(Self.documentationKey)]\n    type = api\n    enabled = yes\n    allow from = 10.1.*\n")
        let warned = try CLI.run(["lint", "--format", "gcc", narrow])
        #expect(warned.status == 0 && warned.stdout.contains("warning: [SC310]") && !warned.stdout.contains("SC311"), "\(warned)")
        #expect(try CLI.run(["lint", "--strict", narrow]).status == 1)
        let child = try dir.file("child.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = YOUR_API_KEY\n")
        let placeholder = try CLI.run(["lint", "--format", "gcc", "--target", "2", child])
        #expect(placeholder.status == 1 && placeholder.stdout.contains("error: [SC305] `YOUR_API_KEY` is a placeholder"), "\(placeholder)")
    }

    /// Netdata 2.x takes any word as a key: one that merely looks like a placeholder
    /// (`PROD-KEY-7F3A9C2E51`) is no finding and is masked in every format, and a word flagged as
    /// a placeholder that is not one examples print (`PROD-KEY`) is masked in the finding and in
    /// `child set`'s refusal.
    @Test func testKeysThatLookLikePlaceholdersAreNeverPrintedInFull() throws {
        let dir = try TempDir()
        let real = "PROD-KEY-7F3A9C2E51"
        let file = try dir.file("stream.conf", "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(real)\n\n[\(real)]\n    type = api\n    enabled = yes\n    allow from = 10.*\n")
        for format in ["human", "gcc", "json", "sarif"] {
            let lint = try CLI.run(["lint", "--format", format, "--target", "2", file])
            #expect(!lint.stdout.contains(real) && !lint.stderr.contains(real), "\(format): \(lint)")
            // SARIF lists every rule it may report; its results name theirs as `ruleId`.
            let reported = format == "sarif" ? #""ruleId" : "SC305""# : "SC305"
            #expect(!lint.stdout.contains(reported), "\(format): a real key is no placeholder: \(lint.stdout)")
        }
        let word = "PROD-KEY"
        let flagged = try dir.file("word.conf", "[\(word)]\n    type = api\n    enabled = yes\n    allow from = 10.*\n")
        let lint = try CLI.run(["lint", "--format", "gcc", "--target", "2", flagged])
        #expect(lint.stdout.contains("[SC305]") && !lint.stdout.contains(word), "\(lint)")
        let child = try CLI.run(["child", "set", "--file", file, "--destination", "10.0.0.1:19999", "--api-key", word])
        #expect(child.status == 64 && child.stderr.contains("placeholder") && !child.stderr.contains(word), "\(child)")
    }

    // MARK: item 5: section did-you-mean, never masked

    @Test func testMisspeltStreamSectionGetsDidYouMeanUnmasked() throws {
        let dir = try TempDir()
        let nearKey = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4"  // one digit short: looks like a key
        let file = try dir.file("stream.conf", "[steam]\n    enabled = yes\n[\(nearKey)]\n    type = api\n    enabled = yes\n")
        let lint = try CLI.run(["lint", "--format", "gcc", "--target", "2", file])
        #expect(lint.stdout.contains("\(file):1:1: error: [SC302] [steam] is not [stream] (did you mean [stream]?)"), "\(lint.stdout)")
        #expect(!lint.stdout.contains(nearKey) && lint.stdout.contains("[0a1b2c3d…]"), "a key-like name is masked: \(lint.stdout)")
        for format in ["human", "json", "sarif"] {
            let out = try CLI.run(["lint", "--format", format, "--target", "2", file]).stdout
            #expect(out.contains("did you mean [stream]?") && !out.contains(nearKey), "\(format): \(out)")
        }
        // get/set/unset on a misspelt [stream] that is not in the file.
        let empty = try dir.file("empty.conf", "[stream]\n    enabled = no\n")
        for arguments in [["set", "--file", empty, "Steam", "enabled", "yes"], ["get", "--file", empty, "steam", "enabled"],
                          ["get", "--file", empty, "straem"], ["unset", "--file", empty, "steam", "enabled"]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 64 && result.stderr.contains("did you mean [stream]?"), "\(arguments): \(result)")
        }
        #expect(try text(empty) == "[stream]\n    enabled = no\n")
        // One that is in the file can be read and cleaned up.
        #expect(try CLI.run(["get", "--file", file, "steam", "enabled"]).stdout == "yes\n")
    }

    // MARK: item 6: CA files

    /// A PEM certificate made by `tls init`, and the matching key (no certificate).
    func certificate(_ dir: TempDir) throws -> (cert: String, key: String) {
        let made = try CLI.run(["tls", "init", "--dir", dir.path("ssl"), "--name", "parent.example", "--days", "2"])
        #expect(made.status == 0, "\(made)")
        return (dir.path("ssl/stream.crt"), dir.path("ssl/stream.key"))
    }

    @Test func testChildSetRefusesCAFilesThatAreNoCertificate() throws {
        let dir = try TempDir()
        let (cert, key) = try certificate(dir)
        let der = try dir.file("parent.der", "")
        let pem = try String(contentsOfFile: cert, encoding: .utf8)
        let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        try Data(base64Encoded: base64)!.write(to: URL(fileURLWithPath: der))
        let file = try dir.file("stream.conf", "[stream]\n    enabled = no\n")
        func childSet(_ tls: [String], force: Bool = false) throws -> CLI.Result {
            try CLI.run(["child", "set", "--file", file, "--destination", "parent.example:19999", "--ssl", "--api-key", Self.key] + tls + (force ? ["--force"] : []))
        }
        let cases: [([String], Int32, String)] = [
            (["--ca-file", dir.path("missing.crt")], 66, "does not exist"),
            (["--ca-file", key], 64, "is not a PEM certificate file (no CERTIFICATE in this PEM file"),
            (["--ca-file", der], 64, "is a DER certificate"),
            (["--ca-file", dir.path("ssl")], 64, "is a directory"),
            (["--ca-path", cert], 64, "is not a directory"),
            (["--ca-path", dir.path("nowhere")], 66, "does not exist"),
        ]
        for (tls, status, message) in cases {
            let result = try childSet(tls)
            #expect(result.status == status && result.stderr.contains(message) && result.stderr.contains("--force"), "\(tls): \(result)")
        }
        #expect(try text(file) == "[stream]\n    enabled = no\n", "nothing written")
        // A relative path is written as the absolute path it names from here (Netdata's working directory is not ours).
        let cwd = FileManager.default.currentDirectoryPath
        let relative = String(repeating: "../", count: cwd.split(separator: "/").count) + String(cert.dropFirst())
        let resolved = try childSet(["--ca-file", relative])
        #expect(resolved.status == 0 && resolved.stderr.contains("is written as \(cert)"), "\(resolved)")
        #expect(try text(file).contains("    CAfile = \(cert)\n"))
        #expect(try childSet(["--ca-file", cert]).status == 0)
        #expect(try childSet(["--ca-path", dir.path("ssl")]).status == 0)
        // --force writes a path that will only exist when Netdata starts; lint then warns (SC420).
        let forced = try childSet(["--ca-file", "/etc/netdata/ssl/later.crt"], force: true)
        let forcedText = try text(file)
        #expect(forced.status == 0 && forcedText.contains("CAfile = /etc/netdata/ssl/later.crt\n"), "\(forced)")
        let lint = try CLI.run(["lint", "--format", "gcc", file])
        #expect(lint.status == 0 && lint.stdout.contains("warning: [SC420] `CAfile = /etc/netdata/ssl/later.crt` does not exist on this host"), "\(lint)")
        #expect(lint.stdout.contains("if the file lives on the Netdata host, check it there"), "\(lint.stdout)")
        #expect(try CLI.run(["lint", "--strict", file]).status == 1, "a warning: exit 1 only with --strict")
        // Skipping verification with a CA file is a contradiction.
        let both = try CLI.run(["child", "set", "--file", file, "--destination", "p:19999", "--ssl", "--api-key", Self.key,
                                "--skip-certificate-verification", "--ca-file", cert])
        #expect(both.status == 64 && both.stderr.contains("one or the other"), "\(both)")
    }

    @Test func testLintChecksCAFileAndCAPathWhereReadable() throws {
        let dir = try TempDir()
        let (cert, key) = try certificate(dir)
        func lint(_ caFile: String, _ caPath: String? = nil) throws -> CLI.Result {
            let text = "[stream]\n    enabled = yes\n    destination = parent.example:19999:SSL\n    api key = \(Self.key)\n    CAfile = \(caFile)\n"
                + (caPath.map { "    CApath = \($0)\n" } ?? "")
            return try CLI.run(["lint", "--format", "gcc", "--target", "2", try dir.file("stream.conf", text)])
        }
        #expect(try lint(cert, dir.path("ssl")).stdout.isEmpty)
        let keyFile = try lint(key)
        #expect(keyFile.stdout.contains("[SC420] `CAfile = \(key)` is not a PEM certificate file"), "\(keyFile)")
        let notDirectory = try lint(cert, cert)
        #expect(notDirectory.stdout.contains("[SC420] `CApath = \(cert)` is not a directory") && notDirectory.status == 0, "\(notDirectory)")
        let json = try CLI.run(["lint", "--format", "json", "--target", "2", dir.path("stream.conf")])
        #expect(json.stdout.contains("\"code\" : \"SC420\"") && json.stdout.contains("\"severity\" : \"warning\""), "\(json.stdout)")
        #expect(try lint("relative/ca.pem").stdout.isEmpty, "a relative path is not checked: Netdata's working directory is not ours")
    }

    // MARK: item 7: switching TLS modes on the real stock file

    /// stock 1.37.1 -> `--skip-certificate-verification` -> `--ca-file` -> `--skip...` again, each
    /// result compared byte for byte with fixtures/rewrites (CA_FILE stands for the temporary
    /// certificate's path); no line is added or removed, and the verifying result is the same
    /// bytes as `--ca-file` on the stock file straight away.
    @Test func testSwitchingTLSModesOnTheStockFileMatchesTheGoldens() throws {
        let dir = try TempDir()
        let (cert, _) = try certificate(dir)
        let stock = try Data(contentsOf: StockFiles.v1)
        let file = dir.path("stream.conf")
        try stock.write(to: URL(fileURLWithPath: file))
        func childSet(_ tls: [String], _ path: String = file) throws {
            let result = try CLI.run(["child", "set", "--file", path, "--destination", "parent.example:19999", "--ssl",
                                      "--api-key", Self.key, "--target", "1.37"] + tls)
            #expect(result.status == 0, "\(tls): \(result)")
        }
        func golden(_ name: String) throws -> String {
            try String(contentsOf: Self.goldens.appendingPathComponent(name), encoding: .utf8).replacingOccurrences(of: "CA_FILE", with: cert)
        }
        let steps: [([String], String)] = [
            (["--skip-certificate-verification"], "stock-1.37.1.skip.conf"),
            (["--ca-file", cert], "stock-1.37.1.skip.ca-file.conf"),
            (["--skip-certificate-verification"], "stock-1.37.1.skip.ca-file.skip.conf"),
            (["--ca-file", cert], "stock-1.37.1.skip.ca-file.conf"),
        ]
        let stockLines = String(decoding: stock, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).count
        for (tls, name) in steps {
            try childSet(tls)
            let result = try text(file)
            #expect(result == (try golden(name)), "\(tls) -> \(name)")
            #expect(result.split(separator: "\n", omittingEmptySubsequences: false).count == stockLines, "\(name): no line added or removed")
            #expect(try CLI.run(["lint", "--target", "1.37", file]).status == 0, "\(name) lints clean")
        }
        let direct = dir.path("direct.conf")
        try stock.write(to: URL(fileURLWithPath: direct))
        try childSet(["--ca-file", cert], direct)
        #expect(try text(direct) == (try golden("stock-1.37.1.skip.ca-file.conf")), "switching back equals setting straight away")
    }

    // MARK: item 8: one severity word

    @Test func testNoteIsTheOneSeverityWordInEveryFormat() throws {
        let dir = try TempDir()
        // SC309 (section without type) is a note.
        let file = try dir.file("stream.conf", "[\(Self.key)]\n    enabled = yes\n")
        let human = try CLI.run(["lint", "--target", "2", file])
        #expect(human.stdout.contains("note[SC309]") && human.stderr.contains("1 note"), "\(human)")
        #expect(try CLI.run(["lint", "--format", "gcc", "--target", "2", file]).stdout.contains(": note: [SC309]"))
        #expect(try CLI.run(["lint", "--format", "json", "--target", "2", file]).stdout.contains("\"severity\" : \"note\""))
        #expect(try CLI.run(["lint", "--format", "sarif", "--target", "2", file]).stdout.contains("\"level\" : \"note\""))
        #expect(try CLI.run(["lint", "--explain", "SC309"]).stdout.hasPrefix("SC309 (note): section without type"))
        let rules = try CLI.run(["lint", "--list-rules"]).stdout
        #expect(rules.contains("SC309  note     section without type"), "\(rules)")
        for output in [human.stdout, human.stderr, rules] { #expect(!output.contains("info"), "\(output)") }
        let page = try String(contentsOf: CLI.packageRoot.appendingPathComponent("man/stream-config.1"), encoding: .utf8)
        #expect(!page.contains(" Pq info") && page.contains(".It Sy SC309 Pq note"))
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
}
