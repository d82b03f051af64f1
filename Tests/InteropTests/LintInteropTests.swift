// Each test proves one `stream-config lint` claim against real Netdata 1.37.1:
//   1. lint the parent's stream.conf (with the mistake) and find the code on the right line;
//   2. run a real parent with exactly that file and a real child: the parent refuses the child;
//   3. control: apply lint's fix, restart the parent and a fresh child: the child is accepted.
// Netdata is run privately on loopback by NetdataLab (see NetdataLab.swift).

import Foundation
import Testing

private let apiKey = "51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80"  // not Netdata's documentation key (SC310)

@Suite("lint claims vs. real Netdata 1.37.1", .enabled(if: NetdataLab.shouldRun), .timeLimit(.minutes(2)))
struct LintInteropTests {

    @Test func testInlineCommentAfterEnabledRefusesChild() async throws {
        try await proveRefusalThenFix(
            tag: "sc108",
            broken: "[\(apiKey)]\n    enabled = yes # note\n",
            code: "SC108", line: 2,
            parentError: "API key '\(apiKey)' is not allowed. Forbidding access.",
            accessDenied: "ACCESS DENIED - KEY NOT ENABLED",
            fixed: "[\(apiKey)]\n    enabled = yes\n")
    }

    @Test func testAllowFrom127001RefusesLoopbackChild() async throws {
        try await proveRefusalThenFix(
            tag: "sc605",
            broken: "[\(apiKey)]\n    enabled = yes\n    allow from = 127.0.0.1\n",
            code: "SC605", line: 3,
            parentError: "API key '\(apiKey)' is not permitted from this IP. Forbidding access.",
            accessDenied: "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP",
            fixed: "[\(apiKey)]\n    enabled = yes\n    allow from = localhost\n")
    }

    /// SC609: Netdata names a child at 127.0.0.1 `localhost`, so `127.*` alone refuses it.
    @Test func testAllowFrom127WildcardRefusesLoopbackChild() async throws {
        try await proveRefusalThenFix(
            tag: "sc609",
            broken: "[\(apiKey)]\n    enabled = yes\n    allow from = 127.*\n",
            code: "SC609", severity: "warning", line: 3,
            parentError: "API key '\(apiKey)' is not permitted from this IP. Forbidding access.",
            accessDenied: "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP",
            fixed: "[\(apiKey)]\n    enabled = yes\n    allow from = 127.* localhost\n")
    }

    @Test func testHeaderWithTrailingCommentMovesKeysToPreviousSection() async throws {
        try await proveRefusalThenFix(
            tag: "sc101",
            broken: "[stream]\n    enabled = no\n\n[\(apiKey)] # lab key\n    enabled = yes\n",
            code: "SC101", line: 4,
            parentError: "API key '\(apiKey)' is not allowed. Forbidding access.",
            accessDenied: "ACCESS DENIED - KEY NOT ENABLED",
            fixed: "[stream]\n    enabled = no\n\n# lab key\n[\(apiKey)]\n    enabled = yes\n",
            alsoInParentLog: [
                // Netdata itself reports the same line as not being a header...
                "CONFIG: ignoring line 4 ('[\(apiKey)] # lab key')",
                // ...and `enabled = yes` (line 5) landed in [stream], turning sending on (lint: SC701)
                "STREAM [send]: cannot enable sending thread - information is missing.",
            ])
    }
}

/// Lint finds `code` at `line` of `broken`; Netdata refuses a child with `broken` (parent logs
/// `parentError`, `accessDenied` for that child and each of `alsoInParentLog`; the child logs the
/// denial and is not reachable at the parent); with `fixed`, lint no longer reports `code` and the
/// child is reachable.
private func proveRefusalThenFix(tag: String, broken: String, code: String, severity: String = "error", line: Int,
                                 parentError: String, accessDenied: String, fixed: String,
                                 alsoInParentLog: [String] = []) async throws {
    try await NetdataLab.run { lab in
        let parent = try lab.instance(hostname: "\(tag)-parent", streamConf: broken)
        let childHost = "\(tag)-child"
        let childConf = NetdataLab.childStreamConf(destination: parent.address, apiKey: apiKey)

        // 1. lint says: CODE on LINE (gcc format)
        await expectLint(parent.streamConfURL, reports: code, severity: severity, atLine: line)

        // 2. Netdata says: refused
        try await parent.start()
        let child = try lab.instance(name: "\(tag)-child-1", hostname: childHost, streamConf: childConf)
        try await child.start()
        #expect(await parent.waitForLog("\(accessDenied)' host '\(childHost)'", in: "access.log"),
                "parent access.log has no '\(accessDenied)' for \(childHost)\n\(lab.logTails())")
        #expect(parent.log().contains(parentError), "parent error.log lacks: \(parentError)\n\(lab.logTails())")
        #expect(await child.waitForLog("remote server denied access"),
                "child error.log lacks the denial\n\(lab.logTails())")
        #expect(await !parent.isReachable(childHost), "\(childHost) is reachable although refused")
        for text in alsoInParentLog {
            #expect(parent.log().contains(text), "parent error.log lacks: \(text)")
        }
        // the refused child would only retry after 60 s: replace it rather than wait
        await child.stop()

        // 3. control: lint's fix makes Netdata accept the child
        try parent.writeStreamConf(fixed)
        await expectLint(parent.streamConfURL, doesNotReport: code)
        try await parent.restart()
        let fresh = try lab.instance(name: "\(tag)-child-2", hostname: childHost, streamConf: childConf)
        try await fresh.start()
        #expect(await parent.waitUntilReachable(childHost),
                "\(childHost) not reachable at the parent with the fixed stream.conf\n\(lab.logTails())")
    }
}

private func expectLint(_ file: URL, reports code: String, severity: String = "error", atLine line: Int,
                        sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        let (result, findings) = try await StreamConfigCLI.lint(file)
        let hit = findings.first { $0.code == code && $0.line == line }
        #expect(hit != nil, "lint did not report \(code) at line \(line)\n\(result)", sourceLocation: sourceLocation)
        if let hit {
            #expect(hit.path == file.path, "gcc path", sourceLocation: sourceLocation)
            #expect(hit.severity == severity, "\(code) severity", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record(error, "stream-config lint", sourceLocation: sourceLocation)
    }
}

private func expectLint(_ file: URL, doesNotReport code: String,
                        sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        let (result, findings) = try await StreamConfigCLI.lint(file)
        #expect(!findings.contains { $0.code == code }, "lint still reports \(code) after the fix\n\(result)",
                sourceLocation: sourceLocation)
    } catch {
        Issue.record(error, "stream-config lint", sourceLocation: sourceLocation)
    }
}
