/// Every stream.conf option of one Netdata line (spec section 2), with the defaults taken from
/// Netdata's code, not its documentation.
public final class Schema: Sendable {
    public let target: NetdataTarget
    public let options: [OptionSpec]
    public let renames: [Rename]
    /// Names Netdata never reads, with the reason.
    public let deadKeys: [String: String]

    public static func forTarget(_ target: NetdataTarget) -> Schema {
        target == .v1_37 ? v1 : v2
    }

    private let byName: [String: [OptionSpec]]
    private let renameByOld: [String: Rename]

    init(target: NetdataTarget, options: [OptionSpec], renames: [Rename], deadKeys: [String: String]) {
        self.target = target
        self.options = options
        self.renames = renames
        self.deadKeys = deadKeys
        self.byName = Dictionary(grouping: options, by: \.name)
        self.renameByOld = Dictionary(uniqueKeysWithValues: renames.map { ($0.old, $0) })
    }

    public func spec(_ name: String, role: SectionRole) -> OptionSpec? {
        byName[name]?.first { $0.roleBits & role.bit != 0 }
    }

    /// The spec of `name` for the first of these roles (`SectionRole.bits`, in `Resolver.allRoles`
    /// order) that reads it, without following renames: `Resolver.spec` with one look-up.
    func spec(_ name: String, roleBits: UInt8) -> OptionSpec? {
        guard let specs = byName[name] else { return nil }
        for role in Resolver.allRoles where roleBits & role.bit != 0 {
            if let spec = specs.first(where: { $0.roleBits & role.bit != 0 }) { return spec }
        }
        return nil
    }

    public func specs(named name: String) -> [OptionSpec] {
        byName[name] ?? []
    }

    public func rename(of name: String) -> Rename? {
        renameByOld[name]
    }

    public var allNames: [String] {
        var seen = Set<String>()
        return options.map(\.name).filter { seen.insert($0).inserted }
    }

    static let s: Set<SectionRole> = [.stream]
    static let am: Set<SectionRole> = [.apiKey, .machine]
    static let a: Set<SectionRole> = [.apiKey]
    static let m: Set<SectionRole> = [.machine]
    static let port: ClosedRange<Int64> = 1...65535

    // MARK: Netdata 1.37.1 (spec 2.3, 2.4)

