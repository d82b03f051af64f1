/// Which host of the fleet a destination names: by its `address`, else by its fleet name
/// (case-insensitive, as DNS names are). Built once; every look-up is a dictionary hit.
public struct FleetIndex: Sendable {
    private var byAddress: [String: Int] = [:]
    private var byName: [String: Int] = [:]

    public init(_ hosts: [FleetHost]) {
        byAddress.reserveCapacity(hosts.count)
        byName.reserveCapacity(hosts.count)
        for (index, host) in hosts.enumerated() {
            if byAddress[host.address] == nil { byAddress[host.address] = index }
            let name = host.name.lowercased()
            if byName[name] == nil { byName[name] = index }
        }
    }

    /// The host a destination's host part names; nil outside the fleet (and for loopback, which
    /// is always the sender itself).
    public func host(named text: String) -> Int? {
        if let found = byAddress[text] { return found }
        return byName[text.lowercased()]
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// One stream from a sender to a destination: a child's own `[stream] destination` entry, or a
/// parent forwarding a child it received (`proxy destination`).
public struct FleetEdge: Sendable {
    /// The host that opens the connection (its address is what the receiver sees).
    public var sender: Int
    /// The host whose metrics travel (the child for a proxied stream); its machine GUID and
    /// hostname are in the request.
    public var origin: Int
    /// The fleet host the destination names; nil outside the fleet.
    public var receiver: Int?
    public var destination: Destination
    /// The port the sender connects to (the entry's, else the sender's `[stream] default port`);
    /// nil for a service name.
    public var port: Int?
    /// The option holding the destination, and the file it is in.
    public var destinationOption: Option
    /// The key sent, and the option it comes from (nil when the key is empty).
    public var apiKey: String?
    public var apiKeyOption: Option?
    public var file: String
    public var target: NetdataTarget
    /// For a proxied stream: the edge that brought the origin's stream to the sender.
    public var proxied: Bool

    /// 1-based column and length of the entry within its line, for findings.
    public var entryColumn: Int { destinationOption.valueRange.lowerBound + destination.offset + 1 }
    public var entryLength: Int { destination.raw.utf8.count }
}

enum FleetEdges {
    /// The direct edges of one host: its `[stream] destination` entries when sending is on
    /// (with a destination and a key, as Netdata requires).
    static func direct(host: Int, stream: Section?, file: String, target: NetdataTarget, index: FleetIndex) -> [FleetEdge] {
        guard let stream, NetdataBool.read(stream.value("enabled") ?? "no"),
              let destinationOption = stream.option("destination"), !destinationOption.value.isEmpty,
              let keyOption = stream.option("api key"), !keyOption.value.isEmpty else { return [] }
        let defaultPort = ProxyCascade.defaultPort(stream)
        return DestinationList.parse(destinationOption.value, target: target).map { destination in
            FleetEdge(sender: host, origin: host, receiver: receiver(destination, index: index), destination: destination,
                      port: destination.port == nil || destination.port == "" ? defaultPort : destination.numericPort,
                      destinationOption: destinationOption, apiKey: keyOption.value, apiKeyOption: keyOption, file: file,
                      target: target, proxied: false)
        }
    }

    static func receiver(_ destination: Destination, index: FleetIndex) -> Int? {
        guard destination.transport == .tcp, !destination.host.isEmpty, !FleetIndex.isLoopback(destination.host) else { return nil }
        return index.host(named: destination.host)
    }
}
