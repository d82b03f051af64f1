import Foundation
import TestSupport
import Testing

/// contrib/ansible/examples/stream-config-commands.yml with real `ansible-playbook` (ansible-core
/// from PyPI; scripts/test.sh installs it): every changing command goes through
/// `ansible.builtin.command` with `changed_when` from its JSON, and `validate: stream-config lint %s`
/// guards a pushed file. The first run changes every task, the second none.
enum Ansible {
    /// `ansible-playbook` on PATH, if any.
    static let playbook = onPath("ansible-playbook")
    /// The Python that has ansible-core, for the modules too (interpreter discovery can pick
    /// another one, without ansible's libraries).
    static let python = onPath("python3")

    static func onPath(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
    /// Run when installed, and always under STREAM_CONFIG_REQUIRE_INTEROP=1 (CI), where a missing one fails.
    static let shouldRun = playbook != nil || ProcessInfo.processInfo.environment["STREAM_CONFIG_REQUIRE_INTEROP"] == "1"
}

@Suite(.enabled(if: Ansible.shouldRun, "ansible-playbook is not installed (scripts/test.sh installs ansible-core from PyPI)"))
struct AnsiblePlaybookTests {
    static let playbook = CLI.packageRoot.appendingPathComponent("contrib/ansible/examples/stream-config-commands.yml").path
    static let key = "f191f19e-4ad4-4069-b94b-b1e4ab797ffc"

    func play(_ dir: TempDir) throws -> Spawn.Result {
        let playbook = try #require(Ansible.playbook, "ansible-playbook is not installed")
        var environment = ProcessInfo.processInfo.environment
        environment["STREAM_CONFIG_API_KEY"] = Self.key
        environment["ANSIBLE_NOCOLOR"] = "1"
        environment["ANSIBLE_LOCAL_TEMP"] = dir.path("ansible-tmp")
        environment["ANSIBLE_PYTHON_INTERPRETER"] = Ansible.python ?? "auto_silent"
        return try Spawn.run(playbook, ["-i", "localhost,", "-c", "local", Self.playbook,
                                        "-e", "stream_config=\(CLI.binary)", "-e", "netdata_config_dir=\(dir.url.path)"],
                             environment: environment.map { "\($0.key)=\($0.value)" }, timeout: .seconds(300))
    }

    func recap(_ result: Spawn.Result) -> String {
        String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("localhost") && $0.contains("changed=") }
            .map(String.init) ?? ""
    }

    /// ansible-playbook blocks for up to minutes: off the cooperative pool.
    @Test func testFirstRunChangesEveryTaskAndTheSecondNone() async throws {
        try await offThePool {
            let dir = try TempDir()
            let first = try play(dir)
            let output = String(decoding: first.stdout + first.stderr, as: UTF8.self)
            #expect(first.status == 0, "\(output)")
            #expect(recap(first).contains("changed=5") && recap(first).contains("failed=0"), "\(output)")
            let conf = try String(contentsOfFile: dir.path("stream.conf"), encoding: .utf8)
            #expect(conf.contains("[\(Self.key)]") && conf.contains("destination = 10.1.0.5:19999") && conf.contains("enable compression = no"))
            #expect(!output.contains(Self.key), "the key never shows in Ansible's output")
            let second = try play(dir)
            #expect(second.status == 0 && recap(second).contains("changed=0") && recap(second).contains("failed=0"),
                    "\(String(decoding: second.stdout + second.stderr, as: UTF8.self))")
            #expect(try String(contentsOfFile: dir.path("stream.conf"), encoding: .utf8) == conf)
        }
    }
}
