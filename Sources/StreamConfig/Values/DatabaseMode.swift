/// `db` / `memory mode` names (spec 1.4): exact and case-sensitive; an unknown word silently
/// becomes `save` on 1.37.1 and `ram` on 2.x.
public enum DatabaseMode {
    public static func validModes(_ target: NetdataTarget) -> [String] {
        switch target {
        case .v1_37: return ["none", "ram", "map", "save", "alloc", "dbengine"]
        case .v2: return ["none", "ram", "alloc", "dbengine"]
        }
    }

    public static func fallback(_ target: NetdataTarget) -> String {
        target == .v1_37 ? "save" : "ram"
    }

    /// The mode Netdata uses for this value.
    public static func read(_ value: String, target: NetdataTarget) -> String {
        validModes(target).contains(value) ? value : fallback(target)
    }
}
