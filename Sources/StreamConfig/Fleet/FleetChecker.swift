/// What `fleet check` found: one lint report per file (its `lint` findings and the cross-host
/// findings that point into it), with the document the printers show lines from.
public struct FleetReport: Sendable {
    public struct File: Sendable {
        public var report: LintReport
        public var document: Document
    }

    /// The fleet file first (when it has findings), then each host's files in fleet order.
    public var files: [File]
    public var hostCount: Int
    /// Streams resolved between hosts of the fleet (direct and proxied).
    public var edgeCount: Int

    public var errorCount: Int { files.reduce(0) { $0 + $1.report.errorCount } }
    public var warningCount: Int { files.reduce(0) { $0 + $1.report.warningCount } }
    public var hasErrors: Bool { files.contains { $0.report.hasErrors } }
}

/// `fleet check`: every host's files linted, the streams between hosts resolved from the files
/// themselves, and each stream judged the way the receiving Netdata would (`Admission` for its
/// stream.conf, `BindTo` and the access lists for its netdata.conf).
public enum FleetChecker {
    /// The key Netdata's documentation prints (and its Helm chart ships with `allow from = *`):
    /// the first of `ExampleKeys.documentation`, the one list lint (SC310, SC311) checks too.
    public static let documentationKey = ExampleKeys.documentation[0]

    /// A machine GUID no parent has a section for: used when a host's GUID was not collected,
    /// so only its key is judged.
    static let unknownMachineGUID = "00000000-0000-4000-8000-000000000000"

    public static func check(_ fleet: Fleet, findingLimit: Int = LintOptions.defaultFindingLimit) -> FleetReport {
        var run = FleetRun(fleet: fleet, findingLimit: findingLimit)
        run.checkAll()
        return run.report()
    }
}

/// One check of one fleet: the hosts' readings, then the rules, then the reports.
struct FleetRun {
    let fleet: Fleet
    let hosts: [FleetHost]
    let index: FleetIndex
    let findingLimit: Int
    var streamReports: [LintReport?] = []
    var netdataReports: [LintReport?] = []
    var targets: [NetdataTarget] = []
    var webs: [ParentWeb] = []
    var findings = FleetFindings()
    var edges: [FleetEdge] = []

    init(fleet: Fleet, findingLimit: Int) {
        self.fleet = fleet
        self.hosts = fleet.hosts
        self.index = FleetIndex(fleet.hosts)
        self.findingLimit = findingLimit
    }

    mutating func checkAll() {
        lintEveryFile()
        webs = hosts.map { ParentWeb(netdataConf: $0.netdataConf?.ini) }
        for (i, host) in hosts.enumerated() {
            guard let file = host.streamConf else { continue }
            edges += FleetEdges.direct(host: i, stream: file.ini.section("stream"), file: file.path, target: targets[i], index: index)
        }
        repeatedParents()
        var queue = edges
        var next = 0
        var seenProxied = Set<String>()
        while next < queue.count {
            let edge = queue[next]
            next += 1
            if edge.proxied { edges.append(edge) }
            guard check(edge), let receiver = edge.receiver else { continue }
            if !edge.proxied { replication(edge, parent: receiver) }
            for forwarded in proxiedEdges(after: edge, at: receiver) {
                let key = "\(forwarded.origin) \(forwarded.sender) \(forwarded.destination.raw) \(forwarded.destinationOption.line)"
                if forwarded.receiver != forwarded.origin, seenProxied.insert(key).inserted, queue.count < hosts.count * 64 + 1024 {
                    queue.append(forwarded)
                }
            }
        }
        cycles()
        duplicateGUIDs()
        duplicateHostnames()
        documentationKeys()
        sharedKeysAcrossTenants()
    }

    // MARK: Per file

    /// Every host's files, linted on every core (each host is independent).
    mutating func lintEveryFile() {
        let hosts = self.hosts, limit = findingLimit
        let linted = Parallel.map(hosts.count) { i -> (LintReport?, LintReport?, NetdataTarget) in
            let host = hosts[i]
            let stream = host.streamConf.map {
                Linter.lint(document: $0.document, file: $0.path, options: LintOptions(target: host.target, kind: .stream, findingLimit: limit))
            }
            let target = host.target ?? stream?.target ?? .v2
            let netdata = host.netdataConf.map {
                Linter.lint(document: $0.document, file: $0.path, options: LintOptions(target: target, kind: .netdata, findingLimit: limit))
            }
            return (stream, netdata, target)
        }
        streamReports = linted.map(\.0)
        netdataReports = linted.map(\.1)
        targets = linted.map(\.2)
    }

