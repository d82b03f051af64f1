/// Where the relay sends an admitted child: Netdata's proxy settings for a received host
/// (protocol.md 5.7, stream-conf.md 2.2/2.4/5.1), most specific first:
///
/// | setting | machine section | API-key section | `[stream]` |
/// |---|---|---|---|
/// | enabled | `proxy enabled` | 1.37: `default proxy enabled`, 2.x: `proxy enabled` | `enabled` |
/// | destination | `proxy destination` | 1.37: `default proxy destination`, 2.x: `proxy destination` | `destination` |
/// | api key | `proxy api key` | 1.37: `default proxy api key`, 2.x: `proxy api key` | `api key` |
///
/// On 2.x every section also accepts the old `default proxy ...` names (renamed at load; the new
/// name wins when both are present).
///
/// Destinations: `[stream] destination` is read as the target reads it (1.37: the first `:SSL`
/// turns TLS on for every parent and cuts the list there). `proxy destination` values are read
/// per entry, 2.x style, for both targets (1.37 would take `:SSL` as part of the port and fail to
/// resolve); on 1.37 the global TLS flag from `[stream] destination` applies to them too, as it
/// applies to every 1.37 sender.
public enum ProxyCascade {
    public static func resolve(ini: Ini, target: NetdataTarget, apiKey: String?, machineGUID: String?) -> UpstreamPlan {
        var levels: [(section: Section, names: (String) -> [String])] = []
        if let guid = machineGUID, guid != "stream", let section = ini.section(guid) {
            levels.append((section, { [$0] + (target == .v2 ? ["default " + $0] : []) }))
        }
        if let key = apiKey, key != "stream", key != machineGUID, let section = ini.section(key) {
            levels.append((section, { target == .v2 ? [$0, "default " + $0] : ["default " + $0] }))
        }
        let stream = ini.section("stream")

        func find(_ proxyName: String, streamName: String) -> (value: EffectiveValue, fromStream: Bool)? {
            for level in levels {
                for name in level.names(proxyName) {
                    if let option = level.section.option(name) {
                        return (EffectiveValue(value: option.value, source: .file(line: option.line + 1, section: level.section.name, key: name)), false)
                    }
                }
            }
            if let option = stream?.option(streamName) {
                return (EffectiveValue(value: option.value, source: .file(line: option.line + 1, section: "stream", key: streamName)), true)
            }
            return nil
        }

        var plan = UpstreamPlan()
        plan.defaultPort = defaultPort(stream)
        plan.tls = ProxyTLSSettings(stream: stream)

        let enabled = find("proxy enabled", streamName: "enabled")
            ?? (EffectiveValue(value: "no", source: .builtInDefault(target)), true)
        plan.enabled = enabled.value
        plan.proxyEnabled = NetdataBool.read(enabled.value.value)

        let streamDestination = stream?.value("destination") ?? ""
        let v1GlobalTLS = target == .v1_37 && DestinationList.v1GlobalTLS(streamDestination).tls
        if let destination = find("proxy destination", streamName: "destination") {
            plan.destination = destination.value
            if destination.fromStream {
                plan.destinations = DestinationList.parse(destination.value.value, target: target, isStreamDestination: true)
            } else {
                plan.destinations = DestinationList.parse(destination.value.value, target: .v2).map { entry in
                    var entry = entry
                    if v1GlobalTLS { entry.tls = true }
                    return entry
                }
            }
        }
        if let key = find("proxy api key", streamName: "api key"), !key.value.value.isEmpty {
            plan.apiKey = key.value
        }
        // Which charts go up: `proxy send charts matching` (1.37 key sections: `default proxy
        // send charts matching`), else `[stream] send charts matching`, else `*`.
        plan.sendChartsMatching = find("proxy send charts matching", streamName: "send charts matching")?.value
        // `enable compression`: machine, then key, then `[stream]` (default yes); 1.37 also
        // needs the parent's own `[stream] enable compression` (spec 3.1, stream-conf 2.4).
        var compression = true
        for level in levels {
            if let option = level.section.option("enable compression") {
                compression = NetdataBool.read(option.value)
                plan.compressionSetting = EffectiveValue(value: option.value, source: .file(line: option.line + 1, section: level.section.name, key: "enable compression"))
                break
            }
        }
        if let option = stream?.option("enable compression") {
            let streamValue = NetdataBool.read(option.value)
            let streamSetting = EffectiveValue(value: option.value, source: .file(line: option.line + 1, section: "stream", key: "enable compression"))
            if plan.compressionSetting == nil {
                compression = streamValue
                plan.compressionSetting = streamSetting
            } else if target == .v1_37, !streamValue, compression {
                compression = false
                plan.compressionSetting = streamSetting
            }
        }
        plan.compression = compression
        return plan
    }

