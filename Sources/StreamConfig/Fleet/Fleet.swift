/// A streaming fleet as `fleet check` sees it: hosts with the files collected from them. Pure
/// values: `StreamConfigSystem.FleetLoader` builds one from a fleet file and the host directories.
public struct Fleet: Sendable {
    public var hosts: [FleetHost]
    /// Declared parent clusters (groups with `cluster: true`): host names that may stream to each other.
    public var clusters: [FleetCluster]
    /// The fleet file itself, for findings that point at it.
    public var file: FleetFile?
    /// Findings about the fleet file and missing host files (FL0xx), made while loading.
    public var loadFindings: [Diagnostic]

    public init(hosts: [FleetHost], clusters: [FleetCluster] = [], file: FleetFile? = nil, loadFindings: [Diagnostic] = []) {
        self.hosts = hosts
        self.clusters = clusters
        self.file = file
        self.loadFindings = loadFindings
    }
}

public struct FleetCluster: Sendable, Equatable {
    public var name: String
    public var hosts: [String]

    public init(name: String, hosts: [String]) {
        self.name = name
        self.hosts = hosts
    }
}

/// The certificates a child trusts (its collected `CAfile`): `id` names the bundle among the
/// fleet's (equal bundles, equal ids); the system side reads and compares certificates.
public struct FleetCABundle: Sendable, Equatable {
    public var id: String
    public var path: String

    public init(id: String, path: String) {
        self.id = id
        self.path = path
    }
}

/// The certificate a parent serves (its collected `ssl certificate`): its SHA-256 fingerprint,
/// the ids of the fleet's CA bundles that verify it (the certificate itself, or the CA that signed
/// it), and whether it is self-signed.
public struct FleetServerCertificate: Sendable, Equatable {
    public var path: String
    public var fingerprint: String
    public var verifiedBy: Set<String>
    /// Issued by itself (as `tls init` makes it): no system CA verifies it (FL208).
    public var selfSigned: Bool

    public init(path: String, fingerprint: String, verifiedBy: Set<String>, selfSigned: Bool = false) {
        self.path = path
        self.fingerprint = fingerprint
        self.verifiedBy = verifiedBy
        self.selfSigned = selfSigned
    }
}

/// One file as read: the path findings show, and its lossless document.
public struct FleetFile: Sendable {
    public var path: String
    public var document: Document
    public let ini: Ini

    public init(path: String, document: Document) {
        self.path = path
        self.document = document
        self.ini = Ini(document)
    }

    public init(path: String, bytes: [UInt8]) { self.init(path: path, document: Document(bytes: bytes)) }
}

/// A place in the fleet file (1-based line and column), where a host's value is written.
public struct FleetLocation: Sendable, Equatable {
    public var line: Int
    public var column: Int
    public var length: Int

    public init(line: Int, column: Int, length: Int = 1) {
        self.line = line
        self.column = column
        self.length = max(1, length)
    }
}

public struct FleetHost: Sendable {
    /// The host's name in the fleet file (what destinations may name too).
    public var name: String
    /// The address its parents see it connect from.
    public var address: String
    /// `netdata: 1.37 | 2`; nil: inferred from its stream.conf as `lint` does.
    public var target: NetdataTarget?
    /// `tenant`: hosts of different tenants must not share a key.
    public var tenant: String?
    /// `hostname` from the fleet file; else netdata.conf `[global] hostname`; else `name`.
    public var hostnameOverride: String?
    /// The machine GUID: from the fleet file (`machine_guid`), else the collected
    /// `netdata.public.unique.id`.
    public var machineGUID: String?
    /// Where `machine_guid` is written in the fleet file (nil when it comes from `guidFile`).
    public var machineGUIDLocation: FleetLocation?
    public var streamConf: FleetFile?
    public var netdataConf: FleetFile?
    public var guidFile: FleetFile?
    /// The host's entry in the fleet file.
    public var location: FleetLocation?
    public var groups: [String]
    /// `fleet render`: the hosts it streams to (`streams_to`), and who owns its key: the group
    /// whose `vars` set `streams_to` (one key per group), else the host itself (`key_scope: host`
    /// makes every host own its key).
    public var streamsTo: [String] = []
    public var keyOwner: String = ""
    public var streamsToLocation: FleetLocation? = nil
    /// `fleet render`: `ca_file`, the path on this host of the certificate (or CA) that verifies
    /// its TLS parents (`CAfile` in its `[stream]`).
    public var caFile: String? = nil
    /// `fleet render`: `tls_key` and `tls_certificate`, the paths on this host of the key and
    /// certificate it serves TLS with (`[web] ssl key` and `ssl certificate`).
    public var tlsKey: String? = nil
    public var tlsCertificate: String? = nil
    /// `fleet check`: the collected copy of the file its `[stream] CAfile` names (what a TLS
    /// child trusts), when there is one.
    public var caBundle: FleetCABundle? = nil
    /// `fleet check`: the collected copy of its `[web] ssl certificate`, and which CA bundles of
    /// the fleet verify it.
    public var serverCertificate: FleetServerCertificate? = nil

    public init(name: String, address: String, target: NetdataTarget? = nil, tenant: String? = nil, hostnameOverride: String? = nil,
                machineGUID: String? = nil, machineGUIDLocation: FleetLocation? = nil, streamConf: FleetFile? = nil,
                netdataConf: FleetFile? = nil, guidFile: FleetFile? = nil, location: FleetLocation? = nil, groups: [String] = []) {
        self.name = name
        self.address = address
        self.target = target
        self.tenant = tenant
        self.hostnameOverride = hostnameOverride
        self.machineGUID = machineGUID
        self.machineGUIDLocation = machineGUIDLocation
        self.streamConf = streamConf
        self.netdataConf = netdataConf
        self.guidFile = guidFile
        self.location = location
        self.groups = groups
    }

    /// The hostname Netdata sends in its STREAM request.
    public var hostname: String {
        if let hostnameOverride, !hostnameOverride.isEmpty { return hostnameOverride }
        if let value = netdataConf?.ini.section("global")?.value("hostname"), !value.isEmpty { return value }
        return name
    }

    /// The machine GUID as Netdata reads the registry file: its first 36 bytes, lowercase.
    public static func machineGUID(fromRegistryFile bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes.prefix(36), as: UTF8.self)
        return UUIDSyntax.isUUID(text) ? text.lowercased() : nil
    }
}