    // MARK: Names in messages

    func who(_ i: Int) -> String { "`\(hosts[i].name)` (\(hosts[i].address))" }

    func guid(of i: Int) -> String? { hosts[i].machineGUID }

    /// How Netdata names the host's address for `allow from`, when that differs from the address.
    func asPeer(_ i: Int) -> String {
        let peer = PeerName.forAllowFrom(hosts[i].address)
        return peer == hosts[i].address ? "" : ", matched as `\(peer)`"
    }

    // MARK: One stream

    /// Judges one stream as the receiving Netdata would; true when it is admitted.
    mutating func check(_ edge: FleetEdge) -> Bool {
        let sender = hosts[edge.sender]
        guard let senderFile = sender.streamConf else { return false }
        let forwarding = edge.proxied ? "forwarding `\(hosts[edge.origin].name)`, " : ""
        guard let r = edge.receiver else {
            findings.emit("FL101", file: edge.file, line: edge.destinationOption.line + 1, column: edge.entryColumn, length: edge.entryLength,
                          "`\(edge.destination.raw)` is not a host of the fleet (no host has that address or name): \(forwarding)this stream is not checked")
            return false
        }
        if r == edge.sender {
            findings.emit("FL305", file: edge.file, line: edge.destinationOption.line + 1, column: edge.entryColumn, length: edge.entryLength,
                          "`\(edge.destination.raw)` is \(who(r)) itself: Netdata refuses its own machine GUID (\"machine UUID is my own\") and this node backs off for an hour",
                          hint: "point `destination` at a parent, not at this node")
            return false
        }
        let parent = hosts[r]
        guard let parentStream = parent.streamConf else { return false }
        if let port = edge.port, !network(edge, parent: r, port: port, senderFile: senderFile, forwarding: forwarding) { return false }
        if !webAccess(edge, parent: r, forwarding: forwarding) { return false }
        return admission(edge, parent: r, parentFile: parentStream, senderFile: senderFile, forwarding: forwarding)
    }