    /// For a request that carries no API key (2.x `GET /api/v3/stream_info?machine_guid=...`):
    /// the machine section, then `[stream]`; when neither names a parent, the parent every usable
    /// API key forwards to, if they all agree (the usual one-upstream relay). Otherwise no
    /// destinations: the caller answers for itself.
    public static func resolveWithoutKey(ini: Ini, target: NetdataTarget, machineGUID: String?) -> UpstreamPlan {
        let plan = resolve(ini: ini, target: target, apiKey: nil, machineGUID: machineGUID)
        if !plan.destinations.isEmpty { return plan }
        var agreed: UpstreamPlan?
        for section in ini.sections where UUIDSyntax.classify(section.name) == .canonical && section.name != machineGUID {
            guard (section.value("type") ?? "api") == "api", NetdataBool.read(section.value("enabled") ?? "no") else { continue }
            let candidate = resolve(ini: ini, target: target, apiKey: section.name, machineGUID: machineGUID)
            guard candidate.refusal == nil else { continue }
            if let agreed, agreed.destinations != candidate.destinations { return plan }
            agreed = candidate
        }
        return agreed ?? plan
    }

    static func defaultPort(_ stream: Section?) -> Int {
        guard let text = stream?.value("default port") else { return 19999 }
        let parsed = StrToLL(text)
        guard parsed.hasDigits, (1...65535).contains(parsed.value) else { return 19999 }
        return Int(parsed.value)
    }
}

/// The upstream side of an admitted child: whether to forward, where, and with which key, each
/// with the line it comes from.
public struct UpstreamPlan: Sendable, Equatable {
    public var proxyEnabled = false
    public var enabled: EffectiveValue? = nil
    /// The parents, in the order to try them.
    public var destinations: [Destination] = []
    public var destination: EffectiveValue? = nil
    /// The key to present upstream (replaces the child's `key`).
    public var apiKey: EffectiveValue? = nil
    /// `[stream] default port`, for destinations that name none.
    public var defaultPort = 19999
    public var tls = ProxyTLSSettings()
    /// The chart pattern in force (nil: not set anywhere, which is `*`).
    public var sendChartsMatching: EffectiveValue? = nil
    /// Whether the child's stream may be compressed (`enable compression`), and the line that
    /// decided it (nil: the default, yes).
    public var compression = true
    public var compressionSetting: EffectiveValue? = nil

    /// Which charts of this child go to the parent.
    public func chartFilter(target: NetdataTarget) -> ChartFilter {
        ChartFilter(pattern: sendChartsMatching?.value ?? "*", target: target)
    }

    public init() {}

    /// Why this plan cannot be used, if it cannot.
    public var refusal: AdmissionRefusal? {
        if !proxyEnabled { return .proxyNotEnabled }
        if destinations.isEmpty { return .noProxyDestination }
        if apiKey == nil { return .noProxyAPIKey }
        return nil
    }
}

/// How to check TLS parents, from `[stream]` (Netdata reads these only there, for every sender).
public struct ProxyTLSSettings: Sendable, Equatable {
    /// `ssl skip certificate verification` (default no).
    public var skipCertificateVerification = false
    /// `CAfile`; nil when unset or empty.
    public var caFile: String? = nil
    /// `CApath`; nil when unset or empty.
    public var caPath: String? = nil

    public init(skipCertificateVerification: Bool = false, caFile: String? = nil, caPath: String? = nil) {
        self.skipCertificateVerification = skipCertificateVerification
        self.caFile = caFile
        self.caPath = caPath
    }

    /// The settings in force for a whole file.
    public init(ini: Ini) { self.init(stream: ini.section("stream")) }

    init(stream: Section?) {
        skipCertificateVerification = NetdataBool.read(stream?.value("ssl skip certificate verification") ?? "no")
        caFile = stream?.value("CAfile").flatMap { $0.isEmpty ? nil : $0 }
        caPath = stream?.value("CApath").flatMap { $0.isEmpty ? nil : $0 }
    }
}
