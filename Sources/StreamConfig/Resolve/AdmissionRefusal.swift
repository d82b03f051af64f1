/// Why a `STREAM` request is refused, in Netdata's order of checks (protocol.md 1.7,
/// stream-conf.md 5.1), plus the relay's own "nowhere to forward" cases.
///
/// Every refusal is answered with the 67-byte `StreamAnswer.notPermitted` (as Netdata does for
/// all stream.conf refusals), so a real child logs "remote server denied access" and backs off.
public enum AdmissionRefusal: String, Sendable, CaseIterable, Equatable {
    case invalidHops
    case noKey
    case noHostname
    case noMachineGUID
    case invalidKey
    case invalidMachineGUID
    case keyIsNotAPIKey
    case keyNotEnabled
    case keyNotAllowedFromIP
    case machineGUIDIsNotMachine
    case machineGUIDNotEnabled
    case machineGUIDNotAllowedFromIP
    /// The relay only forwards: `proxy enabled` is false for this child after the cascade.
    case proxyNotEnabled
    /// No `proxy destination` (nor `[stream] destination`) names a parent.
    case noProxyDestination
    /// No `proxy api key` (nor `[stream] api key`) to present to the parent.
    case noProxyAPIKey

    /// The bytes sent to the child before closing.
    public var answer: String { StreamAnswer.notPermitted }

    /// The code Netdata logs for this answer (1.37 access.log: 401).
    public var responseCode: Int { 401 }

    /// The 1.37 access.log status (`log_stream_connection`), used as `ND_REASON`.
    public var status: String {
        switch self {
        case .invalidHops: return "ACCESS DENIED - INVALID HOPS"
        case .noKey: return "ACCESS DENIED - NO KEY"
        case .noHostname: return "ACCESS DENIED - NO HOSTNAME"
        case .noMachineGUID: return "ACCESS DENIED - NO MACHINE GUID"
        case .invalidKey: return "ACCESS DENIED - INVALID KEY"
        case .invalidMachineGUID: return "ACCESS DENIED - INVALID MACHINE GUID"
        case .keyIsNotAPIKey: return "ACCESS DENIED - API KEY GIVEN IS NOT API KEY"
        case .keyNotEnabled: return "ACCESS DENIED - KEY NOT ENABLED"
        case .keyNotAllowedFromIP: return "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP"
        case .machineGUIDIsNotMachine: return "ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID"
        case .machineGUIDNotEnabled: return "ACCESS DENIED - MACHINE GUID NOT ENABLED"
        case .machineGUIDNotAllowedFromIP: return "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP"
        case .proxyNotEnabled: return "ACCESS DENIED - PROXY NOT ENABLED"
        case .noProxyDestination: return "ACCESS DENIED - NO PROXY DESTINATION"
        case .noProxyAPIKey: return "ACCESS DENIED - NO PROXY API KEY"
        }
    }

    /// The 2.x reason word (`stream-handshake.c`).
    public var reasonWord: String { "DENIED" }

    /// The 2.x message (`stream_receiver_log_status`), after "rejecting streaming connection; ".
    public var message: String {
        switch self {
        case .invalidHops: return "request has an invalid hops value"
        case .noKey: return "request without an API key"
        case .noHostname: return "request without a hostname"
        case .noMachineGUID: return "request without a machine UUID"
        case .invalidKey: return "API key is not a valid UUID (use the command uuidgen to generate one)"
        case .invalidMachineGUID: return "machine UUID is not a valid UUID"
        case .keyIsNotAPIKey: return "API key provided is a machine UUID (did you mix them up?)"
        case .keyNotEnabled: return "API key is not enabled in stream.conf"
        case .keyNotAllowedFromIP: return "API key is not allowed from this IP"
        case .machineGUIDIsNotMachine: return "machine UUID is an API key (did you mix them up?)"
        case .machineGUIDNotEnabled: return "machine UUID is not enabled in stream.conf"
        case .machineGUIDNotAllowedFromIP: return "machine UUID is not allowed from this IP"
        case .proxyNotEnabled: return "proxy enabled is off for this node, and the relay only forwards"
        case .noProxyDestination: return "no proxy destination (nor [stream] destination) to forward to"
        case .noProxyAPIKey: return "no proxy api key (nor [stream] api key) to forward with"
        }
    }
}