    /// Ports, loopback, TLS: does the sender reach a port of the parent that takes its stream?
    mutating func network(_ edge: FleetEdge, parent r: Int, port: Int, senderFile: FleetFile, forwarding: String) -> Bool {
        let web = webs[r]
        let parent = hosts[r]
        let line = edge.destinationOption.line + 1
        let onPort = web.entries.filter { web.port(of: $0) == port }
        let hostText = edge.destination.host.contains(":") ? "[\(edge.destination.host)]" : edge.destination.host
        if onPort.isEmpty {
            let ports = web.ports
            let fix = ports.count == 1
                ? StreamAdvice.line(edge.destinationOption.key, "\(hostText):\(ports[0])\(edge.destination.tls ? ":SSL" : "")") : nil
            findings.emit("FL201", file: edge.file, line: line, column: edge.entryColumn, length: edge.entryLength,
                          "\(forwarding)`\(edge.destination.raw)` connects to \(who(r)) on port \(port), but it listens on \(ports.isEmpty ? "no port" : (ports.count == 1 ? "port " : "ports ") + ports.map(String.init).joined(separator: ", ")) (\(web.listensText)\(parent.netdataConf.map { " in \($0.path)" } ?? "")): the connection is refused (\"Failed to connect\")",
                          hint: fix.map { "use the port the parent listens on: `\($0)`" } ?? "use a port the parent listens on for streaming")
            return false
        }
        let reachable = onPort.filter { $0.host.map { !FleetIndex.isLoopback($0) } ?? true }
        if reachable.isEmpty {
            if !FleetIndex.isLoopback(hosts[edge.sender].address), let bind = web.bindOption, let file = parent.netdataConf {
                findings.emit("FL202", in: file, at: bind,
                              "\(who(r)) listens on port \(port) at loopback only (`\(bind.key) = \(bind.value)`, \(web.listen.bindName)): \(who(edge.sender)) cannot connect (\(forwarding)\"Failed to connect\")",
                              hint: "listen on every address: \(Advice.listenOnEveryAddressFix(file: file.path, option: bind))")
                return false
            }
            return true
        }
        let streaming = reachable.filter { $0.access.contains(.streaming) }
        guard let entry = streaming.first else {
            if let bind = web.bindOption, let file = parent.netdataConf {
                findings.emit("FL206", in: file, at: bind,
                              "port \(port) of \(who(r)) does not allow `streaming` (`\(bind.key) = \(bind.value)`): \(who(edge.sender)) is refused there (\(forwarding)\"You are not allowed to access this resource\")",
                              hint: "add `streaming` to the port's access list, e.g. `\(Advice.bindTo(.tlsForced))`")
            }
            return false
        }
        if edge.destination.tls {
            if web.known && !web.hasCertificate {
                findings.emit("FL203", file: edge.file, line: line, column: edge.entryColumn, length: edge.entryLength,
                              "\(forwarding)`\(edge.destination.raw)` asks for TLS, but \(who(r)) serves no TLS (no `[web] ssl key` and `ssl certificate` in \(parent.netdataConf!.path)): the child logs \"remote node response is not understood\"",
                              hint: "remove `:SSL` (`\(StreamAdvice.line(edge.destinationOption.key, "\(hostText):\(port)"))`), or give the parent a certificate: `stream-config tls init --netdata-conf netdata.conf`")
                return false
            }
            return trustsCertificate(edge, parent: r, senderFile: senderFile, forwarding: forwarding)
        }
        let tlsFix = "`\(StreamAdvice.line(edge.destinationOption.key, StreamAdvice.tlsEntry("\(hostText):\(port)")))` with `\(StreamAdvice.caFile("/etc/netdata/ssl/parent.crt"))` (`stream-config child set --ssl --ca-file`)"
        if entry.tls == .force {
            findings.emit("FL204", file: edge.file, line: line, column: edge.entryColumn, length: edge.entryLength,
                          "\(forwarding)`\(edge.destination.raw)` is plaintext, but \(who(r)) forces TLS on port \(port) (`\(web.bindOption.map { "\($0.key) = \($0.value)" } ?? "")`): it answers the STREAM request with HTTP 400 and this node never streams",
                          hint: "use TLS: \(tlsFix)")
            return false
        }
        if targets[r] == .v1_37, web.hasCertificate {
            findings.emit("FL205", file: edge.file, line: line, column: edge.entryColumn, length: edge.entryLength,
                          "\(forwarding)`\(edge.destination.raw)` is plaintext, but \(who(r)) is Netdata 1.37 with `[web] ssl key` and `ssl certificate`: it answers only TLS children, so this node gets no answer (\"remote netdata does not respond\")",
                          hint: "use TLS: \(tlsFix)")
            return false
        }
        return true
    }

    /// FL207: a verifying TLS sender whose collected CA file does not verify the certificate the
    /// parent serves (both collected).
    /// FL208: a verifying TLS sender with neither `CAfile` nor `CApath`, to a parent whose
    /// collected certificate is self-signed: the system's CAs do not verify it.
    mutating func trustsCertificate(_ edge: FleetEdge, parent r: Int, senderFile: FleetFile, forwarding: String) -> Bool {
        let sender = hosts[edge.sender]
        let senderStream = senderFile.ini.section("stream")
        if let served = hosts[r].serverCertificate, served.selfSigned,
           !NetdataBool.read(senderStream?.value("ssl skip certificate verification") ?? "no"),
           ["CAfile", "CApath"].allSatisfy({ (senderStream?.value($0) ?? "").isEmpty }) {
            findings.emit("FL208", file: edge.file, line: edge.destinationOption.line + 1, column: edge.entryColumn, length: edge.entryLength,
                          "\(forwarding)`\(edge.destination.raw)` verifies \(who(r)) with the system's CAs only (no `CAfile` or `CApath` in [stream]), but \(who(r)) serves a self-signed certificate (\(served.path), SHA-256 \(served.fingerprint.prefix(23))…): the child closes every connection (\"the server SSL certificate is not valid\")",
                          hint: "copy the parent's certificate (\(served.path)) to the child and name it: `\(StreamAdvice.caFile("/etc/netdata/ssl/parent.crt"))` (`stream-config child set --ssl --ca-file`)")
            return false
        }
        guard let bundle = sender.caBundle, let served = hosts[r].serverCertificate, !served.verifiedBy.contains(bundle.id),
              let stream = senderFile.ini.section("stream"), let option = stream.option("CAfile") else { return true }
        if let skip = stream.value("ssl skip certificate verification"), NetdataBool.read(skip) { return true }
        findings.emit("FL207", in: senderFile, at: option,
                      "\(forwarding)\(who(edge.sender)) verifies its TLS parents with `\(option.key) = \(option.value)` (collected as \(bundle.path)), which does not verify the certificate \(who(r)) serves (\(served.path), SHA-256 \(served.fingerprint.prefix(23))…): the child closes every connection (\"the server SSL certificate is not valid\")",
                      hint: "put the parent's certificate (\(served.path)), or the CA that signed it, in the child's `\(option.key)` file")
        return false
    }

