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
        guard let netdataConf else { return results }
        let web = netdataConf.section("web")

        // `[web] bind to` wins; Netdata moves the old `[global] bind socket to IP` there only when it is absent.
        if let (bind, name) = web?.value("bind to").map({ ($0, "[web] bind to") })
            ?? netdataConf.section("global")?.value("bind socket to IP").map({ ($0, "[global] bind socket to IP") }) {
            results += bindChecks(BindTo(bind), value: bind, name: name)
        }
        if let allow = web?.value("allow streaming from") {
            let pattern = SimplePattern(allow)
            if pattern.words.isEmpty || pattern.words.allSatisfy(\.negative) {
                results.append(Diagnosis(verdict: .misconfigured, code: "streaming-acl-empty",
                                         summary: "netdata.conf `[web] allow streaming from = \(allow)` matches no address: every child is refused before stream.conf is read",
                                         fix: "allow the children's addresses, e.g. `\(Advice.allowStreamingFrom())`, or `*`"))
            } else if !pattern.matches("10.0.0.1") && !pattern.matches("192.168.1.1") && !pattern.matches("172.16.0.1") {
                results.append(Diagnosis(verdict: .refused, code: "streaming-acl",
                                         summary: "netdata.conf `[web] allow streaming from = \(allow)`: children from other addresses are refused (\"You are not allowed to access this resource\")",
                                         fix: "make sure it matches every child's address"))
            }
        }
        let hasKey = web?.value("ssl key").map { !$0.isEmpty } ?? false
        let hasCertificate = web?.value("ssl certificate").map { !$0.isEmpty } ?? false
        if hasKey != hasCertificate {
            results.append(Diagnosis(verdict: .misconfigured, code: "tls-incomplete",
                                     summary: "netdata.conf sets only one of `[web] ssl key` and `ssl certificate`: TLS is not served",
                                     fix: "set both (`stream-config tls init --netdata-conf /etc/netdata/netdata.conf`)"))
        }
        return results
    }

    /// `bind to` as Netdata reads it: entries that cannot listen, loopback only, TLS forced.
    static func bindChecks(_ bind: BindTo, value: String, name: String) -> [Diagnosis] {
        var results: [Diagnosis] = []
        let broken = bind.entries.filter(\.caretInPort)
        for entry in broken {
            let port = entry.port ?? ""
            let address = "\(entry.host ?? "*"):\(port.prefix { $0 != "^" })"
            let exits = broken.count == bind.entries.count
            results.append(Diagnosis(verdict: .misconfigured, code: "bind-to-unlistenable",
                                     summary: "netdata.conf `\(name) = \(value)`: Netdata reads `\(port)` as the port of `\(entry.text)` and cannot listen there" + (exits ? "; with no other entry it exits (\"Cannot listen on any API socket\")" : ""),
                                     fix: "put the access list before ^SSL: `\(Advice.bindTo(entry.tls == .optional ? .tlsOptional : .tlsForced, address: address))`, then restart Netdata"))
        }
        let listening = bind.entries.filter { !$0.caretInPort && !$0.isUDP }
        if bind.loopbackOnly {
            results.append(Diagnosis(verdict: .misconfigured, code: "bound-to-loopback",
                                     summary: "netdata.conf `\(name) = \(value)`: the parent listens on loopback only, so remote children cannot connect (Debian's default)",
                                     fix: "listen on the address children use, e.g. `\(Advice.listenOnEveryAddress)` or `\(Advice.bindTo(.everything, address: "10.0.0.5:19999"))`, then restart Netdata"))
        }
        if !listening.isEmpty, !listening.contains(where: { $0.access.contains(.streaming) }) {
            results.append(Diagnosis(verdict: .misconfigured, code: "bind-to-no-streaming",
                                     summary: "netdata.conf `\(name) = \(value)`: no port's access list includes `streaming`, so every child is refused",
                                     fix: "add `streaming` to an access list, e.g. `\(Advice.bindTo(.tlsForced))`"))
        }
        let forced = listening.filter { $0.access.contains(.streaming) && $0.tls == .force }
        if !forced.isEmpty {
            let plain = listening.filter { $0.access.contains(.streaming) && $0.tls != .force }
            results.append(Diagnosis(verdict: plain.isEmpty ? .misconfigured : .accepted, code: "tls-forced",
                                     summary: "netdata.conf forces TLS on `\(forced.map(\.text).joined(separator: " "))`: children streaming there must use `:SSL` in their destination, or they are refused (HTTP 400)"
                                         + (plain.isEmpty ? "" : "; `\(plain.map(\.text).joined(separator: " "))` also takes plaintext"),
                                     fix: "on each child: `stream-config child set --ssl --ca-file parent.pem ...`"))
        }
        return results
    }
}
