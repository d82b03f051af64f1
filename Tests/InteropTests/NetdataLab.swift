// NetdataLab.swift - a small harness that runs real Netdata 1.37.1 agents privately on loopback
// (the Swift twin of /work/shared/lab/lib.sh) and runs the project's `stream-config` binary.
//
// Rules it keeps: every instance lives in its own temp dir, binds only 127.0.0.0/8, and every
// process it starts is stopped by PID (SIGTERM, bounded wait, SIGKILL), including the plugins
// netdata forked. Every wait polls with a deadline.
//
//     try await NetdataLab.run { lab in
//         let parent = try lab.instance(hostname: "p", streamConf: "[KEY]\n    enabled = yes\n")
//         try await parent.start()
//         let child = try lab.instance(hostname: "c", streamConf: NetdataLab.childStreamConf(
//             destination: parent.address, apiKey: KEY))
//         try await child.start()
//         #expect(await parent.waitUntilReachable("c"), "\(lab.logTails())")
//     }

import Foundation
@_exported import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Errors

struct LabError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Lab scope: owns the temp dir and every instance/process started in it

/// One test's lab. Use `NetdataLab.run { lab in ... }`: whatever the body does (returns, throws,
/// or fails an expectation), every instance is stopped afterwards.
final class NetdataLab {
    /// The agent under test: STREAM_CONFIG_NETDATA if set, else Debian's /usr/sbin/netdata.
    static let netdataPath = ProcessInfo.processInfo.environment["STREAM_CONFIG_NETDATA"] ?? "/usr/sbin/netdata"
    static let stockConfigDir = "/usr/lib/netdata/conf.d"
    static let stockPluginsDir = "/usr/lib/netdata/plugins.d"
    static let webDir = "/usr/share/netdata/web"

    /// CI sets STREAM_CONFIG_REQUIRE_INTEROP=1: then a missing netdata is a failure, not a skip.
    static var interopRequired: Bool {
        ProcessInfo.processInfo.environment["STREAM_CONFIG_REQUIRE_INTEROP"] == "1"
    }
    /// scripts/test.sh probes network namespaces once (`ip netns add`) and, when this machine
    /// cannot make them (a container without CAP_NET_ADMIN), says so loudly and sets
    /// STREAM_CONFIG_NETNS_UNAVAILABLE to the reason: the tests that need their own namespaces
    /// then skip with that reason instead of failing the run. Where the probe passed, a test that
    /// cannot make its namespace fails as before.
    static var namespacesWaived: String? {
        ProcessInfo.processInfo.environment["STREAM_CONFIG_NETNS_UNAVAILABLE"].flatMap { $0.isEmpty ? nil : $0 }
    }
    static var netdataInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: netdataPath)
    }
    /// For `.enabled(if: NetdataLab.shouldRun)`: skip only when netdata is missing and not required.
    static var shouldRun: Bool { netdataInstalled || interopRequired }

    /// Call first in a test: fails (throws) when netdata is required but missing.
    static func requireNetdata(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(netdataInstalled,
                     "\(netdataPath) is missing; interop tests must run (STREAM_CONFIG_REQUIRE_INTEROP=1 or called outside .enabled(if: NetdataLab.shouldRun))",
                     sourceLocation: sourceLocation)
    }

    let root: URL
    private(set) var instances: [NetdataInstance] = []
    private var processes: [LabProcess] = []

    private init() throws {
        _ = StaleLabs.swept
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("ndlab-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try writeFile(root.appendingPathComponent(StaleLabs.ownerFile), Data(StaleLabs.ownerStamp.utf8))
    }

    /// Runs `body` with a fresh lab and always stops everything it started. On a thrown error the
    /// log tails of all instances are printed. The temp dir is removed unless
    /// STREAM_CONFIG_KEEP_LAB=1.
    static func run<T>(_ body: (NetdataLab) async throws -> T) async throws -> T {
        try requireNetdata()
        let lab = try NetdataLab()
        do {
            let result = try await body(lab)
            await lab.shutdown()
            return result
        } catch {
            print("NetdataLab: test body threw \(error)\n\(lab.logTails())")
            await lab.shutdown()
            throw error
        }
    }

    /// Creates (but does not start) a netdata instance in `ROOT/<name>` with a free port.
    func instance(name: String? = nil, hostname: String, streamConf: String,
                  bindAddress: String = "127.0.0.1", dbMode: String = "ram",
                  extraNetdataConf: String = "") throws -> NetdataInstance {
        try instance(name: name, hostname: hostname, streamConfBytes: Data(streamConf.utf8),
                     bindAddress: bindAddress, dbMode: dbMode, extraNetdataConf: extraNetdataConf)
    }

    func instance(name: String? = nil, hostname: String, streamConfBytes: Data,
                  bindAddress: String = "127.0.0.1", dbMode: String = "ram",
                  extraNetdataConf: String = "") throws -> NetdataInstance {
        let port = try FreePort.pick(address: bindAddress)
        let dir = root.appendingPathComponent(name ?? hostname)
        let inst = try NetdataInstance(dir: dir, hostname: hostname, port: port, bindAddress: bindAddress,
                                       dbMode: dbMode, streamConf: streamConfBytes,
                                       extraNetdataConf: extraNetdataConf)
        instances.append(inst)
        return inst
    }

    /// Starts any other process (e.g. a relay under test) that the lab stops at the end.
    func spawn(name: String, executable: String, arguments: [String],
               environment: [String: String] = [:]) throws -> LabProcess {
        let log = root.appendingPathComponent("\(name).log")
        let p = LabProcess(name: name, executable: executable, arguments: arguments,
                               environment: environment, outputFile: log)
        processes.append(p)
        try p.start()
        return p
    }

    /// Stops everything (instances and spawned processes), in reverse start order. Safe to repeat.
    func shutdown() async {
        for p in processes.reversed() { await p.stop() }
        for i in instances.reversed() { await i.stop() }
        if ProcessInfo.processInfo.environment["STREAM_CONFIG_KEEP_LAB"] != "1" {
            try? FileManager.default.removeItem(at: root)
        } else {
            // Kept on purpose: not an orphan for the next run's sweep.
            try? FileManager.default.removeItem(at: root.appendingPathComponent(StaleLabs.ownerFile))
            print("NetdataLab: kept \(root.path)")
        }
    }

    /// The last lines of every instance's logs (for failure messages).
    func logTails(lines: Int = 30) -> String {
        var out = ""
        for i in instances { out += i.logTails(lines: lines) }
        for p in processes { out += "---- \(p.name) output (\(p.outputFile.path)):\n\(p.outputTail(lines: lines))\n" }
        return out
    }

    /// A child's stream.conf, as in the lab (`nd_write_stream_conf_child`, minimal form).
    static func childStreamConf(destination: String, apiKey: String) -> String {
        """
        [stream]
            enabled = yes
            destination = \(destination)
            api key = \(apiKey)

        """
    }
}
