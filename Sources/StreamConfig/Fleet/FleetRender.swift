/// The API keys of a rendered fleet, by owner (a group, or a host with `key_scope: host`, or
/// `cluster:NAME` for a parent cluster): made once, then reused, so rendering again changes
/// nothing. Its text is one `OWNER KEY` line per key; the file is 0600 beside the fleet file.
public struct FleetKeyStore: Sendable, Equatable {
    public private(set) var keys: [String: String] = [:]
    /// Whether a key was made since it was read.
    public private(set) var changed = false

    public init() {}

    /// Reads `OWNER KEY` lines (blank lines and `#` comments skipped); other lines are refused.
    public init(text: String) throws {
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(line).trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 2, UUIDSyntax.classify(String(words[1])) == .canonical else {
                throw FleetRenderError("line \(number + 1) of the key store is not `OWNER KEY` with a lowercase UUID")
            }
            keys[String(words[0])] = String(words[1])
        }
    }

    public var text: String {
        "# stream-config fleet render: API keys by owner (group, host, or cluster:NAME). Keep it 0600.\n"
            + keys.keys.sorted().map { "\($0) \(keys[$0]!)\n" }.joined()
    }

    public mutating func key(for owner: String, generate: () -> String) -> String {
        if let key = keys[owner] { return key }
        let key = generate()
        keys[owner] = key
        changed = true
        return key
    }
}

public struct FleetRenderError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What `fleet render` writes for one host: its stream.conf, and netdata.conf when it receives.
public struct FleetRenderedHost: Sendable {
    public var name: String
    public var streamConf: Document
    public var netdataConf: Document?
}

/// `fleet render`: the streaming lines of every host from the fleet's roles.
///
/// - a host with `streams_to` sends to those hosts, in order, at their `address` and port
///   19999, with its owner's key (one per group, or per host);
/// - the hosts of a group with `cluster: true` also stream to each other (2.x active-active
///   parents);
/// - every host that receives gets, per key, a section with `type = api`, `enabled = yes` and
///   `allow from` listing exactly the addresses that send that key to it, and in netdata.conf a
///   `[web] bind to` on every address (the old `[global] bind socket to IP` and
///   `[global] bind to`, which it would make ignored, are removed);
/// - a receiver that also sends forwards its children (Netdata's default), and its parents
///   accept its key from its address, so chains pass `fleet check`;
/// - TLS: a receiver with `tls_key` and `tls_certificate` (written as `[web] ssl key` and
///   `ssl certificate`), or whose collected netdata.conf has both, serves TLS only
///   (`bind to = *:19999=...^SSL=force`), and its senders use `:SSL` to it, with `CAfile` =
///   their `ca_file`; a sender without `ca_file` (and no `CAfile` or `CApath` in its collected
///   stream.conf) is refused, since the system's CAs would not verify a `tls init` certificate.
///
/// Each file starts from the host's collected one (only streaming lines change, every other
/// byte stays) or, without one, from `stock` (Netdata's stock stream.conf) or nothing.
public enum FleetRenderer {
    public static let port = 19999

