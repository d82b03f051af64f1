/// Which role a section plays for Netdata (spec 1.5).
public enum SectionRole: String, Sendable, Codable {
    /// `[stream]`: the sending side.
    case stream
    /// An API key section (`type = api`, or a UUID-named section without `type`).
    case apiKey = "api"
    /// A machine GUID section (`type = machine`).
    case machine

    var bit: UInt8 {
        switch self {
        case .stream: return 1
        case .apiKey: return 2
        case .machine: return 4
        }
    }

    /// A set of roles as bits (iterating a set hashes nothing; `contains` would).
    static func bits(_ roles: Set<SectionRole>) -> UInt8 {
        var bits: UInt8 = 0
        for role in roles { bits |= role.bit }
        return bits
    }
}

/// How Netdata reads an option's value.
public enum ValueKind: Sendable, Equatable {
    case bool
    case yesNoAuto
    case integer(range: ClosedRange<Int64>?)
    /// An integer count of database entries (`retention`, `history`): units are not understood.
    case entries
    case duration
    case size
    case pattern
    case destinations
    /// An API key to send: must be a canonical UUID for us.
    case apiKey
    case path
    case databaseMode
    case sectionType
    case compressionOrder

    public var displayName: String {
        switch self {
        case .bool: return "boolean"
        case .yesNoAuto: return "yes | no | auto"
        case .integer: return "integer"
        case .entries: return "integer (entries)"
        case .duration: return "duration"
        case .size: return "size"
        case .pattern: return "simple pattern"
        case .destinations: return "destination list"
        case .apiKey: return "API key (UUID)"
        case .path: return "path"
        case .databaseMode: return "database mode"
        case .sectionType: return "api | machine"
        case .compressionOrder: return "algorithm list"
        }
    }
}

/// One option as Netdata reads it. A class: lint looks one up per option line, and sharing the
/// instance costs one retain where copying the fields costs four.
public final class OptionSpec: Sendable {
    public let name: String
    public let kind: ValueKind
    public let roles: Set<SectionRole>
    /// `roles` as bits, for the hot lookup path.
    let roleBits: UInt8
    /// The value Netdata uses when the key is absent, in Netdata's words.
    public let defaultValue: String
    public let summary: String

    public init(_ name: String, _ kind: ValueKind, _ roles: Set<SectionRole>, default defaultValue: String, _ summary: String) {
        self.name = name
        self.kind = kind
        self.roles = roles
        self.roleBits = roles.reduce(0) { $0 | $1.bit }
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// An old option name that Netdata 2.x renames in memory right after loading (spec 2.6).
public struct Rename: Sendable {
    public let old: String
    public let new: String
    /// nil = every section.
    public let onlyIn: SectionRole?
    public let since: String
}