    public static let v1 = Schema(
        target: .v1_37,
        options: [
            OptionSpec("enabled", .bool, s, default: "no", "stream this node's metrics to a parent; forced off when destination or api key is empty"),
            OptionSpec("destination", .destinations, s, default: "(empty)", "parents to try, in order; the first :SSL anywhere turns TLS on for all of them and cuts the list there"),
            OptionSpec("api key", .apiKey, s, default: "(empty)", "the key sent to the parent"),
            OptionSpec("send charts matching", .pattern, s, default: "*", "charts to send, matched against the chart id or name"),
            OptionSpec("enable compression", .bool, s, default: "yes", "allow compressed streaming; on a parent it is ANDed into every receiver"),
            OptionSpec("ssl skip certificate verification", .bool, s, default: "no", "accept any certificate from TLS parents"),
            OptionSpec("CApath", .path, s, default: "(unset)", "extra CA directory for TLS parents"),
            OptionSpec("CAfile", .path, s, default: "(unset)", "extra CA bundle for TLS parents"),
            OptionSpec("timeout seconds", .integer(range: 0...Int64(Int32.max)), s, default: "600", "connect timeout and no-data disconnect, in seconds (the stock file's 60 is not inherited)"),
            OptionSpec("default port", .integer(range: port), s, default: "19999", "port for destinations that name none"),
            OptionSpec("buffer size bytes", .integer(range: 1...Int64(UInt32.max)), s, default: "10485760", "send buffer size in bytes"),
            OptionSpec("reconnect delay seconds", .integer(range: 0...Int64(Int32.max)), s, default: "5", "wait after a failed attempt, in seconds"),
            OptionSpec("initial clock resync iterations", .integer(range: 0...65535), s, default: "60", "first iterations sent without microseconds"),

            OptionSpec("type", .sectionType, am, default: "(fixed by first use)", "the role of the section: api or machine"),
            OptionSpec("enabled", .bool, a, default: "no", "accept children presenting this key"),
            OptionSpec("enabled", .bool, m, default: "yes", "accept this machine"),
            OptionSpec("allow from", .pattern, am, default: "*", "peer addresses allowed, as a simple pattern (127.0.0.1 and ::1 are seen as localhost)"),
            OptionSpec("default history", .entries, a, default: "netdata.conf [db] retention", "database entries for hosts using this key (min 5)"),
            OptionSpec("history", .entries, m, default: "the key's default history", "database entries for this machine (min 5)"),
            OptionSpec("default memory mode", .databaseMode, a, default: "netdata.conf [db] mode", "database mode for hosts using this key"),
            OptionSpec("memory mode", .databaseMode, m, default: "the key's default memory mode", "database mode for this machine"),
            OptionSpec("health enabled by default", .yesNoAuto, a, default: "netdata.conf [health] enabled", "health for hosts using this key"),
            OptionSpec("health enabled", .yesNoAuto, m, default: "the key's health enabled by default", "health for this machine"),
            OptionSpec("default postpone alarms on connect seconds", .integer(range: 0...Int64(Int32.max)), a, default: "60", "delay alarms after a child connects"),
            OptionSpec("postpone alarms on connect seconds", .integer(range: 0...Int64(Int32.max)), m, default: "60", "delay alarms after this child connects"),
            OptionSpec("default proxy enabled", .bool, a, default: "[stream] enabled", "forward these children to this node's own parents"),
            OptionSpec("proxy enabled", .bool, m, default: "the key's default proxy enabled", "forward this child to this node's own parents"),
            OptionSpec("default proxy destination", .destinations, a, default: "[stream] destination", "where to forward (:SSL is not understood here)"),
            OptionSpec("proxy destination", .destinations, m, default: "the key's default proxy destination", "where to forward (:SSL is not understood here)"),
            OptionSpec("default proxy api key", .apiKey, a, default: "[stream] api key", "key used when forwarding"),
            OptionSpec("proxy api key", .apiKey, m, default: "the key's default proxy api key", "key used when forwarding"),
            OptionSpec("default proxy send charts matching", .pattern, a, default: "[stream] send charts matching", "charts forwarded"),
            OptionSpec("proxy send charts matching", .pattern, m, default: "the key's setting", "charts forwarded"),
            OptionSpec("enable replication", .bool, am, default: "netdata.conf [db] enable replication (yes)", "replicate missed data from children"),
            OptionSpec("seconds to replicate", .integer(range: 0...Int64(Int32.max)), am, default: "netdata.conf [db] seconds to replicate (86400)", "how far back to replicate"),
            OptionSpec("seconds per replication step", .integer(range: 1...Int64(Int32.max)), am, default: "netdata.conf [db] seconds per replication step (600)", "replication step"),
            OptionSpec("enable compression", .bool, am, default: "yes", "accept compression from these children (ANDed with [stream] enable compression)"),
            OptionSpec("update every", .integer(range: 1...86400), m, default: "the child's own", "override this child's collection interval"),
        ],
        renames: [],
        deadKeys: [
            "replication_step": "the 1.37.1 stock file's spelling; nothing reads it (use `seconds per replication step`)",
            "multiple connections": "removed from Netdata in 2020",
            "is ephemeral node": "never read from stream.conf; set `[global] is ephemeral node` in the child's netdata.conf",
            "host tags": "written by Netdata itself, not a setting",
        ]
    )

    // MARK: Netdata 2.11.0 (spec 2.1, 2.2, 2.6)

