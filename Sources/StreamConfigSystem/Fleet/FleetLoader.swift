import StreamConfig

/// Builds a `Fleet` from a fleet file and each host's directory of collected files: `stream.conf`
/// (required), `netdata.conf` and `netdata.public.unique.id` (optional), as
/// `ansible.builtin.fetch` or rsync collect them from `/etc/netdata` and `/var/lib/netdata/registry`.
///
/// Files are read through `readFile`, which returns nil for a file that does not exist and throws
/// (with a message to show) when one exists but cannot be read; the frontend passes its checked
/// reader (regular files only, size cap), tests an in-memory one.
public enum FleetLoader {
    public typealias ReadFile = @Sendable (_ path: String) throws -> [UInt8]?

    public static let streamConfName = "stream.conf"
    public static let netdataConfName = "netdata.conf"
    public static let machineGUIDName = "netdata.public.unique.id"

    /// `fleetPath` as given (paths in findings start with its directory); `bytes` its contents.
    public static func load(fleetPath: String, bytes: [UInt8], readFile: ReadFile) -> Fleet {
        let fleetFile = FleetFile(path: fleetPath, bytes: bytes)
        var parser = FleetFileParser(path: fleetPath, text: String(decoding: bytes, as: UTF8.self))
        let base = directory(of: fleetPath)
        var hosts: [FleetHost] = []
        var findings: [Diagnostic] = []
        hosts.reserveCapacity(parser.hosts.count)
        // Read every host's files on every core first; then build the hosts in order.
        let entries = parser.hosts
        let directories = entries.map { join(base, $0.vars["config"]?.text ?? "hosts/\($0.name)") }
        let names = [streamConfName, netdataConfName, machineGUIDName]
        let contents = Parallel.map(entries.count * names.count) { i in
            let path = join(directories[i / names.count], names[i % names.count])
            return Result { try readFile(path) }.mapError { ReadFailure(description: "\($0)") }
        }
        for (i, entry) in entries.enumerated() {
            let files = Array(contents[(i * names.count)..<((i + 1) * names.count)])
            guard let host = host(entry, base: base, parser: &parser, findings: &findings, files: files) else { continue }
            hosts.append(host)
        }
        return Fleet(hosts: hosts, clusters: parser.clusters, file: fleetFile, loadFindings: parser.findings + findings)
    }

    private static func host(_ entry: FleetFileParser.HostEntry, base: String, parser: inout FleetFileParser, findings: inout [Diagnostic],
                             files: [Result<[UInt8]?, ReadFailure>]) -> FleetHost? {
        let vars = entry.vars
        guard let address = vars["address"] ?? vars["ansible_host"], !address.text.isEmpty else {
            parser.problem(at: entry.location, "host `\(entry.name)` has no `address` (the address its parents see it connect from): it is not checked",
                           hint: "add `address: 10.1.0.11` (its address) under `\(entry.name):`")
            return nil
        }
        var target: NetdataTarget?
        if let version = vars["netdata"] {
            switch version.text.lowercased() {
            case let text where text == "1" || text.hasPrefix("1."): target = .v1_37
            case let text where text == "2" || text.hasPrefix("2."): target = .v2
            default:
                parser.problem(at: version.location, "`netdata: \(version.text)` of host `\(entry.name)` is not a Netdata line stream-config knows (1.37 or 2)")
            }
        }
        var guid: String?
        var guidLocation: FleetLocation?
        if let written = vars["machine_guid"] {
            if UUIDSyntax.isUUID(written.text) {
                guid = written.text.lowercased()
                guidLocation = written.location
            } else {
                parser.problem(at: written.location, "`machine_guid: \(written.text)` of host `\(entry.name)` is not a UUID")
            }
        }
        let configText = vars["config"]?.text ?? "hosts/\(entry.name)"
        let directory = join(base, configText)
        var host = FleetHost(name: entry.name, address: address.text, target: target, tenant: vars["tenant"]?.text,
                             hostnameOverride: vars["hostname"]?.text, machineGUID: guid, machineGUIDLocation: guidLocation,
                             location: entry.location, groups: entry.groups)
        if let streamsTo = vars["streams_to"] {
            host.streamsTo = streamsTo.list
            host.streamsToLocation = streamsTo.location
            host.keyOwner = vars["key_scope"]?.text == "host" ? entry.name : streamsTo.group ?? entry.name
        }
        host.caFile = vars["ca_file"]?.text
        host.tlsKey = vars["tls_key"]?.text
        host.tlsCertificate = vars["tls_certificate"]?.text
        if let scope = vars["key_scope"], scope.text != "host", scope.text != "group" {
            parser.problem(at: scope.location, "`key_scope: \(scope.text)` of host `\(entry.name)` must be `group` or `host`")
        }
        let configLocation = vars["config"]?.location ?? entry.location
        func read(_ name: String, required: Bool) -> FleetFile? {
            let path = join(directory, name)
            do {
                if let bytes = try files[[streamConfName, netdataConfName, machineGUIDName].firstIndex(of: name)!].get() { return FleetFile(path: path, bytes: bytes) }
                if required {
                    findings.append(Diagnostic(code: "FL003", severity: .error, file: parserPath(parser), line: configLocation.line,
                                               column: configLocation.column, length: configLocation.length,
                                               message: "host `\(entry.name)`: \(path) does not exist, so its streaming is not checked",
                                               hint: "collect /etc/netdata/stream.conf of \(entry.name) into \(directory)"))
                }
            } catch {
                findings.append(Diagnostic(code: "FL003", severity: .error, file: parserPath(parser), line: configLocation.line,
                                           column: configLocation.column, length: configLocation.length,
                                           message: "host `\(entry.name)`: \(error)", hint: nil))
            }
            return nil
        }
        host.streamConf = read(streamConfName, required: true)
        host.netdataConf = read(netdataConfName, required: false)
        if let file = read(machineGUIDName, required: false) {
            host.guidFile = file
            if host.machineGUID == nil { host.machineGUID = FleetHost.machineGUID(fromRegistryFile: file.document.render()) }
        }
        return host
    }

    /// Why a host file could not be read, as the reader said it.
    struct ReadFailure: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    private static func parserPath(_ parser: FleetFileParser) -> String { parser.path }

    /// The directory part of a path as given (`fleet.yaml` -> ``, `a/fleet.yaml` -> `a`).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `base/relative`, keeping an absolute `relative` as it is and dropping `./`.
    static func join(_ base: String, _ relative: String) -> String {
        var relative = Substring(relative)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        while relative.count > 1, relative.hasSuffix("/") { relative = relative.dropLast() }
        if relative.hasPrefix("/") || base.isEmpty { return String(relative) }
        if relative.isEmpty || relative == "." { return base }
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }
}
