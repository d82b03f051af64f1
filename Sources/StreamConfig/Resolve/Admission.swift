/// What a `STREAM` request says about the child, as the relay read it from the query string, and
/// who is asking (the TCP peer).
public struct AdmissionRequest: Sendable, Equatable {
    /// `key`: nil when absent or empty (Netdata skips empty values).
    public var apiKey: String?
    public var hostname: String?
    public var machineGUID: String?
    /// `hops` as sent; nil when absent.
    public var hops: String?
    /// The numeric peer address (`127.0.0.1`, `::1`, `10.1.2.3`), before Netdata's rewriting.
    public var peerAddress: String

    public init(apiKey: String?, hostname: String?, machineGUID: String?, hops: String? = nil, peerAddress: String) {
        self.apiKey = apiKey
        self.hostname = hostname
        self.machineGUID = machineGUID
        self.hops = hops
        self.peerAddress = peerAddress
    }
}

public enum AdmissionDecision: Sendable, Equatable {
    case accept(UpstreamPlan)
    case refuse(AdmissionRefusal)

    public var refusal: AdmissionRefusal? {
        if case .refuse(let refusal) = self { return refusal }
        return nil
    }

    public var plan: UpstreamPlan? {
        if case .accept(let plan) = self { return plan }
        return nil
    }
}

/// The parent's admission decision for one `STREAM` request, from a stream.conf, in Netdata's
/// order (protocol.md 1.7, stream-conf.md 5.1):
///
/// 1. (2.x) `hops` is an integer 1...32767;
/// 2. `key`, `hostname`, `machine_guid` are present;
/// 3. the key is a canonical (lowercase) UUID and the machine GUID a UUID;
/// 4. `[<key>]`: `type` absent or `api`; `enabled` (default no); `allow from` matches the peer;
/// 5. `[<machine_guid>]`: `type` absent or `machine`; `enabled` (default yes); `allow from`.
///
/// Stricter than Netdata where Netdata is unsafe: the key must be a canonical UUID (2.x takes any
/// string), and `[stream]` is never an API key. Not emulated: the role a `type`-less section gets
/// on first use is not remembered across connections (only within one request, when the key and
/// the machine GUID are the same string). Then the upstream plan (`ProxyCascade`) must name a
/// parent and a key, since the relay keeps no data of its own.
public enum Admission {
    public static func decide(_ request: AdmissionRequest, ini: Ini, target: NetdataTarget) -> AdmissionDecision {
        if let refusal = check(request, ini: ini, target: target) { return .refuse(refusal) }
        let plan = ProxyCascade.resolve(ini: ini, target: target, apiKey: request.apiKey, machineGUID: request.machineGUID)
        if let refusal = plan.refusal { return .refuse(refusal) }
        return .accept(plan)
    }

    /// The stream.conf checks alone (no upstream plan); nil when they pass.
    public static func check(_ request: AdmissionRequest, ini: Ini, target: NetdataTarget) -> AdmissionRefusal? {
        if target == .v2, let hops = request.hops, !isValidHops(hops) { return .invalidHops }
        guard let key = request.apiKey, !key.isEmpty else { return .noKey }
        guard let hostname = request.hostname, !hostname.isEmpty else { return .noHostname }
        guard let guid = request.machineGUID, !guid.isEmpty else { return .noMachineGUID }
        guard UUIDSyntax.classify(key) == .canonical, key != "stream" else { return .invalidKey }
        guard UUIDSyntax.isUUID(guid) else { return .invalidMachineGUID }

        let peer = PeerName.forAllowFrom(request.peerAddress)
        let keySection = ini.section(key)
        let keyType = keySection?.value("type") ?? "api"
        guard keyType == "api" else { return .keyIsNotAPIKey }
        guard NetdataBool.read(keySection?.value("enabled") ?? "no") else { return .keyNotEnabled }
        guard allows(keySection?.value("allow from"), peer) else { return .keyNotAllowedFromIP }

        let guidSection = ini.section(guid)
        // Netdata stores the role a type-less section gets on first use: the key lookup above
        // made it "api", so the same string used as machine GUID is refused.
        let guidType = guid == key ? keyType : (guidSection?.value("type") ?? "machine")
        guard guidType == "machine" else { return .machineGUIDIsNotMachine }
        guard NetdataBool.read(guidSection?.value("enabled") ?? "yes") else { return .machineGUIDNotEnabled }
        guard allows(guidSection?.value("allow from"), peer) else { return .machineGUIDNotAllowedFromIP }
        return nil
    }

    /// `allow from` (default `*`): an empty value has no words and allows everyone.
    static func allows(_ patternText: String?, _ peer: String) -> Bool {
        let pattern = SimplePattern(patternText ?? "*")
        if pattern.words.isEmpty { return true }
        return pattern.matches(peer)
    }

    /// 2.x `stream_receiver_parse_hops`: decimal 1...32767 with nothing after it.
    public static func isValidHops(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let value = Int(text) else { return false }
        return (1...32767).contains(value)
    }
}
