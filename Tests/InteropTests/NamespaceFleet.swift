// NamespaceFleet.swift - real Netdata 1.37.1 agents, each in a network namespace of its own with
// an address of its own, joined by a bridge in one more namespace: a small multi-host fleet on
// one machine. Only namespaces, links and addresses this harness creates are touched; their names
// carry the test process's PID and a random token, so parallel runs never clash, and a run that
// crashed leaves namespaces the next run deletes (their owner PID is gone).
//
//     try await NamespaceFleet.run(hosts: [("p", 2), ("c", 11)]) { fleet in ... }

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One agent of a namespace fleet: its namespace, address, directories and process.
final class NamespaceAgent {
    let name: String
    let address: String
    let namespace: String
    let dir: URL
    /// Serves its API over https (a certificate in netdata.conf).
    var tls = false
    private var process: LabProcess?

    static let port = 19999

    init(name: String, address: String, namespace: String, dir: URL) throws {
        self.name = name
        self.address = address
        self.namespace = namespace
        self.dir = dir
        for sub in ["etc", "cache", "lib/registry", "log", "lock", "run", "plugins.d"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try writeFile(etcDir.appendingPathComponent(".opt-out-from-anonymous-statistics"), Data())
        try writeFile(dir.appendingPathComponent("plugins.d/system-info.sh"), Data(NetdataInstance.systemInfoScript.utf8), mode: 0o755)
    }

    var etcDir: URL { dir.appendingPathComponent("etc") }
    var logDir: URL { dir.appendingPathComponent("log") }
    var netdataConfURL: URL { etcDir.appendingPathComponent("netdata.conf") }
    var streamConfURL: URL { etcDir.appendingPathComponent("stream.conf") }
    /// Where Netdata 1.37.1 keeps its machine GUID (`[directories] registry`).
    var guidURL: URL { dir.appendingPathComponent("lib/registry/netdata.public.unique.id") }
    var isRunning: Bool { process?.isRunning ?? false }

    /// netdata.conf as the lab writes it (private directories, few plugins, RAM database of 600
    /// entries, replication asked for 300 s), listening on every address of its namespace.
    /// `web` replaces the `[web]` lines.
    func netdataConf(web: [String] = ["bind to = *:\(NamespaceAgent.port)"]) -> String {
        let d = dir.path
        return """
            # NamespaceFleet: private instance in network namespace \(namespace)
            [global]
                run as user = root
                hostname = \(name)
                process scheduling policy = keep
                OOM score = keep

            [db]
                mode = ram
                retention = 600
                update every = 1
                seconds to replicate = 300

            \(NetdataLab.privateDirectorySections(d))

            [web]
            \(web.map { "    \($0)" }.joined(separator: "\n"))

            \(NetdataLab.quietSections(light: true))

            """
    }

    /// Starts netdata inside the namespace (`ip netns exec` execs it: the PID is netdata's) and
    /// waits until its API answers there.
    func start(timeout: Duration = .seconds(40)) async throws {
        guard !isRunning else { return }
        let p = LabProcess(name: name, executable: NamespaceFleet.ip,
                           arguments: ["netns", "exec", namespace, NetdataLab.netdataPath, "-D", "-c", netdataConfURL.path,
                                       "-P", dir.appendingPathComponent("run/netdata.pid").path],
                           environment: ["DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"],
                           outputFile: logDir.appendingPathComponent("stdout.log"))
        try p.start()
        process = p
        let ok = await poll(timeout: timeout, interval: .milliseconds(250)) {
            guard p.isRunning else { return true }
            return await self.get("/api/v1/info") != nil
        }
        guard ok, p.isRunning else {
            let tails = logTails()
            await stop()
            throw LabError("netdata \(name) in \(namespace) \(p.isRunning ? "did not answer within \(timeout)" : "died during start")\n\(tails)")
        }
    }

    /// SIGTERM by PID (then SIGKILL), its plugins too; the exit code is ignored (1.37.1 may crash
    /// while shutting down).
    func stop() async {
        await process?.stop(timeout: .seconds(15))
        process = nil
    }

    /// GET on its own API from inside its namespace (https without verification when it serves TLS).
    func get(_ path: String) async -> String? {
        let url = "\(tls ? "https" : "http")://127.0.0.1:\(NamespaceAgent.port)\(path)"
        guard let r = try? await Command.run(NamespaceFleet.ip, ["netns", "exec", namespace, "/usr/bin/curl", "-fsSk", "-m", "2", url],
                                             timeout: .seconds(6)), r.status == 0 else { return nil }
        return r.stdout
    }

    /// `mirrored_hosts_status` of its `/api/v1/info`: hostname -> (reachable, guid).
    func mirroredHosts() async -> [String: (reachable: Bool, guid: String)]? {
        guard let body = await get("/api/v1/info"),
              let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let hosts = json["mirrored_hosts_status"] as? [[String: Any]] else { return nil }
        var out: [String: (reachable: Bool, guid: String)] = [:]
        for host in hosts {
            guard let name = host["hostname"] as? String else { continue }
            out[name] = (host["reachable"] as? Bool ?? false, host["guid"] as? String ?? "")
        }
        return out
    }

    /// True when `host` is reachable here with a non-null system.cpu value at most 10 s old.
    func hasFreshData(_ host: String) async -> Bool {
        guard await mirroredHosts()?[host]?.reachable == true,
              let body = await get("/host/\(host)/api/v1/data?chart=system.cpu&after=-10&format=json&options=jsonwrap"),
              let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let result = json["result"] as? [String: Any], let rows = result["data"] as? [[Any]] else { return false }
        let now = Int(Date().timeIntervalSince1970)
        return rows.contains { row in
            guard let t = row.first as? Int, now - t <= 10 else { return false }
            return row.dropFirst().contains { !($0 is NSNull) }
        }
    }

    func log(_ name: String = "error.log") -> String {
        (try? Data(contentsOf: logDir.appendingPathComponent(name))).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    func waitForLog(_ text: String, in file: String = "error.log", timeout: Duration = .seconds(40)) async -> Bool {
        await poll(timeout: timeout, interval: .milliseconds(250)) { self.log(file).contains(text) }
    }

    func logTails(lines: Int = 25) -> String {
        ["error.log", "access.log", "stdout.log"].map { file in
            let tail = log(file).split(separator: "\n").filter { !$0.contains(": PLUGIN[proc") }.suffix(lines).joined(separator: "\n")
            return "---- \(name) (\(address), netns \(namespace)) \(file):\n\(tail)\n"
        }.joined()
    }
}

/// The fleet: a bridge namespace and one namespace per agent, on 10.213.X.0/24 (X random per run).
final class NamespaceFleet {
    static let ip = "/usr/sbin/ip"
    /// Namespace names: `scfleet-PID-TOKEN-NAME`.
    static let prefix = "scfleet-"

    /// Why namespaces cannot be made here (nil: they can): not root, no `ip`, or `ip netns add`
    /// refused (no CAP_NET_ADMIN, no /run/netns).
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "network namespaces need root (CAP_NET_ADMIN); running as uid \(geteuid())" }
        guard FileManager.default.isExecutableFile(atPath: ip) else { return "\(ip) (iproute2) is not installed" }
        let probe = "\(prefix)\(getpid())-probe"
        guard let added = try? Spawn.run(ip, ["netns", "add", probe], timeout: .seconds(20)) else { return "cannot run \(ip)" }
        if added.status != 0 { return "`ip netns add` failed: \(String(decoding: added.stderr, as: UTF8.self))" }
        _ = try? Spawn.run(ip, ["netns", "del", probe], timeout: .seconds(20))
        return nil
    }()