    /// netdata.conf `[web] allow connections from` / `allow streaming from` (checked before stream.conf).
    mutating func webAccess(_ edge: FleetEdge, parent r: Int, forwarding: String) -> Bool {
        let web = webs[r]
        guard let file = hosts[r].netdataConf else { return true }
        let peer = PeerName.forAllowFrom(hosts[edge.sender].address)
        for option in [web.allowConnections, web.allowStreaming].compactMap({ $0 }) where !Admission.allows(option.value, peer) {
            findings.emit("FL108", in: file, at: option,
                          "`[web] \(option.key) = \(option.value)` does not match \(who(edge.sender))\(asPeer(edge.sender))\(forwarding.isEmpty ? "" : " (" + forwarding.dropLast(2) + ")"): \(who(r)) refuses it before reading stream.conf (\"You are not allowed to access this resource\")",
                          hint: "add `\(peer)` to the pattern (the first matching word decides, so before any negative word that matches it)")
            return false
        }
        return true
    }

    /// stream.conf: the receiver's key and machine sections, as `Admission` decides.
    mutating func admission(_ edge: FleetEdge, parent r: Int, parentFile: FleetFile, senderFile: FleetFile, forwarding: String) -> Bool {
        let originGUID = guid(of: edge.origin)
        let request = AdmissionRequest(apiKey: edge.apiKey, hostname: hosts[edge.origin].hostname,
                                       machineGUID: originGUID ?? FleetChecker.unknownMachineGUID, peerAddress: hosts[edge.sender].address)
        guard let refusal = Admission.check(request, ini: parentFile.ini, target: targets[r]) else { return true }
        let key = edge.apiKey ?? ""
        let ini = parentFile.ini
        let keySection = ini.section(key)
        let guidSection = originGUID.flatMap { ini.section($0) }
        let peer = PeerName.forAllowFrom(hosts[edge.sender].address)
        let code: String
        let place: (option: Option?, section: Section?, inSender: Bool)
        var what: String
        var hint: String
        switch refusal {
        case .keyNotEnabled where keySection == nil:
            code = "FL102"
            place = (edge.apiKeyOption, nil, true)
            what = "\(parentFile.path) has no section [\(key)]: \(who(r)) refuses the key (\"API key is not enabled\"; the child logs \"remote server denied access\")"
            hint = "on \(who(r)), add `[\(key)]` with `\(StreamAdvice.keySection(allowFrom: peer).joined(separator: "`, `"))`, or use a key it has"
        case .keyNotEnabled:
            code = "FL103"
            place = (keySection?.option("enabled"), keySection, false)
            what = "[\(key)] is not enabled on \(who(r)) (`enabled` \(keySection?.option("enabled").map { "= \($0.value)" } ?? "is missing, and keys default to no")): it refuses \(who(edge.sender))"
            hint = "write `\(StreamAdvice.enableKey)` in [\(key)]"
        case .keyIsNotAPIKey:
            code = "FL104"
            place = (keySection?.option("type"), keySection, false)
            what = "[\(key)] on \(who(r)) says `type = \(keySection?.value("type") ?? "")`: Netdata refuses it as an API key (\"API key provided is a machine UUID\") for \(who(edge.sender))"
            hint = "write `\(StreamAdvice.typeAPI)` in [\(key)]"
        case .keyNotAllowedFromIP:
            code = "FL106"
            let allow = keySection?.option("allow from")
            place = (allow, keySection, false)
            what = "`allow from = \(allow?.value ?? "")` of [\(key)] on \(who(r)) does not match \(who(edge.sender))\(asPeer(edge.sender)): it is refused (\"KEY NOT ALLOWED FROM THIS IP\")"
            hint = "let it in: `\(StreamAdvice.allowFrom("\(allow?.value ?? "") \(peer)".trimmingSpaces))`"
        case .machineGUIDIsNotMachine, .machineGUIDNotEnabled:
            code = "FL105"
            let notMachine = refusal == .machineGUIDIsNotMachine
            place = (notMachine ? guidSection?.option("type") : guidSection?.option("enabled"), guidSection, false)
            what = "the machine section [\(originGUID ?? "")] on \(who(r)) refuses `\(hosts[edge.origin].name)` (\(notMachine ? "`type` is not machine" : "`enabled = \(guidSection?.value("enabled") ?? "")`"))"
            hint = notMachine ? "write `\(StreamAdvice.typeMachine)` in that section" : "write `\(StreamAdvice.enableKey)` in that section, or remove it"
        case .machineGUIDNotAllowedFromIP:
            code = "FL107"
            let allow = guidSection?.option("allow from")
            place = (allow, guidSection, false)
            what = "`allow from = \(allow?.value ?? "")` of the machine section of `\(hosts[edge.origin].name)` on \(who(r)) does not match \(who(edge.sender))\(asPeer(edge.sender)): it is refused (\"MACHINE GUID NOT ALLOWED FROM THIS IP\")"
            hint = "let it in: `\(StreamAdvice.allowFrom("\(allow?.value ?? "") \(peer)".trimmingSpaces))`"
        default:
            // A missing or malformed key or GUID: lint reports it on the sender's own file.
            return false
        }
        if edge.proxied {
            what = "\(who(edge.sender)) forwards `\(hosts[edge.origin].name)` to \(who(r)), which refuses it: " + what
            if place.inSender { hint = "use a `proxy api key` that \(who(r)) accepts, or " + hint }
        }
        let finalCode = edge.proxied ? "FL401" : code
        let secrets = [key]
        if let option = place.option {
            findings.emit(finalCode, in: place.inSender ? senderFile : parentFile, at: option, what, hint: hint, secrets: secrets)
        } else if let section = place.section {
            findings.emit(finalCode, in: parentFile, header: section, what, hint: hint, secrets: secrets)
        }
        return false
    }

