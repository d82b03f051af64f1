import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The collection in contrib/ansible (`netdata.stream`: the `netdata_stream` module and the
/// `rollout` role) with real `ansible-playbook`, through contrib/ansible/examples/fleet-rollout.yml:
/// an inventory of hosts with `ansible_connection=local`, each with its own root directory, gets the
/// files `fleet render` wrote; the handler (here a command that leaves a mark per host) runs only on
/// hosts whose files changed.
@Suite(.enabled(if: Ansible.shouldRun, "ansible-playbook is not installed (scripts/test.sh installs ansible-core from PyPI)"))
struct FleetRolloutAnsibleTests {
    static let playbook = CLI.packageRoot.appendingPathComponent("contrib/ansible/examples/fleet-rollout.yml").path
    static let collections = CLI.packageRoot.appendingPathComponent("contrib/ansible").path
    /// As root the test also sets the files' group (to `daemon`, gid 1).
    static let asRoot = geteuid() == 0

    /// A fleet: parent p1, children c1 to c3 in group `web`.
    static let fleet = """
        vars: {netdata: 1.37}
        hosts:
          p1: {address: 10.213.0.2}
        groups:
          web:
            vars: {streams_to: [p1]}
            hosts: {c1: {address: 10.213.0.11}, c2: {address: 10.213.0.12}, c3: {address: 10.213.0.13}}

        """
    static let hosts = ["p1", "c1", "c2", "c3"]

    struct Lab {
        let dir: TempDir
        func root(_ host: String) -> String { dir.path("roots/\(host)/etc/netdata") }
        func rendered(_ host: String, _ file: String = "stream.conf") -> String { dir.path("rendered/hosts/\(host)/\(file)") }
        func marker(_ host: String) -> String { dir.path("restarted-\(host)") }
        var keys: [String] {
            ((try? String(contentsOfFile: dir.path("fleet.keys"), encoding: .utf8)) ?? "").split(separator: "\n")
                .filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").last.map(String.init) }
        }
    }

    func makeLab() throws -> Lab {
        let lab = Lab(dir: try TempDir())
        _ = try lab.dir.file("fleet.yaml", Self.fleet)
        var inventory = "all:\n  vars: {ansible_connection: local}\n  hosts:\n"
        for host in Self.hosts {
            try FileManager.default.createDirectory(atPath: lab.root(host), withIntermediateDirectories: true)
            inventory += "    \(host): {netdata_stream_config_dir: \"\(lab.root(host))\", netdata_stream_restart_command: [touch, \"\(lab.marker(host))\"]}\n"
        }
        _ = try lab.dir.file("inventory.yml", inventory)
        try render(lab)
        return lab
    }

    func render(_ lab: Lab) throws {
        let result = try CLI.run(["fleet", "render", lab.dir.path("fleet.yaml"), "--out", lab.dir.path("rendered")])
        try #require(result.status == 0, "\(result.stderr)")
    }

    func play(_ lab: Lab, _ extra: [String] = []) throws -> (status: Int32, output: String) {
        let playbook = try #require(Ansible.playbook, "ansible-playbook is not installed")
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_COLLECTIONS_PATH"] = Self.collections
        environment["ANSIBLE_NOCOLOR"] = "1"
        environment["ANSIBLE_LOCAL_TEMP"] = lab.dir.path("ansible-tmp")
        environment["ANSIBLE_REMOTE_TEMP"] = lab.dir.path("ansible-remote-tmp")
        environment["ANSIBLE_PYTHON_INTERPRETER"] = Ansible.python ?? "auto_silent"
        let variables = """
            {"netdata_stream_rendered": "\(lab.dir.path("rendered"))", "netdata_stream_binary": "\(CLI.binary)",
             "ansible_become": false, "netdata_stream_group": "\(Self.asRoot ? "daemon" : "")"}
            """
        let result = try Spawn.run(playbook, ["-i", lab.dir.path("inventory.yml"), Self.playbook, "-e", variables] + extra,
                                   environment: environment.map { "\($0.key)=\($0.value)" }, timeout: .seconds(300))
        return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    /// The PLAY RECAP counters of `host` (`changed`, `failed`, ...).
    func recap(_ output: String, _ host: String) -> [String: Int] {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix(host + " ") && $0.contains("changed=") }) else { return [:] }
        var counters: [String: Int] = [:]
        for word in line.split(separator: " ") where word.contains("=") {
            let parts = word.split(separator: "=")
            if parts.count == 2, let value = Int(parts[1]) { counters[String(parts[0])] = value }
        }
        return counters
    }

    /// Every file under the hosts' roots, with its bytes and mode.
    func snapshot(_ lab: Lab) throws -> [String: String] {
        var files: [String: String] = [:]
        for host in Self.hosts {
            for name in try FileManager.default.contentsOfDirectory(atPath: lab.root(host)) {
                let path = "\(lab.root(host))/\(name)"
                let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
                files[path] = String(format: "%o ", mode) + (try String(contentsOfFile: path, encoding: .utf8))
            }
        }
        return files
    }

    func mode(_ path: String) throws -> Int { try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) }

    @Test func testFirstRunInstallsAndRestartsOnlyChangedHostsSecondRunChangesNothing() throws {
        let lab = try makeLab()
        // c3 already has exactly its rendered file: nothing changes there, and it is not restarted.
        try FileManager.default.copyItem(atPath: lab.rendered("c3"), toPath: lab.root("c3") + "/stream.conf")
        chmod(lab.root("c3") + "/stream.conf", 0o640)
        if Self.asRoot { chown(lab.root("c3") + "/stream.conf", 0, 1) }
        // c2 has an old stream.conf readable by everyone: replaced, and tightened to 0640.
        _ = try lab.dir.file("roots/c2/etc/netdata/stream.conf", "[stream]\n    enabled = no\n", mode: 0o644)

        let first = try play(lab)
        #expect(first.status == 0, "\(first.output)")
        for host in ["p1", "c1", "c2"] {
            // the module's task and the restart handler
            #expect(recap(first.output, host)["changed"] == 2 && recap(first.output, host)["failed"] == 0, "\(host): \(first.output)")
            #expect(FileManager.default.fileExists(atPath: lab.marker(host)), "\(host) restarted")
        }
        #expect(recap(first.output, "c3")["changed"] == 0 && recap(first.output, "c3")["ok"] == 1, "\(first.output)")
        #expect(!FileManager.default.fileExists(atPath: lab.marker("c3")), "c3's files did not change: no restart")
        for host in Self.hosts {
            let installed = lab.root(host) + "/stream.conf"
            #expect(FileManager.default.contentsEqual(atPath: installed, andPath: lab.rendered(host)), "\(host)")
            #expect(try mode(installed) == 0o640, "\(host)")
            if Self.asRoot {
                let attributes = try FileManager.default.attributesOfItem(atPath: installed)
                #expect((attributes[.groupOwnerAccountID] as? Int) == 1, "\(host): group daemon")
            }
        }
        #expect(FileManager.default.contentsEqual(atPath: lab.root("p1") + "/netdata.conf", andPath: lab.rendered("p1", "netdata.conf")))
        #expect(!FileManager.default.fileExists(atPath: lab.root("c1") + "/netdata.conf"), "children get no netdata.conf")
        let keys = lab.keys
        #expect(keys.count == 1)
        for key in keys { #expect(!first.output.contains(key), "a key in Ansible's output") }

        for host in Self.hosts { try? FileManager.default.removeItem(atPath: lab.marker(host)) }
        let before = try snapshot(lab)
        let second = try play(lab)
        #expect(second.status == 0, "\(second.output)")
        for host in Self.hosts {
            #expect(recap(second.output, host)["changed"] == 0 && recap(second.output, host)["failed"] == 0, "\(host): \(second.output)")
            #expect(!FileManager.default.fileExists(atPath: lab.marker(host)), "\(host) restarted though nothing changed")
        }
        #expect(try snapshot(lab) == before)
    }

    @Test func testCheckDiffChangesNothingAndMasksTheKeys() throws {
        let lab = try makeLab()
        #expect(try play(lab).status == 0)
        for host in Self.hosts { try? FileManager.default.removeItem(atPath: lab.marker(host)) }
        // A new group with a key of its own streams to p1: only p1's stream.conf (and the new host) change.
        _ = try lab.dir.file("fleet.yaml", Self.fleet + "  db:\n    vars: {streams_to: [p1]}\n    hosts: {d1: {address: 10.213.0.21}}\n")
        try render(lab)
        let c1 = try String(contentsOfFile: lab.root("c1") + "/stream.conf", encoding: .utf8)
        let newKey = try #require(lab.keys.first { !c1.contains($0) })
        let before = try snapshot(lab)

        let check = try play(lab, ["--check", "--diff"])
        #expect(check.status == 0, "\(check.output)")
        #expect(recap(check.output, "p1")["changed"] == 1, "\(check.output)")
        for host in ["c1", "c2", "c3"] { #expect(recap(check.output, host)["changed"] == 0, "\(host): \(check.output)") }
        // The diff shows the new section with the key's first 8 characters only.
        #expect(check.output.contains("+[\(newKey.prefix(8))…]"), "\(check.output)")
        #expect(check.output.contains("+    allow from = 10.213.0.21"), "\(check.output)")
        for key in lab.keys { #expect(!check.output.contains(key), "a key in Ansible's output") }
        #expect(try snapshot(lab) == before, "--check wrote to disk")
        for host in Self.hosts { #expect(!FileManager.default.fileExists(atPath: lab.marker(host)), "\(host) restarted in --check") }

        let apply = try play(lab, ["--diff"])
        #expect(apply.status == 0 && recap(apply.output, "p1")["changed"] == 2, "\(apply.output)")
        #expect(FileManager.default.contentsEqual(atPath: lab.root("p1") + "/stream.conf", andPath: lab.rendered("p1")))
        #expect(FileManager.default.fileExists(atPath: lab.marker("p1")) && !FileManager.default.fileExists(atPath: lab.marker("c1")))
    }

    @Test func testAHostWhoseRenderedFileFailsLintIsNotWrittenAndFails() throws {
        let lab = try makeLab()
        // c1's rendered file breaks: `enabled = maybe` is read as `no` by Netdata (SC401, an error).
        let broken = try String(contentsOfFile: lab.rendered("c1"), encoding: .utf8)
            .replacingOccurrences(of: "\n    enabled = yes\n", with: "\n    enabled = maybe\n")
        _ = try lab.dir.file("rendered/hosts/c1/stream.conf", broken)
        let result = try play(lab)
        #expect(result.status != 0, "\(result.output)")
        #expect(recap(result.output, "c1")["failed"] == 1 && recap(result.output, "c1")["changed"] == 0, "\(result.output)")
        #expect(result.output.contains("[SC401]") && result.output.contains("nothing was written"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: lab.root("c1") + "/stream.conf"), "c1's file was written")
        #expect(!FileManager.default.fileExists(atPath: lab.marker("c1")))
        // No temporary file is left beside it either.
        #expect(try FileManager.default.contentsOfDirectory(atPath: lab.root("c1")).isEmpty)
        for host in ["p1", "c2", "c3"] {
            #expect(recap(result.output, host)["failed"] == 0 && recap(result.output, host)["changed"] == 2, "\(host): \(result.output)")
        }
        for key in lab.keys { #expect(!result.output.contains(key), "a key in Ansible's output") }
    }
}
