/// One section a parent could match a connecting child against (every section but `[stream]`).
public struct KeyEntry: Sendable, Equatable {
    /// What `type` allows the section to be used as (spec 1.5).
    public enum Role: Sendable, Equatable {
        case api
        case machine
        /// No `type`: the first use decides.
        case unspecified
        /// Any other value (`API`, `api # x`, empty): matches neither role, connections are refused.
        case invalid(String)

        /// `api`, `machine`, `untyped`, `invalid(VALUE)`: how `parent list-keys` shows it.
        public var label: String {
            switch self {
            case .api: return "api"
            case .machine: return "machine"
            case .unspecified: return "untyped"
            case .invalid(let value): return "invalid(\(value))"
            }
        }
    }

    public var name: String
    public var role: Role
    /// As Netdata reads the `enabled` boolean; false when absent (a machine GUID section without
    /// `enabled` actually inherits the API key's setting, which this list cannot know).
    public var enabled: Bool
    public var allowFrom: String?
    /// 1-based line of the section's first header.
    public var line: Int

    public init(name: String, role: Role, enabled: Bool, allowFrom: String?, line: Int) {
        self.name = name
        self.role = role
        self.enabled = enabled
        self.allowFrom = allowFrom
        self.line = line
    }
}

extension ConfigEditor {
    /// The key sections in order of first appearance.
    public func listKeys() -> [KeyEntry] {
        let ini = self.ini
        return ini.sections.filter { $0.nameBytes != Array(ConfigEditor.streamSection.utf8) }.map { section in
            let role: KeyEntry.Role
            switch section.value("type") {
            case nil: role = .unspecified
            case "api": role = .api
            case "machine": role = .machine
            case let other?: role = .invalid(other)
            }
            return KeyEntry(
                name: section.name,
                role: role,
                enabled: section.value("enabled").map(NetdataBool.read) ?? false,
                allowFrom: section.value("allow from"),
                line: ini.entries[section.headerEntries[0]].line + 1)
        }
    }
}
