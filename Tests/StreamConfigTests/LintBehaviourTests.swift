import Testing
import TestSupport
@testable import StreamConfig

@Suite struct LintBehaviourTests {
    let key = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key (SC310)

    @Test func testInlineCommentMakesBooleanFalse() {
        let report = lint("[\(key)]\n    type = api\n    enabled = yes # note\n", target: .v1_37)
        #expect(findings(report) == ["SC108 3:19"])
        #expect(report.diagnostics[0].message.contains("reads it as `no`"))
    }

    @Test func testDisableCommentSilencesTheNextLineOnly() {
        let text = "[stream]\n    # stream-config: disable=SC201\n    enabeld = yes\n    enabeld2 = yes\n"
        #expect(findings(lint(text, target: .v2)) == ["SC201 4:5"])
    }

    @Test func testTargetInferenceFromActiveOptions() {
        #expect(lint("[stream]\n    timeout = 5m\n").target == .v2)
        #expect(lint("[stream]\n    timeout seconds = 60\n").target == .v1_37)
        #expect(lint("[stream]\n    #buffer size = 10MiB\n").target == .v2)
        let neutral = lint("[stream]\n    enabled = no\n")
        #expect(neutral.target == .v2)
        #expect(neutral.targetReason.contains("assuming"))
    }

    @Test func testSecretsAreCollectedFromKeysAndSections() {
        let report = lint("[stream]\n    api key = \(key)\n[aaaaaaaa-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n")
        #expect(report.secrets.contains(key))
        #expect(report.secrets.contains("aaaaaaaa-2222-3333-4444-555555555555"))
        let masked = SecretMasker(report.secrets).mask("key \(key) here")
        #expect(masked == "key 51f0c3a2… here")
    }

    @Test func testKeyNamedStreamIsAnError() {
        let report = lint("[stream]\n    enabled = yes\n    destination = 10.0.0.1\n    api key = stream\n    timeout seconds = 60\n", target: .v1_37)
        #expect(findings(report) == ["SC301 4:15"])
        #expect(report.diagnostics[0].message.contains("[stream]"))
    }

    @Test func testWrongSectionSaysWhereItBelongs() {
        let report = lint("[\(key)]\n    type = api\n    enabled = yes\n    history = 3600\n", target: .v1_37)
        #expect(findings(report) == ["SC202 4:5"])
        #expect(report.diagnostics[0].hint == "in API key sections Netdata 1.37 reads `default history`")
    }

    /// `OptionChecks` looks up the direct spec for any of a section's roles and only then follows
    /// renames; `Resolver.spec` goes role by role. They must agree for every name Netdata knows.
    @Test func testOnePassLookupAgreesWithTheResolver() {
        for schema in [Schema.v1, Schema.v2] {
            let names = Set(schema.options.map(\.name) + schema.renames.map(\.old) + schema.renames.map(\.new))
            for roles in [Resolver.streamRole, Resolver.apiKeyRole, Resolver.machineRole, Resolver.eitherRole] {
                for name in names {
                    let onePass = schema.spec(name, roleBits: SectionRole.bits(roles)) ?? Resolver.spec(name, roles: roles, schema: schema)
                    #expect(onePass === Resolver.spec(name, roles: roles, schema: schema), "\(schema.target) \(name) \(roles)")
                }
            }
        }
    }

    @Test func testOlderNameAndNewerNameBothSet() {
        let report = lint("[\(key)]\n    type = api\n    enabled = yes\n    db = ram\n    default memory mode = dbengine\n", target: .v2)
        // `db` wins: the database is in RAM, so replication is capped too (SC707).
        #expect(findings(report) == ["SC204 5:5", "SC707 4:10"])
    }

    @Test func testBinaryGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0..<2000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = Linter.lint(bytes: bytes, file: "garbage")
        }
    }

    @Test func testParentThatStreamsWarnsThatChildrenAreForwarded() {
        let text = "[stream]\n    enabled = yes\n    destination = 10.0.0.1:19999\n    api key = \(key)\n    timeout seconds = 60\n[aaaaaaaa-2222-3333-4444-555555555555]\n    type = api\n    enabled = yes\n"
        #expect(findings(lint(text, target: .v1_37)) == ["SC704 2:15"])
    }
}