    // MARK: Proxies

    /// The streams a parent opens for a child it admitted: the proxy cascade (machine section,
    /// key section, `[stream]`) as the relay and Netdata read it.
    func proxiedEdges(after edge: FleetEdge, at r: Int) -> [FleetEdge] {
        guard let file = hosts[r].streamConf else { return [] }
        let plan = ProxyCascade.resolve(ini: file.ini, target: targets[r], apiKey: edge.apiKey, machineGUID: guid(of: edge.origin))
        guard plan.refusal == nil, let destinationValue = plan.destination, let key = plan.apiKey,
              let destinationOption = option(at: destinationValue.source, in: file.ini) else { return [] }
        let keyOption = option(at: key.source, in: file.ini)
        return plan.destinations.map { destination in
            FleetEdge(sender: r, origin: edge.origin, receiver: FleetEdges.receiver(destination, index: index), destination: destination,
                      port: destination.port == nil || destination.port == "" ? plan.defaultPort : destination.numericPort,
                      destinationOption: destinationOption, apiKey: key.value, apiKeyOption: keyOption, file: file.path,
                      target: targets[r], proxied: true)
        }
    }

    func option(at source: ValueSource, in ini: Ini) -> Option? {
        guard case .file(_, let section, let key) = source else { return nil }
        return ini.section(section)?.option(key)
    }

    // MARK: Destinations

    /// FL303: two entries of one `destination` naming the same fleet host.
    mutating func repeatedParents() {
        var firstBySender: [Int: [Int: FleetEdge]] = [:]
        for edge in edges {
            guard let r = edge.receiver else { continue }
            if let first = firstBySender[edge.sender]?[r] {
                findings.emit("FL303", file: edge.file, line: edge.destinationOption.line + 1, column: edge.entryColumn, length: edge.entryLength,
                              "`\(edge.destination.raw)` and `\(first.destination.raw)` are both \(who(r)): failing over between them reconnects to the same parent",
                              hint: "list each parent once")
            } else {
                firstBySender[edge.sender, default: [:]][r] = edge
            }
        }
    }

    // MARK: Replication