    public static func render(_ fleet: Fleet, keys: inout FleetKeyStore, stock: Document? = nil,
                              generateKey: () -> String = KeyGenerator.randomKey) throws -> [FleetRenderedHost] {
        let hosts = fleet.hosts
        var byName: [String: Int] = [:]
        for (i, host) in hosts.enumerated() { byName[host.name] = i }
        var destinations = [[Int]](repeating: [], count: hosts.count)
        var senderKey = [String?](repeating: nil, count: hosts.count)
        for (i, host) in hosts.enumerated() where !host.streamsTo.isEmpty {
            for name in host.streamsTo {
                guard let r = byName[name] else { throw FleetRenderError("`\(host.name)` streams to `\(name)`, which is not a host of the fleet") }
                guard r != i else { throw FleetRenderError("`\(host.name)` streams to itself") }
                if !destinations[i].contains(r) { destinations[i].append(r) }
            }
            senderKey[i] = keys.key(for: host.keyOwner.isEmpty ? host.name : host.keyOwner, generate: generateKey)
        }
        for cluster in fleet.clusters {
            let members = cluster.hosts.compactMap { byName[$0] }
            for m in members {
                for other in members where other != m && !destinations[m].contains(other) { destinations[m].append(other) }
                if senderKey[m] == nil && members.count > 1 { senderKey[m] = keys.key(for: "cluster:\(cluster.name)", generate: generateKey) }
            }
        }
        // Per receiver: key -> the addresses that send it there, in fleet order.
        var accepts = [[(key: String, addresses: [String])]](repeating: [], count: hosts.count)
        for (i, list) in destinations.enumerated() {
            guard let key = senderKey[i] else { continue }
            for r in list {
                if let k = accepts[r].firstIndex(where: { $0.key == key }) {
                    if !accepts[r][k].addresses.contains(hosts[i].address) { accepts[r][k].addresses.append(hosts[i].address) }
                } else {
                    accepts[r].append((key, [hosts[i].address]))
                }
            }
        }
        // Receivers that serve TLS: given a key and a certificate, or their collected netdata.conf has both.
        for host in hosts where (host.tlsKey == nil) != (host.tlsCertificate == nil) {
            throw FleetRenderError("`\(host.name)`: give both `tls_key` and `tls_certificate` (the files it serves TLS with), or neither")
        }
        let servesTLS = hosts.map { $0.tlsCertificate != nil || ParentWeb(netdataConf: $0.netdataConf?.ini).hasCertificate }
        var result: [FleetRenderedHost] = []
        result.reserveCapacity(hosts.count)
        for (i, host) in hosts.enumerated() {
            var stream = ConfigEditor(host.streamConf?.document ?? stock ?? Document(""))
            do {
                if let key = senderKey[i], !destinations[i].isEmpty {
                    let tls = destinations[i].contains { servesTLS[$0] }
                    if tls, host.caFile == nil, !Self.hasTrustAnchor(stream.ini) {
                        let parents = destinations[i].filter { servesTLS[$0] }.map { "`\(hosts[$0].name)`" }.joined(separator: ", ")
                        let owner = host.groups.isEmpty ? "the host" : "the host or its group\(host.groups.count == 1 ? "" : "s") (\(host.groups.map { "`\($0)`" }.joined(separator: ", ")))"
                        throw FleetRenderError("`\(host.name)` streams to the TLS parent\(parents.contains(",") ? "s" : "") \(parents) but has no `ca_file`: its `:SSL` destination would verify the parent against the system's CAs only, which refuse a self-signed certificate from `tls init`; set `ca_file` in the vars of \(owner) to the path, on that host, of the parent's certificate (or the CA that signed it; for a certificate from a public CA, the system bundle such as /etc/ssl/certs/ca-certificates.crt)")
                    }
                    try stream.setChild(destinations: destinations[i].map { entry(hosts[$0].address, tls: servesTLS[$0]) }, apiKey: key,
                                        caFile: tls ? host.caFile : nil)
                } else if stream.value(section: "stream", key: "enabled") == nil {
                    let off = StreamAdvice.option(StreamAdvice.disableSending)
                    try stream.set(section: "stream", key: off.key, value: off.value)
                }
                for accepted in accepts[i] {
                    let allow = accepted.addresses.joined(separator: " ")
                    if stream.ini.section(accepted.key) == nil {
                        try stream.addAPIKey(key: accepted.key, allowFrom: allow)
                    } else {
                        for line in StreamAdvice.keySection(allowFrom: allow) {
                            let option = StreamAdvice.option(line)
                            try stream.set(section: accepted.key, key: option.key, value: option.value)
                        }
                    }
                }
            } catch {
                throw FleetRenderError("`\(host.name)`: \(error)")
            }
            var netdata: Document? = nil
            if !accepts[i].isEmpty {
                var editor = ConfigEditor(host.netdataConf?.document ?? Document(""))
                do {
                    let bind = StreamAdvice.option(Advice.bindTo(servesTLS[i] ? .tlsForced : .everything, address: "*:\(port)"))
                    try editor.set(section: "web", key: bind.key, value: bind.value)
                    for old in WebListen.bindPlaces.dropFirst() where editor.value(section: old.section, key: old.key) != nil {
                        try editor.unset(section: old.section, key: old.key)
                    }
                    if let key = host.tlsKey, let certificate = host.tlsCertificate {
                        for line in [Advice.sslKey(key), Advice.sslCertificate(certificate)] {
                            let option = StreamAdvice.option(line)
                            try editor.set(section: "web", key: option.key, value: option.value)
                        }
                    }
                } catch {
                    throw FleetRenderError("`\(host.name)` netdata.conf: \(error)")
                }
                netdata = editor.document
            }
            result.append(FleetRenderedHost(name: host.name, streamConf: stream.document, netdataConf: netdata))
        }
        return result
    }

    /// Whether a stream.conf already names what verifies its TLS parents (an active `CAfile` or
    /// `CApath` in `[stream]`; render keeps them when the fleet gives no `ca_file`).
    static func hasTrustAnchor(_ ini: Ini) -> Bool {
        let stream = ini.section("stream")
        return ["CAfile", "CApath"].contains { !(stream?.value($0) ?? "").isEmpty }
    }

    /// A destination entry for an address (IPv6 in brackets), `:SSL` for a TLS parent.
    static func entry(_ address: String, tls: Bool = false) -> String {
        let plain = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        return tls ? StreamAdvice.tlsEntry(plain) : plain
    }
}

extension FleetRenderer {
    /// The fleet file of the rendered fleet: every host at its address, its files under hosts/NAME.
    public static func fleetFile(_ fleet: Fleet) -> String {
        func quoted(_ text: String) -> String {
            var out = "\""
            for character in text {
                if character == "\\" || character == "\"" { out.append("\\") }
                out.append(character)
            }
            return out + "\""
        }
        var text = "# written by stream-config fleet render\nhosts:\n"
        for host in fleet.hosts {
            text += "  \(quoted(host.name)): {address: \(quoted(host.address)), config: \(quoted("hosts/" + host.name))"
            if let target = host.target { text += ", netdata: \(quoted(target.rawValue))" }
            if let tenant = host.tenant { text += ", tenant: \(quoted(tenant))" }
            text += "}\n"
        }
        if !fleet.clusters.isEmpty {
            text += "groups:\n"
            for cluster in fleet.clusters {
                text += "  \(quoted(cluster.name)): {cluster: true, hosts: [\(cluster.hosts.map(quoted).joined(separator: ", "))]}\n"
            }
        }
        return text
    }
}
