/// How a parent's web server takes connections, from its netdata.conf (`[web] bind to`, else
/// `[global] bind socket to IP`; `default port`; `ssl key` and `ssl certificate`; the access
/// lists). Without a collected netdata.conf: Netdata's built-in defaults (every address, port
/// 19999, no TLS, no access list).
struct ParentWeb {
    /// The entries Netdata can listen on (not UDP, not unix, no `^SSL` glued to the port).
    var entries: [BindTo.Entry]
    var bindOption: Option?
    var defaultPort: Int
    var hasCertificate: Bool
    var allowConnections: Option?
    var allowStreaming: Option?
    /// Whether netdata.conf was collected (TLS and access lists are judged only then).
    var known: Bool

    init(netdataConf: Ini?) {
        let web = netdataConf?.section("web")
        bindOption = web?.option("bind to") ?? netdataConf?.section("global")?.option("bind socket to IP")
        let bind = BindTo(bindOption?.value ?? "*")
        entries = bind.entries.filter { !$0.caretInPort && !$0.isUDP && !$0.isUnix }
        if let text = web?.value("default port") {
            let parsed = StrToLL(text)
            defaultPort = parsed.hasDigits && (1...65535).contains(parsed.value) ? Int(parsed.value) : 19999
        } else {
            defaultPort = 19999
        }
        hasCertificate = !(web?.value("ssl key") ?? "").isEmpty && !(web?.value("ssl certificate") ?? "").isEmpty
        allowConnections = web?.option("allow connections from")
        allowStreaming = web?.option("allow streaming from")
        known = netdataConf != nil
    }

    func port(of entry: BindTo.Entry) -> Int? { entry.port == nil ? defaultPort : entry.numericPort }

    /// Every port it listens on, for messages.
    var ports: [Int] {
        var seen: [Int] = []
        for entry in entries { if let port = port(of: entry), !seen.contains(port) { seen.append(port) } }
        return seen
    }

    var listensText: String {
        if let bindOption { return "`\(bindOption.key) = \(bindOption.value)`" }
        return "no `bind to` (every address, port \(defaultPort))"
    }
}