    /// FL601: the parent asks, on reconnect, for more than the child's RAM database holds.
    mutating func replication(_ edge: FleetEdge, parent r: Int) {
        let c = edge.sender
        guard let childConf = hosts[c].netdataConf, let db = childConf.ini.section("db"), let mode = db.option("mode") else { return }
        let childTarget = targets[c]
        let readMode = DatabaseMode.read(mode.value, target: childTarget)
        guard readMode != "dbengine", readMode != "none" else { return }
        let entries = min(max(db.value("retention").map { StrToLL($0).value } ?? 3600, 5), Int64(Int32.max))
        let every = min(max(db.value("update every").flatMap { seconds($0, childTarget) } ?? 1, 1), 86400)
        let kept = readMode == "ram" ? SemanticChecks.pageAlignedEntries(entries) : entries
        let holds = kept * every
        guard let (period, source) = replicationPeriod(parent: r, key: edge.apiKey, guid: guid(of: c)), period > holds else { return }
        findings.emit("FL601", in: childConf, at: mode,
                      "\(who(c)) keeps its metrics in RAM (`\(mode.key) = \(mode.value)`): \(kept) entries at \(every) s hold \(NetdataDuration.format(seconds: holds)), but its parent \(who(r)) asks for \(NetdataDuration.format(seconds: period)) on reconnect (\(source)): after a longer outage the gap on the parent stays",
                      hint: "`\(Advice.databaseEngine)` in the child's `[db]`, a larger `retention`, or a shorter replication period on the parent")
    }

    /// The parent's replication period for this child (machine section, key section, its
    /// netdata.conf `[db]`, default 1d), with where it comes from; nil when replication is off.
    func replicationPeriod(parent r: Int, key: String?, guid: String?) -> (Int64, String)? {
        let target = targets[r]
        let names = target == .v2 ? ["replication period", "seconds to replicate"] : ["seconds to replicate"]
        let ini = hosts[r].streamConf?.ini
        let sections = [guid.flatMap { ini?.section($0) }, key.flatMap { ini?.section($0) }].compactMap { $0 }
        let db = hosts[r].netdataConf?.ini.section("db")
        for section in sections + [db].compactMap({ $0 }) {
            if let enabled = section.value("enable replication") { if !NetdataBool.read(enabled) { return nil } else { break } }
        }
        for section in sections + [db].compactMap({ $0 }) {
            for name in names {
                if let option = section.option(name), let value = seconds(option.value, target) {
                    let place = section === db ? "`[db] \(name) = \(option.value)` in \(hosts[r].netdataConf!.path)" : "`\(name) = \(option.value)` in \(hosts[r].streamConf!.path)"
                    return (value, place)
                }
            }
        }
        return (86400, "Netdata's default")
    }

    func seconds(_ text: String, _ target: NetdataTarget) -> Int64? {
        if target == .v2 { return NetdataDuration.parseSeconds(text) }
        let parsed = StrToLL(text)
        return parsed.hasDigits ? parsed.value : nil
    }

    // MARK: Cycles

    /// FL304: strongly connected hosts (Tarjan, iterative) that are not one declared cluster.
    mutating func cycles() {
        var adjacency = [[Int]](repeating: [], count: hosts.count)
        var firstEdge: [Int: [Int: FleetEdge]] = [:]
        for edge in edges {
            guard let r = edge.receiver, r != edge.sender else { continue }
            if firstEdge[edge.sender]?[r] == nil {
                adjacency[edge.sender].append(r)
                firstEdge[edge.sender, default: [:]][r] = edge
            }
        }
        let components = StronglyConnected.components(adjacency)
        var clusterOf: [String: Int] = [:]
        for (i, cluster) in fleet.clusters.enumerated() { for name in cluster.hosts { clusterOf[name] = i } }
        for component in components where component.count > 1 {
            let clusterIDs = Set(component.map { clusterOf[hosts[$0].name] ?? -1 - $0 })
            if clusterIDs.count == 1, clusterIDs.first! >= 0 { continue }
            let members = Set(component)
            let start = component.min()!
            guard let r = adjacency[start].first(where: { members.contains($0) }), let edge = firstEdge[start]?[r] else { continue }
            let names = component.sorted().prefix(8).map { "`\(hosts[$0].name)`" }.joined(separator: ", ") + (component.count > 8 ? ", ..." : "")
            findings.emit("FL304", file: edge.file, line: edge.destinationOption.line + 1, column: edge.entryColumn, length: edge.entryLength,
                          "\(names) stream to each other in a cycle that is not a declared parent cluster: metrics go around (2.x bans the origin, 1.37 refuses its own GUID: \"is this an inter-agent loop?\")",
                          hint: "break the cycle, or declare these parents as a group with `cluster: true` in the fleet file")
        }
    }

