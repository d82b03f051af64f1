/// `doctor --parent`: why children cannot stream to this node, from its stream.conf and
/// netdata.conf (protocol spec 1.6-1.7, stream-conf spec 2.5). Findings about netdata.conf
/// start with `FILE:LINE:` of the line to change.
public enum ParentChecks {
    /// - Parameter netdataFile: the name of netdata.conf in messages (its path).
    public static func check(streamConf: Ini, netdataConf: Ini?, netdataFile: String = "netdata.conf", target: NetdataTarget) -> [Diagnosis] {
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
        let listen = WebListen(netdataConf)
        func at(_ option: Option) -> String { "\(netdataFile):\(option.line + 1)" }

        if let option = listen.bindOption {
            results += bindChecks(BindTo(option.value), option: option, name: listen.bindName, file: netdataFile, defaultPort: listen.defaultPort)
        }
        if let option = web?.option("allow streaming from") {
            let allow = option.value
            let pattern = SimplePattern(allow)
            if pattern.words.isEmpty || pattern.words.allSatisfy(\.negative) {
                results.append(Diagnosis(verdict: .misconfigured, code: "streaming-acl-empty",
                                         summary: "\(at(option)): `[web] allow streaming from = \(allow)` matches no address: every child is refused before stream.conf is read",
                                         fix: "allow the children's addresses, e.g. `\(Advice.allowStreamingFrom())`, or `*`"))
            } else if !pattern.matches("10.0.0.1") && !pattern.matches("192.168.1.1") && !pattern.matches("172.16.0.1") {
                results.append(Diagnosis(verdict: .refused, code: "streaming-acl",
                                         summary: "\(at(option)): `[web] allow streaming from = \(allow)`: children from other addresses are refused (\"You are not allowed to access this resource\")",
                                         fix: "make sure it matches every child's address"))
            }
        }
        let key = web?.option("ssl key").flatMap { $0.value.isEmpty ? nil : $0 }
        let certificate = web?.option("ssl certificate").flatMap { $0.value.isEmpty ? nil : $0 }
        if let only = key ?? certificate, (key == nil) != (certificate == nil) {
            results.append(Diagnosis(verdict: .misconfigured, code: "tls-incomplete",
                                     summary: "\(at(only)): netdata.conf sets only `[web] \(only.key)`, not `\(only.key == "ssl key" ? "ssl certificate" : "ssl key")`: TLS is not served",
                                     fix: "set both (`stream-config tls init --netdata-conf \(netdataFile)`)"))
        }
        return results
    }

    /// Where Netdata's web server listens: the core's one reader (lint and `fleet check` use it too).
    public typealias WebListen = StreamConfig.WebListen

    /// `bind to` as Netdata reads it: entries that cannot listen, loopback only, TLS forced.
    /// `defaultPort`: the port of entries without one (`WebListen.defaultPort`), named in messages.
    static func bindChecks(_ bind: BindTo, option: Option, name: String, file: String, defaultPort: Int = 19999) -> [Diagnosis] {
        var results: [Diagnosis] = []
        let value = option.value
        let location = "\(file):\(option.line + 1)"
        let written = "`\(option.key) = \(value)`"
        let said = name == "[web] bind to" ? "`[web] bind to = \(value)`" : "\(written) (\(name), which Netdata reads as `[web] bind to`)"
        let broken = bind.entries.filter(\.caretInPort)
        for entry in broken {
            let port = entry.port ?? ""
            let address = "\(entry.host ?? "*"):\(port.prefix { $0 != "^" })"
            let exits = broken.count == bind.entries.count
            results.append(Diagnosis(verdict: .misconfigured, code: "bind-to-unlistenable",
                                     summary: "\(location): \(said): Netdata reads `\(port)` as the port of `\(entry.text)` and cannot listen there" + (exits ? "; with no other entry it exits (\"Cannot listen on any API socket\")" : ""),
                                     fix: "put the access list before ^SSL: `\(Advice.bindTo(entry.tls == .optional ? .tlsOptional : .tlsForced, address: address))`, then restart Netdata"))
        }
        let listening = bind.entries.filter { !$0.caretInPort && !$0.isUDP }
        if bind.loopbackOnly {
            let onPorts = ports(listening, defaultPort).isEmpty ? "" : " (port \(ports(listening, defaultPort)))"
            results.append(Diagnosis(verdict: .misconfigured, code: "bound-to-loopback",
                                     summary: "\(location): \(said): the parent listens on loopback only\(onPorts), so children on other machines cannot connect (Debian's netdata.conf ships `bind socket to IP = 127.0.0.1`)",
                                     fix: "\(Advice.listenOnEveryAddressFix(file: file, option: option)), then restart Netdata"))
        }
        if !listening.isEmpty, !listening.contains(where: { $0.access.contains(.streaming) }) {
            results.append(Diagnosis(verdict: .misconfigured, code: "bind-to-no-streaming",
                                     summary: "\(location): \(said): no port's access list includes `streaming`, so every child is refused",
                                     fix: "add `streaming` to an access list, e.g. `\(Advice.bindTo(.tlsForced))`"))
        }
        let forced = listening.filter { $0.access.contains(.streaming) && $0.tls == .force }
        if !forced.isEmpty {
            let plain = listening.filter { $0.access.contains(.streaming) && $0.tls != .force }
            if plain.isEmpty {
                results.append(Diagnosis(verdict: .misconfigured, code: "tls-forced",
                                         summary: "\(location): netdata.conf forces TLS on `\(forced.map(\.text).joined(separator: " "))`, every streaming port: children must use `:SSL` in their destination, or they are refused (HTTP 400)",
                                         fix: "on each child: `stream-config child set --ssl --ca-file parent.pem ...`"))
            } else {
                // Not a problem by itself: a fact children need to know.
                results.append(Diagnosis(verdict: .accepted, code: "tls-forced",
                                         summary: "\(location): TLS only on `\(forced.map(\.text).joined(separator: " "))` (children there use `:SSL`); `\(plain.map(\.text).joined(separator: " "))` takes plaintext children too",
                                         fix: nil))
            }
        }
        return results
    }

    /// `19999`, `19999, 20000`: the ports `entries` listen on, `defaultPort` for those without one.
    static func ports(_ entries: [BindTo.Entry], _ defaultPort: Int) -> String {
        var seen: [String] = []
        for entry in entries where !entry.isUnix {
            let port = entry.port.map { entry.numericPort.map(String.init) ?? $0 } ?? String(defaultPort)
            if !seen.contains(port) { seen.append(port) }
        }
        return seen.joined(separator: ", ")
    }
}
