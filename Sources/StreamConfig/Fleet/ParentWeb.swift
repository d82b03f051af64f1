/// How a parent's web server takes connections, from its netdata.conf (where it listens and its
/// default port as `WebListen` reads them; `ssl key` and `ssl certificate`; the access lists).
/// Without a collected netdata.conf: Netdata's built-in defaults (every address, port 19999, no
/// TLS, no access list).
struct ParentWeb {
    /// The entries Netdata can listen on (not UDP, not unix, no `^SSL` glued to the port).
    var entries: [BindTo.Entry]
    var listen: WebListen
    var bindOption: Option? { listen.bindOption }
    var defaultPort: Int { listen.defaultPort }
    var hasCertificate: Bool
    var allowConnections: Option?
    var allowStreaming: Option?
    /// Whether netdata.conf was collected (TLS and access lists are judged only then).
    var known: Bool

    init(netdataConf: Ini?) {
        let web = netdataConf?.section("web")
        listen = WebListen(netdataConf)
        entries = listen.bind.entries.filter { !$0.caretInPort && !$0.isUDP && !$0.isUnix }
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
        let port = listen.portOption.map { ", \(listen.portPlace.name) = \($0.value)" } ?? ""
        if let bindOption { return "`\(bindOption.key) = \(bindOption.value)`\(listen.bindName == "[web] bind to" ? "" : " in [\(listen.bindPlace.section)]")\(port)" }
        return "no `bind to` (every address, port \(defaultPort)\(port.isEmpty ? "" : " from `\(listen.portPlace.name)`"))"
    }
}