    // MARK: Identity

    /// Where a host's machine GUID is written.
    mutating func emitAtGUID(_ code: String, host i: Int, _ message: String, hint: String) {
        let host = hosts[i]
        if let location = host.machineGUIDLocation, let file = fleet.file {
            findings.emit(code, file: file.path, line: location.line, column: location.column, length: location.length, message, hint: hint)
        } else if let file = host.guidFile {
            findings.emit(code, file: file.path, line: 1, column: 1, length: 36, message, hint: hint)
        }
    }

    /// FL301.
    mutating func duplicateGUIDs() {
        var first: [String: Int] = [:]
        for (i, host) in hosts.enumerated() {
            guard let guid = host.machineGUID?.lowercased() else { continue }
            if let owner = first[guid] {
                emitAtGUID("FL301", host: i,
                           "\(who(i)) has the machine GUID of \(who(owner)) (\(guid)): its parents take both for one node, refusing one while the other is connected (\"already streaming\") or mixing their data",
                           hint: "on \(host.name): stop Netdata, delete /var/lib/netdata/registry/netdata.public.unique.id, start Netdata (a new GUID is made)")
            } else {
                first[guid] = i
            }
        }
    }

    /// FL302.
    mutating func duplicateHostnames() {
        var first: [String: Int] = [:]
        for (i, host) in hosts.enumerated() {
            let name = host.hostname
            guard let owner = first[name] else { first[name] = i; continue }
            let message = "\(who(i)) streams as hostname `\(name)`, as \(who(owner)) does: its parents show two nodes with one name"
            let hint = "give each host its own `[global] hostname` in netdata.conf (or `hostname` in the fleet file)"
            if host.hostnameOverride == nil, let file = host.netdataConf, let option = file.ini.section("global")?.option("hostname") {
                findings.emit("FL302", in: file, at: option, message, hint: hint)
            } else if let location = host.location, let file = fleet.file {
                findings.emit("FL302", file: file.path, line: location.line, column: location.column, length: location.length, message, hint: hint)
            }
        }
    }

    // MARK: Keys

    /// FL501: the documentation key as a child's key, a forwarded key or a parent's section.
    mutating func documentationKeys() {
        for host in hosts {
            guard let file = host.streamConf else { continue }
            for section in file.ini.sections {
                if ExampleKeys.isDocumentationKey(section.name) {
                    findings.emit("FL501", in: file, header: section,
                                  "`\(host.name)` accepts the key from Netdata's documentation: anyone who read it can stream here",
                                  hint: "make a key with `stream-config keygen` and use it here and on the children")
                }
                for option in section.options where option.key.hasSuffix("api key") && ExampleKeys.isDocumentationKey(option.value) {
                    findings.emit("FL501", in: file, at: option,
                                  "`\(host.name)` streams with the key from Netdata's documentation: any parent that accepts it accepts anyone",
                                  hint: "make a key with `stream-config keygen`; write `\(StreamAdvice.apiKey("NEW-KEY"))` here and a `[NEW-KEY]` section on its parents")
                }
            }
        }
    }

    /// FL502: one key used by hosts of different tenants (children sending it, parents accepting it).
    mutating func sharedKeysAcrossTenants() {
        struct Use { var host: Int; var option: Option?; var section: Section? }
        var uses: [String: [Use]] = [:]
        for (i, host) in hosts.enumerated() {
            guard host.tenant != nil, let file = host.streamConf else { continue }
            if let option = file.ini.section("stream")?.option("api key"), !option.value.isEmpty {
                uses[option.value, default: []].append(Use(host: i, option: option, section: nil))
            }
            for section in file.ini.sections where section.name != "stream" && Resolver.roles(of: section).contains(.apiKey)
                && NetdataBool.read(section.value("enabled") ?? "no") {
                uses[section.name, default: []].append(Use(host: i, option: nil, section: section))
            }
        }
        for (key, list) in uses {
            guard let firstTenant = hosts[list[0].host].tenant, list.contains(where: { hosts[$0.host].tenant != firstTenant }) else { continue }
            for use in list where hosts[use.host].tenant != firstTenant {
                let host = hosts[use.host]
                let message = "\(who(use.host)) of tenant `\(host.tenant!)` uses the key that `\(hosts[list[0].host].name)` of tenant `\(firstTenant)` uses: either tenant can stream into the other's parents"
                let hint = "give tenant `\(host.tenant!)` its own key (`stream-config keygen`)"
                if let option = use.option { findings.emit("FL502", in: host.streamConf!, at: option, message, hint: hint, secrets: [key]) }
                else if let section = use.section { findings.emit("FL502", in: host.streamConf!, header: section, message, hint: hint, secrets: [key]) }
            }
        }
    }

