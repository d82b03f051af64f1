/// `doctor --parent`: why children cannot stream to this node, from its stream.conf and
/// netdata.conf (protocol spec 1.6-1.7, stream-conf spec 2.5).
public enum ParentChecks {
    public static func check(streamConf: Ini, netdataConf: Ini?, target: NetdataTarget) -> [Diagnosis] {
        var results: [Diagnosis] = []
        let keys = streamConf.sections.filter { section in
            section.name != "stream" && !["API_KEY", "MACHINE_GUID"].contains(section.name)
                && (section.value("type") ?? "api") == "api" && UUIDSyntax.isUUID(section.name)
        }
        let enabledKeys = keys.filter { NetdataBool.read($0.value("enabled") ?? "no") }
        if enabledKeys.isEmpty {
            results.append(Diagnosis(verdict: .misconfigured, code: "no-enabled-key",
                                     summary: keys.isEmpty ? "stream.conf has no API key section: this parent refuses every child"
                                         : "none of the \(keys.count) API key sections is enabled: this parent refuses every child",
                                     fix: "add one: `stream-config parent add-key` (prints the key for the children)"))
        } else {
            results.append(Diagnosis(verdict: .accepted, code: "keys",
                                     summary: "\(enabledKeys.count) enabled API key\(enabledKeys.count == 1 ? "" : "s")", fix: nil))
        }
        guard let web = netdataConf?.section("web") else { return results }

        let bind = web.value("bind to") ?? web.value("bind socket to IP")
        if let bind {
            let entries = bind.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            let hosts = entries.map { hostOf($0) }
            if !hosts.isEmpty, hosts.allSatisfy({ ["127.0.0.1", "localhost", "::1", "[::1]"].contains($0) }) {
                results.append(Diagnosis(verdict: .misconfigured, code: "bound-to-loopback",
                                         summary: "netdata.conf `[web] bind to = \(bind)`: the parent listens on loopback only, so remote children cannot connect (Debian's default)",
                                         fix: "listen on the address children use, e.g. `bind to = 0.0.0.0:19999` or `bind to = 10.0.0.5:19999`, then restart Netdata"))
            }
            if entries.contains(where: { $0.contains("SSL=force") }) {
                results.append(Diagnosis(verdict: .misconfigured, code: "tls-forced",
                                         summary: "netdata.conf forces TLS on `\(bind)`: children must use `:SSL` in their destination, or they get HTTP 400 (\"not understood\")",
                                         fix: "on each child: `stream-config child set --ssl --ca-file parent.pem ...`"))
            }
        }
        if let allow = web.value("allow streaming from") {
            let pattern = SimplePattern(allow)
            if pattern.words.isEmpty || pattern.words.allSatisfy(\.negative) {
                results.append(Diagnosis(verdict: .misconfigured, code: "streaming-acl-empty",
                                         summary: "netdata.conf `[web] allow streaming from = \(allow)` matches no address: every child is refused before stream.conf is read",
                                         fix: "allow the children's addresses, e.g. `allow streaming from = 10.* localhost`, or `*`"))
            } else if !pattern.matches("10.0.0.1") && !pattern.matches("192.168.1.1") && !pattern.matches("172.16.0.1") {
                results.append(Diagnosis(verdict: .refused, code: "streaming-acl",
                                         summary: "netdata.conf `[web] allow streaming from = \(allow)`: children from other addresses are refused (\"You are not allowed to access this resource\")",
                                         fix: "make sure it matches every child's address"))
            }
        }
        let hasKey = web.value("ssl key").map { !$0.isEmpty } ?? false
        let hasCertificate = web.value("ssl certificate").map { !$0.isEmpty } ?? false
        if hasKey != hasCertificate {
            results.append(Diagnosis(verdict: .misconfigured, code: "tls-incomplete",
                                     summary: "netdata.conf sets only one of `[web] ssl key` and `ssl certificate`: TLS is not served",
                                     fix: "set both (`stream-config tls init --netdata-conf /etc/netdata/netdata.conf`)"))
        }
        return results
    }

    /// `IP:PORT^SSL=...`, `[v6]:PORT`, `unix:/path`: the host part.
    static func hostOf(_ entry: String) -> String {
        let withoutOptions = entry.split(separator: "^").first.map(String.init) ?? entry
        if withoutOptions.hasPrefix("[") { return String(withoutOptions.prefix { $0 != "]" }) + "]" }
        if withoutOptions.filter({ $0 == ":" }).count > 1 { return withoutOptions }
        return withoutOptions.split(separator: ":").first.map(String.init) ?? withoutOptions
    }
}