    /// Run when netdata and namespaces are there; under STREAM_CONFIG_REQUIRE_INTEROP=1 always
    /// (then a missing one fails the test).
    static let shouldRun: Bool = {
        if let why = NetdataLab.namespacesWaived {
            print("NamespaceFleet: skipped: scripts/test.sh found no network namespaces here: \(why)")
            return false
        }
        if NetdataLab.interopRequired { return true }
        if !NetdataLab.netdataInstalled { return false }
        if let why = unavailableReason {
            print("NamespaceFleet: skipped: \(why)")
            return false
        }
        return true
    }()

    let token = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    let subnet = Int.random(in: 1...254)
    let root: URL
    private(set) var agents: [String: NamespaceAgent] = [:]
    private(set) var order: [String] = []
    private var namespaces: [String] = []
    var bridgeNamespace: String { "\(Self.prefix)\(getpid())-\(token)-br" }

    func address(_ host: Int) -> String { "10.213.\(subnet).\(host)" }

    private init() throws {
        _ = StaleLabs.swept
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ndlab-fleet-\(token)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try writeFile(root.appendingPathComponent(StaleLabs.ownerFile), Data(StaleLabs.ownerStamp.utf8))
    }

    /// Builds the fleet (`hosts`: name and last address byte), runs `body`, and always stops every
    /// agent by PID and deletes every namespace it made; on a thrown error prints the log tails.
    static func run<T>(hosts: [(name: String, host: Int)], _ body: (NamespaceFleet) async throws -> T) async throws -> T {
        try NetdataLab.requireNetdata()
        if let why = unavailableReason { try #require(Bool(false), "network namespaces are required (STREAM_CONFIG_REQUIRE_INTEROP=1) but \(why)") }
        try await sweepStale()
        let fleet = try NamespaceFleet()
        do {
            try await fleet.up(hosts)
            let result = try await body(fleet)
            await fleet.teardown()
            return result
        } catch {
            print("NamespaceFleet: \(error)\n\(fleet.logTails())")
            await fleet.teardown()
            throw error
        }
    }

    private func sh(_ arguments: [String]) async throws {
        let r = try await Command.run(Self.ip, arguments, timeout: .seconds(20))
        guard r.status == 0 else { throw LabError("ip \(arguments.joined(separator: " ")) failed: \(r.stderr)") }
    }

    private func up(_ hosts: [(name: String, host: Int)]) async throws {
        let bridge = bridgeNamespace
        try await sh(["netns", "add", bridge])
        namespaces.append(bridge)
        try await sh(["-n", bridge, "link", "add", "br0", "type", "bridge"])
        try await sh(["-n", bridge, "link", "set", "br0", "up"])
        for (i, host) in hosts.enumerated() {
            let ns = "\(Self.prefix)\(getpid())-\(token)-\(host.name)"
            try await sh(["netns", "add", ns])
            namespaces.append(ns)
            // The pair is made with its ends already in their namespaces: no name in the root one.
            try await sh(["link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "v\(i)", "netns", bridge])
            try await sh(["-n", bridge, "link", "set", "v\(i)", "master", "br0", "up"])
            try await sh(["-n", ns, "addr", "add", "\(address(host.host))/24", "dev", "eth0"])
            try await sh(["-n", ns, "link", "set", "eth0", "up"])
            try await sh(["-n", ns, "link", "set", "lo", "up"])
            agents[host.name] = try NamespaceAgent(name: host.name, address: address(host.host), namespace: ns,
                                                   dir: root.appendingPathComponent(host.name))
            order.append(host.name)
        }
    }

    subscript(_ name: String) -> NamespaceAgent { agents[name]! }

    func teardown() async {
        for name in order.reversed() { await agents[name]?.stop() }
        for ns in namespaces.reversed() {
            if let r = try? await Command.run(Self.ip, ["netns", "del", ns], timeout: .seconds(20)), r.status != 0 {
                print("NamespaceFleet: cannot delete namespace \(ns): \(r.stderr)")
            }
        }
        namespaces = []
        if ProcessInfo.processInfo.environment["STREAM_CONFIG_KEEP_LAB"] == "1" {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(StaleLabs.ownerFile))
            print("NamespaceFleet: kept \(root.path)")
        } else {
            try? FileManager.default.removeItem(at: root)
        }
    }

    /// Namespaces of earlier runs whose test process is gone (their agents were killed by
    /// StaleLabs' sweep: their command lines name their lab directory).
    static func sweepStale() async throws {
        guard let list = try? await Command.run(ip, ["netns", "list"], timeout: .seconds(20)) else { return }
        for line in list.stdout.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count).prefix { $0 != "-" }),
                  pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH else { continue }
            print("NamespaceFleet: deleting namespace \(name), left by a test run that is gone")
            _ = try? await Command.run(ip, ["netns", "del", name], timeout: .seconds(20))
        }
    }

    func logTails() -> String { order.compactMap { agents[$0]?.logTails() }.joined() }
}