    // MARK: The report

    /// Fleet codes that replace lint codes reported at the same line of the same file.
    static let supersedes: [String: Set<String>] = ["FL501": ["SC310", "SC311"]]

    mutating func report() -> FleetReport {
        var byFile = findings.finish()
        var files: [FleetReport.File] = []
        func add(_ lint: LintReport?, file: FleetFile, target: NetdataTarget, kind: ConfigKind) {
            var report = lint ?? LintReport(file: file.path, target: target, targetReason: "", diagnostics: [], secrets: [], kind: kind)
            if let extra = byFile.removeValue(forKey: file.path) {
                let suppressions = Suppressions(document: file.document, ini: file.ini)
                let kept = extra.filter { !suppressions.silences($0) }
                // A cross-host finding says more than the file's own at the same line: FL501 (the
                // documentation key is an error anywhere in a fleet) replaces lint's SC310/SC311.
                let replaced = Set(kept.flatMap { fleet in (Self.supersedes[fleet.code] ?? []).map { "\(fleet.line) \($0)" } })
                report.diagnostics.removeAll { replaced.contains("\($0.line) \($0.code)") }
                report.diagnostics += kept
                report.diagnostics.sort { ($0.line, $0.column, $0.code) < ($1.line, $1.column, $1.code) }
            }
            if let extra = findings.secrets[file.path] { report.secrets.formUnion(extra) }
            files.append(FleetReport.File(report: report, document: file.document))
        }
        if let file = fleet.file {
            let own = fleet.loadFindings + (byFile.removeValue(forKey: file.path) ?? [])
            if !own.isEmpty {
                let report = LintReport(file: file.path, target: .v2, targetReason: "the fleet file",
                                        diagnostics: own.sorted { ($0.line, $0.column, $0.code) < ($1.line, $1.column, $1.code) }, secrets: [])
                files.append(FleetReport.File(report: report, document: file.document))
            }
        }
        for (i, host) in hosts.enumerated() {
            if let file = host.streamConf { add(streamReports[i], file: file, target: targets[i], kind: .stream) }
            if let file = host.netdataConf { add(netdataReports[i], file: file, target: targets[i], kind: .netdata) }
            if let file = host.guidFile, byFile[file.path] != nil { add(nil, file: file, target: targets[i], kind: .stream) }
        }
        return FleetReport(files: files, hostCount: hosts.count, edgeCount: edges.filter { $0.receiver != nil }.count)
    }
}

/// Tarjan's strongly connected components, without recursion (a chain of 10,000 hosts must not
/// exhaust the stack).
enum StronglyConnected {
    static func components(_ adjacency: [[Int]]) -> [[Int]] {
        let count = adjacency.count
        var indexOf = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var result: [[Int]] = []
        var next = 0
        for root in 0..<count where indexOf[root] < 0 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            indexOf[root] = next; low[root] = next; next += 1
            stack.append(root); onStack[root] = true
            while let (node, edge) = work.last {
                if edge < adjacency[node].count {
                    work[work.count - 1].edge += 1
                    let to = adjacency[node][edge]
                    if indexOf[to] < 0 {
                        indexOf[to] = next; low[to] = next; next += 1
                        stack.append(to); onStack[to] = true
                        work.append((to, 0))
                    } else if onStack[to] {
                        low[node] = min(low[node], indexOf[to])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { low[parent] = min(low[parent], low[node]) }
                if low[node] == indexOf[node] {
                    var component: [Int] = []
                    while let top = stack.popLast() {
                        onStack[top] = false
                        component.append(top)
                        if top == node { break }
                    }
                    result.append(component)
                }
            }
        }
        return result
    }
}
