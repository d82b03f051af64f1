/// The Netdata release line a file is checked against.
public enum NetdataTarget: String, Sendable, CaseIterable, Codable {
    case v1_37 = "1.37"
    case v2 = "2"

    public var displayName: String {
        switch self {
        case .v1_37: return "Netdata 1.37.1"
        case .v2: return "Netdata 2.x (2.11.0)"
        }
    }
}
