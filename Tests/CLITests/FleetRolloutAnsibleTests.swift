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

    /// The group the files get: as root `daemon` (gid 1); else the user's own, which it may set.
    static let group = asRoot ? "daemon" : String(getegid())

    /// `group` "" leaves the role's default (`netdata` when the host has that group).
    func play(_ lab: Lab, _ extra: [String] = [], group: String = Self.group) throws -> (status: Int32, output: String) {
        let playbook = try #require(Ansible.playbook, "ansible-playbook is not installed")
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_COLLECTIONS_PATH"] = Self.collections
        environment["ANSIBLE_NOCOLOR"] = "1"
        environment["ANSIBLE_LOCAL_TEMP"] = lab.dir.path("ansible-tmp")
        environment["ANSIBLE_REMOTE_TEMP"] = lab.dir.path("ansible-remote-tmp")
        environment["ANSIBLE_PYTHON_INTERPRETER"] = Ansible.python ?? "auto_silent"
        let variables = """
            {"netdata_stream_rendered": "\(lab.dir.path("rendered"))", "netdata_stream_binary": "\(CLI.binary)",
             "ansible_become": false, "netdata_stream_group": "\(group)"}
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

    @Test func testFirstRunInstallsAndRestartsOnlyChangedHostsSecondRunChangesNothing() async throws {
        try await offThePool {
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
            // ok: the role's argument check (meta/argument_specs.yml) and the module's task.
            #expect(recap(first.output, "c3")["changed"] == 0 && recap(first.output, "c3")["ok"] == 2, "\(first.output)")
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
    }

    @Test func testCheckDiffChangesNothingAndMasksTheKeys() async throws {
        try await offThePool {
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
    }

    @Test func testAHostWhoseRenderedFileFailsLintIsNotWrittenAndFails() async throws {
        try await offThePool {
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

    /// A variable of the wrong type fails every host in the role's argument check, naming the
    /// variable, before any file is written or any host restarted.
    @Test func testAVariableOfTheWrongTypeFailsBeforeAnythingIsTouched() async throws {
        try await offThePool {
            let lab = try makeLab()
            let result = try play(lab, ["-e", #"{"netdata_stream_restart_command": {"not": "a list"}}"#])
            #expect(result.status != 0, "\(result.output)")
            #expect(result.output.contains("netdata_stream_restart_command"), "\(result.output)")
            for host in Self.hosts {
                #expect(recap(result.output, host)["failed"] == 1 && recap(result.output, host)["changed"] == 0, "\(host): \(result.output)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: lab.root(host)).isEmpty, "\(host) was written")
                #expect(!FileManager.default.fileExists(atPath: lab.marker(host)))
            }
        }
    }

    /// c3's stream.conf is a link: never followed, so its target keeps its bytes and mode. c2's is
    /// being changed by another writer (its `.stream.conf.lock`, stream-config's writers' lock, is
    /// held): the module waits, then gives up. Both hosts fail, unchanged; p1 and c1 are rolled out.
    @Test func testALinkedOrLockedFileFailsItsHostAndIsLeftAsItWas() async throws {
        try await offThePool {
            let lab = try makeLab()
            let target = try lab.dir.file("elsewhere.conf", "[stream]\n    enabled = no\n", mode: 0o644)
            try FileManager.default.createSymbolicLink(atPath: lab.root("c3") + "/stream.conf", withDestinationPath: target)
            let c2 = try lab.dir.file("roots/c2/etc/netdata/stream.conf", "[stream]\n    enabled = no\n", mode: 0o644)
            let lock = open(lab.root("c2") + "/.stream.conf.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
            defer { close(lock) }

            let result = try play(lab)
            #expect(result.status != 0, "\(result.output)")
            for host in ["c2", "c3"] {
                #expect(recap(result.output, host)["failed"] == 1 && recap(result.output, host)["changed"] == 0, "\(host): \(result.output)")
                #expect(!FileManager.default.fileExists(atPath: lab.marker(host)), "\(host) restarted")
            }
            #expect(result.output.contains("\(lab.root("c3"))/stream.conf is a symbolic link"), "\(result.output)")
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "[stream]\n    enabled = no\n" && (try mode(target)) == 0o644)
            #expect(result.output.contains("\(c2) is being changed by another stream-config"), "\(result.output)")
            #expect(try String(contentsOfFile: c2, encoding: .utf8) == "[stream]\n    enabled = no\n" && (try mode(c2)) == 0o644)
            for host in ["p1", "c1"] {
                #expect(recap(result.output, host)["failed"] == 0 && recap(result.output, host)["changed"] == 2, "\(host): \(result.output)")
                #expect(FileManager.default.contentsEqual(atPath: lab.root(host) + "/stream.conf", andPath: lab.rendered(host)))
            }
        }
    }

    /// `getfacl -p path` (entries, one a line; a masked one ends with `#effective:...`).
    func acl(_ path: String) throws -> String {
        let getfacl = try #require(Ansible.onPath("getfacl"), "getfacl is not installed (scripts/test.sh installs the acl package)")
        let result = try Spawn.run(getfacl, ["-p", path], timeout: .seconds(30))
        try #require(result.status == 0, "\(result)")
        return String(decoding: result.stdout, as: UTF8.self)
    }

    func setfacl(_ entry: String, _ path: String) throws {
        let setfacl = try #require(Ansible.onPath("setfacl"), "setfacl is not installed (scripts/test.sh installs the acl package)")
        let result = try Spawn.run(setfacl, ["-m", entry, path], timeout: .seconds(30))
        try #require(result.status == 0, "\(result)")
    }

    func inode(_ path: String) throws -> Int { try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int) }

    func group(_ path: String) throws -> Int { try #require(FileManager.default.attributesOfItem(atPath: path)[.groupOwnerAccountID] as? Int) }

    /// The old file's ACL entries stay, on a new file (bytes and mode change) and on the same file
    /// (only the mode changes), and the mode's group bits cap them (0640: read at most). Without
    /// `netdata_stream_group` the files go to group `netdata` when the host has it; else a new
    /// stream.conf fails, asking for the group, and an old one keeps its group.
    @Test func testTheOldFilesACLSurvivesTighteningAndNewBytesAndTheGroupDefaultsToNetdata() async throws {
        try await offThePool {
            let lab = try makeLab()
            // c2: other bytes, 0644, and daemon may write through the ACL (the mode shows the mask: 0664).
            let c2 = try lab.dir.file("roots/c2/etc/netdata/stream.conf", "[stream]\n    enabled = no\n", mode: 0o644)
            try setfacl("u:daemon:rw", c2)
            #expect(try mode(c2) == 0o664)
            // c3: the rendered bytes already, 0644, daemon reads through the ACL: only the mode changes.
            let c3 = lab.root("c3") + "/stream.conf"
            try FileManager.default.copyItem(atPath: lab.rendered("c3"), toPath: c3)
            chmod(c3, 0o644)
            try setfacl("u:daemon:r", c3)
            let c3Inode = try inode(c3)

            let netdataGroup = getgrnam("netdata").map { Int($0.pointee.gr_gid) }
            let first = try play(lab, group: Self.asRoot ? "" : Self.group)
            for path in [c2, c3] {
                #expect(try mode(path) == 0o640, "\(path): \(first.output)")
                let entries = try acl(path)
                #expect(entries.contains("mask::r--") && entries.contains("other::---"), "\(path): \(entries)")
            }
            // daemon's entry is kept; its write access is masked off by the mode's group bits.
            let c2ACL = try acl(c2), c3ACL = try acl(c3)
            #expect(c2ACL.contains("user:daemon:rw-\t#effective:r--"), "\(c2ACL)")
            #expect(c3ACL.split(separator: "\n").contains("user:daemon:r--"), "\(c3ACL)")
            #expect(FileManager.default.contentsEqual(atPath: c2, andPath: lab.rendered("c2")))
            #expect(try inode(c3) == c3Inode, "c3's file was not replaced")

            if Self.asRoot, let netdataGroup {
                #expect(first.status == 0, "\(first.output)")
                for host in Self.hosts { #expect(try group(lab.root(host) + "/stream.conf") == netdataGroup, "\(host): group netdata") }
            } else if Self.asRoot {
                // No group netdata: p1 and c1 have no old file to take the group from.
                #expect(first.status != 0 && recap(first.output, "p1")["failed"] == 1 && recap(first.output, "c1")["failed"] == 1, "\(first.output)")
                #expect(first.output.contains("has no group 'netdata'") && first.output.contains("set group (netdata_stream_group in the role)"), "\(first.output)")
                #expect(!FileManager.default.fileExists(atPath: lab.root("c1") + "/stream.conf"))
                for path in [c2, c3] { #expect(try group(path) == 0, "\(path) keeps its group") }
            } else {
                #expect(first.status == 0, "\(first.output)")
            }

            // New bytes again at the same mode (c2's file rewritten in place, so its ACL stays): replaced, ACL kept.
            let handle = try #require(FileHandle(forWritingAtPath: c2))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data("[stream]\n    enabled = no\n".utf8))
            try handle.close()
            let c2Inode = try inode(c2)
            let second = try play(lab, group: Self.asRoot ? "" : Self.group)
            #expect(recap(second.output, "c2")["changed"] == 2 && recap(second.output, "c2")["failed"] == 0, "\(second.output)")
            #expect(FileManager.default.contentsEqual(atPath: c2, andPath: lab.rendered("c2")))
            #expect(try inode(c2) != c2Inode, "c2's file was replaced")
            #expect(try mode(c2) == 0o640)
            let replacedACL = try acl(c2)
            #expect(replacedACL.contains("user:daemon:rw-\t#effective:r--"), "\(replacedACL)")
        }
    }

    /// p1's stream.conf is replaced, then its netdata.conf cannot be (immutable): the host is
    /// restarted, to read the new stream.conf, and then fails with the reason.
    @Test(.enabled(if: asRoot, "chattr +i needs root"))
    func testAHostWhoseSecondFileCannotBeInstalledIsRestartedThenFails() async throws {
        try await offThePool {
            let lab = try makeLab()
            let chattr = try #require(Ansible.onPath("chattr"), "chattr is not installed")
            let netdataConf = try lab.dir.file("roots/p1/etc/netdata/netdata.conf", "[global]\n    hostname = p1\n", mode: 0o640)
            try #require(try Spawn.run(chattr, ["+i", netdataConf], timeout: .seconds(30)).status == 0, "chattr +i on the test's file system")
            // Before the directory is removed (the lab lives until then).
            defer { withExtendedLifetime(lab) { _ = try? Spawn.run(chattr, ["-i", netdataConf], timeout: .seconds(30)) } }

            let result = try play(lab)
            #expect(result.status != 0, "\(result.output)")
            // The module's task and the handler changed; the task after the handler failed.
            #expect(recap(result.output, "p1")["changed"] == 2 && recap(result.output, "p1")["failed"] == 1, "\(result.output)")
            #expect(FileManager.default.fileExists(atPath: lab.marker("p1")), "p1 restarted for its new stream.conf")
            #expect(FileManager.default.contentsEqual(atPath: lab.root("p1") + "/stream.conf", andPath: lab.rendered("p1")))
            #expect(try String(contentsOfFile: netdataConf, encoding: .utf8) == "[global]\n    hostname = p1\n")
            #expect(result.output.contains("cannot install \(netdataConf): Operation not permitted; already replaced: \(lab.root("p1"))/stream.conf"),
                    "\(result.output)")
            // No temporary file is left beside them (only the writers' lock files).
            #expect(try FileManager.default.contentsOfDirectory(atPath: lab.root("p1")).sorted()
                    == [".netdata.conf.lock", ".stream.conf.lock", "netdata.conf", "stream.conf"])
            for host in ["c1", "c2", "c3"] {
                #expect(recap(result.output, host)["failed"] == 0 && recap(result.output, host)["changed"] == 2, "\(host): \(result.output)")
            }
            for key in lab.keys { #expect(!result.output.contains(key), "a key in Ansible's output") }
        }
    }
}