    public static let v2 = Schema(
        target: .v2,
        options: [
            OptionSpec("enabled", .bool, s, default: "no", "stream this node's metrics to a parent; forced off when destination or api key is empty"),
            OptionSpec("destination", .destinations, s, default: "(empty)", "parents to try; each entry's :SSL turns TLS on for that entry"),
            OptionSpec("api key", .apiKey, s, default: "(empty)", "the key sent to the parent"),
            OptionSpec("send charts matching", .pattern, s, default: "*", "charts to send, matched against context, name and id"),
            OptionSpec("buffer size", .size, s, default: "10MiB", "initial maximum of the send buffer"),
            OptionSpec("reconnect delay", .duration, s, default: "15s", "base delay before reconnecting (at least 5s)"),
            OptionSpec("enable compression", .bool, s, default: "yes", "allow compressed streaming; default for received children"),
            OptionSpec("zstd compression level", .integer(range: 1...22), s, default: "3", "overwritten by the node profile; has no effect"),
            OptionSpec("lz4 compression acceleration", .integer(range: 1...65537), s, default: "1", "overwritten by the node profile; has no effect"),
            OptionSpec("brotli compression level", .integer(range: 0...11), s, default: "3", "overwritten by the node profile; has no effect"),
            OptionSpec("gzip compression level", .integer(range: 1...9), s, default: "3", "overwritten by the node profile; has no effect"),
            OptionSpec("parent using h2o", .bool, s, default: "no", "send an HTTP Upgrade prelude for parents served by H2O"),
            OptionSpec("timeout", .duration, s, default: "5m", "connect timeout and no-traffic timeout"),
            OptionSpec("default port", .integer(range: port), s, default: "19999", "port for destinations that name none"),
            OptionSpec("initial clock resync iterations", .integer(range: 0...65535), s, default: "60", "first iterations sent without microseconds"),
            OptionSpec("ssl skip certificate verification", .bool, s, default: "no", "accept any certificate from TLS parents"),
            OptionSpec("CApath", .path, s, default: "(unset)", "extra CA directory for TLS parents"),
            OptionSpec("CAfile", .path, s, default: "(unset)", "extra CA bundle for TLS parents"),

            OptionSpec("type", .sectionType, am, default: "(fixed by first use)", "the role of the section: api or machine"),
            OptionSpec("enabled", .bool, a, default: "no", "accept children presenting this key"),
            OptionSpec("enabled", .bool, m, default: "yes", "accept this machine"),
            OptionSpec("allow from", .pattern, am, default: "*", "peer addresses allowed, as a simple pattern (127.0.0.1 and ::1 are seen as localhost)"),
            OptionSpec("db", .databaseMode, am, default: "netdata.conf [db] mode", "database mode: none, ram, alloc or dbengine"),
            OptionSpec("retention", .entries, am, default: "netdata.conf [db] retention (3600)", "database entries for ram/alloc (a count, not a duration; min 5)"),
            OptionSpec("health enabled", .yesNoAuto, am, default: "netdata.conf [health] enabled", "health for these hosts; auto = only while connected"),
            OptionSpec("postpone alerts on connect", .duration, am, default: "60s", "delay alerts after a child connects"),
            OptionSpec("health log retention", .duration, am, default: "5d", "keep the child's health log this long"),
            OptionSpec("update every", .duration, m, default: "the child's own", "override this child's collection interval"),
            OptionSpec("proxy enabled", .bool, am, default: "[stream] enabled", "forward these children to this node's own parents"),
            OptionSpec("proxy destination", .destinations, am, default: "[stream] destination", "where to forward"),
            OptionSpec("proxy api key", .apiKey, am, default: "[stream] api key", "key used when forwarding"),
            OptionSpec("proxy send charts matching", .pattern, am, default: "[stream] send charts matching", "charts forwarded"),
            OptionSpec("enable replication", .bool, am, default: "netdata.conf [db] enable replication (yes)", "replicate missed data from children"),
            OptionSpec("replication period", .duration, am, default: "netdata.conf [db] replication period (1d)", "how far back to replicate"),
            OptionSpec("replication step", .duration, am, default: "netdata.conf [db] replication step (1h)", "replication step"),
            OptionSpec("enable compression", .bool, am, default: "[stream] enable compression", "accept compression from these children"),
            OptionSpec("compression algorithms order", .compressionOrder, am, default: "zstd lz4 brotli gzip", "preferred compression algorithms"),
        ],
        renames: [
            Rename(old: "timeout seconds", new: "timeout", onlyIn: .stream, since: "2.0.0"),
            Rename(old: "reconnect delay seconds", new: "reconnect delay", onlyIn: .stream, since: "2.0.0"),
            Rename(old: "default memory mode", new: "db", onlyIn: nil, since: "2.0.0"),
            Rename(old: "memory mode", new: "db", onlyIn: nil, since: "2.0.0"),
            Rename(old: "db mode", new: "db", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default history", new: "retention", onlyIn: nil, since: "2.0.0"),
            Rename(old: "history", new: "retention", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default proxy enabled", new: "proxy enabled", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default proxy destination", new: "proxy destination", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default proxy api key", new: "proxy api key", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default proxy send charts matching", new: "proxy send charts matching", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default health log history", new: "health log retention", onlyIn: nil, since: "2.0.0"),
            Rename(old: "health log history", new: "health log retention", onlyIn: nil, since: "2.0.0"),
            Rename(old: "seconds to replicate", new: "replication period", onlyIn: nil, since: "2.0.0"),
            Rename(old: "seconds per replication step", new: "replication step", onlyIn: nil, since: "2.0.0"),
            Rename(old: "default postpone alarms on connect seconds", new: "postpone alerts on connect", onlyIn: nil, since: "2.0.0"),
            Rename(old: "postpone alarms on connect seconds", new: "postpone alerts on connect", onlyIn: nil, since: "2.0.0"),
            Rename(old: "health enabled by default", new: "health enabled", onlyIn: nil, since: "2.1.0"),
            Rename(old: "buffer size bytes", new: "buffer size", onlyIn: nil, since: "2.1.0"),
        ],
        deadKeys: [
            "replication_step": "a misspelling from the 1.37 stock file; nothing reads it (use `replication step`)",
            "multiple connections": "removed from Netdata in 2020",
            "is ephemeral node": "never read from stream.conf; set `[global] is ephemeral node` in the child's netdata.conf",
            "host tags": "written by Netdata itself, not a setting",
        ]
    )
}
