import Testing
@testable import StreamConfig

/// `migrate --to 2` in the core: 1.37 names become 2.x names with every other byte kept, the
/// effective configuration on 2.x is the same before and after, decisions are findings.
@Suite struct MigrationTests {
    static let key = "f191f19e-4ad4-4069-b94b-b1e4ab797ffc"
    static let old = """
        [stream]
            enabled = yes
            destination = 10.20.0.5:19999
            api key = \(key)
            timeout seconds = 60
            reconnect delay seconds = 5

        [\(key)]
            type = api
            enabled = yes
            default memory mode = dbengine
            default history = 7200
            health enabled by default = auto
            seconds to replicate = 86400
            default proxy enabled = no

        """

    @Test func testEveryOldNameBecomesItsNewNameAndNothingElseChanges() {
        let report = Migration.toV2(Document(Self.old), file: "stream.conf")
        #expect(report.changed)
        #expect(report.renames.map(\.old) == ["timeout seconds", "reconnect delay seconds", "default memory mode", "default history",
                                              "health enabled by default", "seconds to replicate", "default proxy enabled"])
        #expect(report.renames.map(\.new) == ["timeout", "reconnect delay", "db", "retention", "health enabled", "replication period", "proxy enabled"])
        let expected = Self.old.replacingOccurrences(of: "timeout seconds", with: "timeout")
            .replacingOccurrences(of: "reconnect delay seconds", with: "reconnect delay")
            .replacingOccurrences(of: "default memory mode", with: "db")
            .replacingOccurrences(of: "default history", with: "retention")
            .replacingOccurrences(of: "health enabled by default", with: "health enabled")
            .replacingOccurrences(of: "seconds to replicate", with: "replication period")
            .replacingOccurrences(of: "default proxy enabled", with: "proxy enabled")
        #expect(report.document.renderedString == expected)
        #expect(report.decisions.diagnostics.isEmpty)
        // Again: nothing left to migrate.
        #expect(!Migration.toV2(report.document, file: "stream.conf").changed)
    }

    @Test func testTheEffectiveConfigurationOn2xIsTheSameBeforeAndAfter() throws {
        let before = Document(Self.old), after = Migration.toV2(before, file: "f").document
        let schema = Schema.forTarget(.v2)
        var fromTheFile = 0
        for section in ["stream", Self.key] {
            for option in schema.options where option.roles.contains(section == "stream" ? .stream : .apiKey) {
                let a = try? Resolver.effective(section: section, key: option.name, in: Ini(before), target: .v2)
                let b = try? Resolver.effective(section: section, key: option.name, in: Ini(after), target: .v2)
                #expect(a?.value == b?.value, "[\(section)] \(option.name): \(String(describing: a)) vs \(String(describing: b))")
                if case .file = b?.source { fromTheFile += 1 }
            }
        }
        #expect(fromTheFile >= 10)  // the comparison covered the options the file sets
    }

    /// Netdata 1.37.1's stock file with options set in their 1.37 names (as the Helm chart and
    /// the Ansible roles write them): every option Netdata 2.x reads, in [stream] and in the key
    /// section, has the same effective value and source line before and after.
    @Test func testTheStockFileWithOldNamesKeepsEveryEffectiveValue() throws {
        let stock = String(decoding: try Paths.bytes(Paths.stockV1), as: UTF8.self)
        let text = stock.replacingOccurrences(of: "\n[stream]\n", with: "\n[stream]\n    timeout seconds = 120\n    reconnect delay seconds = 15\n")
            + "\n[\(Self.key)]\n    type = api\n    enabled = yes\n    default memory mode = dbengine\n    default history = 7200\n"
            + "    health enabled by default = auto\n    seconds to replicate = 43200\n    seconds per replication step = 600\n"
            + "    default postpone alarms on connect seconds = 90\n    default proxy enabled = no\n"
        #expect(text.contains("timeout seconds = 120"))
        let before = Document(text), report = Migration.toV2(before, file: "stream.conf")
        // The ten set here, and the stock file's own active 1.37 names in [API_KEY] and [MACHINE_GUID].
        #expect(report.renames.filter { $0.section == Self.key || $0.section == "stream" }.count >= 10, "\(report.renames.map(\.old))")
        let schema = Schema.forTarget(.v2)
        for (section, role) in [("stream", SectionRole.stream), (Self.key, .apiKey)] {
            for option in schema.options where option.roles.contains(role) {
                let a = try? Resolver.effective(section: section, key: option.name, in: Ini(before), target: .v2)
                let b = try? Resolver.effective(section: section, key: option.name, in: Ini(report.document), target: .v2)
                #expect(a?.value == b?.value, "[\(section)] \(option.name)")
                if case .file(let line, _, _)? = a?.source, case .file(let after, _, _)? = b?.source { #expect(line == after) }
            }
        }
        // Every other line is byte for byte the stock file's.
        let changed = zip(before.lines, report.document.lines).filter { $0 != $1 }.count
        #expect(changed == report.renames.count && before.lines.count == report.document.lines.count)
    }

    @Test func testValuesReadDifferentlyOn2xAreDecisionsNotChanges() {
        let text = "[\(Self.key)]\n    type = api\n    enabled = yes\n    memory mode = save\n    health enabled by default = true\n"
        let report = Migration.toV2(Document(text), file: "f")
        #expect(report.decisions.diagnostics.map(\.code).sorted() == ["SC409", "SC419"], "\(report.decisions.diagnostics.map(\.message))")
        // Renamed, values kept as written: the user decides.
        #expect(report.document.renderedString == text.replacingOccurrences(of: "memory mode", with: "db")
            .replacingOccurrences(of: "health enabled by default", with: "health enabled"))
    }

    @Test func testANewNameAlreadySetIsLeftToTheUser() {
        let text = "[stream]\n    timeout seconds = 60\n    timeout = 30\n"
        let report = Migration.toV2(Document(text), file: "f")
        #expect(!report.changed)  // SC204: which one was meant is a decision
    }
}
