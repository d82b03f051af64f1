/// Where a value Netdata uses comes from.
public enum ValueSource: Sendable, Equatable {
    /// Set in the file: 1-based line, the section and the exact name written there.
    case file(line: Int, section: String, key: String)
    /// Not in the file: Netdata's built-in default (or a netdata.conf setting it names).
    case builtInDefault(NetdataTarget)
}

public struct EffectiveValue: Sendable, Equatable {
    public var value: String
    public var source: ValueSource
}

public struct ResolveError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var suggestion: String?
    public var description: String { message }
}

/// The configuration as Netdata uses it: for one option, the value in force and where it comes
/// from, following 2.x renames and the [stream] -> key -> machine cascade.
public enum Resolver {
    /// Options of key and machine sections whose default is a `[stream]` option.
    static let streamDefaults: [String: String] = [
        "proxy enabled": "enabled", "default proxy enabled": "enabled",
        "proxy destination": "destination", "default proxy destination": "destination",
        "proxy api key": "api key", "default proxy api key": "api key",
        "proxy send charts matching": "send charts matching", "default proxy send charts matching": "send charts matching",
    ]

    /// The roles Netdata may use a section in: `[stream]` only as the sender, `type = api` or
    /// `type = machine` one role, no (or an invalid) `type` either role.
    /// (The document layer knows nothing of roles: they are stream.conf's meaning, decided here.)
    public static func roles(of section: Section) -> Set<SectionRole> {
        roles(name: section.name, type: section.value("type"))
    }

    public static func roles(ofSection name: String, in ini: Ini) -> Set<SectionRole> {
        roles(name: name, type: ini.section(name)?.value("type"))
    }

    static func roles(name: String, type: String?) -> Set<SectionRole> {
        if name == "stream" { return streamRole }
        switch type {
        case "api": return apiKeyRole
        case "machine": return machineRole
        default: return eitherRole
        }
    }

    // Shared so that asking for a section's roles allocates nothing (lint asks per option).
    static let streamRole: Set<SectionRole> = [.stream]
    static let apiKeyRole: Set<SectionRole> = [.apiKey]
    static let machineRole: Set<SectionRole> = [.machine]
    static let eitherRole: Set<SectionRole> = [.apiKey, .machine]

    static let allRoles: [SectionRole] = [.stream, .apiKey, .machine]

    /// The spec of `key` in a section with these roles, following renames; nil if Netdata does
    /// not read it there.
    public static func spec(_ key: String, roles: Set<SectionRole>, schema: Schema) -> OptionSpec? {
        let bits = SectionRole.bits(roles)  // lint asks per option
        for role in allRoles where bits & role.bit != 0 {
            if let spec = schema.spec(key, role: role) { return spec }
            if let rename = schema.rename(of: key), rename.onlyIn == nil || rename.onlyIn == role,
               let spec = schema.spec(rename.new, role: role) { return spec }
        }
        return nil
    }

    /// Checks that Netdata reads `key` in `[section]`, with a did-you-mean when it does not.
    public static func validate(section: String, key: String, in ini: Ini, target: NetdataTarget) throws -> OptionSpec {
        try validate(section: section, in: ini)
        let schema = Schema.forTarget(target)
        let roles = roles(ofSection: section, in: ini)
        if let spec = spec(key, roles: roles, schema: schema) { return spec }
        let candidates = schema.options.filter { !$0.roles.isDisjoint(with: roles) }.map(\.name)
        // A 2.x name on 1.37: the old name this line reads (`timeout` -> `timeout seconds`).
        let olderName = target == .v1_37
            ? Schema.v2.renames.filter { $0.new == key }.map(\.old).first { spec($0, roles: roles, schema: schema) != nil } : nil
        let suggestion = olderName ?? Suggestions.closest(to: key, among: candidates)
        let place = roles == [.stream] ? "[stream]" : "[\(section)]"
        var message = "\(target.displayName) does not read `\(key)` in \(place)"
        if let suggestion { message += " (did you mean `\(suggestion)`?)" }
        else if !schema.specs(named: key).isEmpty { message += "; it belongs in \(roles == [.stream] ? "API key or machine sections" : "[stream]")" }
        throw ResolveError(message: message, suggestion: suggestion)
    }

    /// A section name that is `stream` misspelt (`steam`, `Stream`) and not in the file is a
    /// typo, not a key: refused with a did-you-mean (the name is no key, so it is shown as is).
    /// One that is in the file is what Netdata reads, and can be read or cleaned up.
    public static func validate(section: String, in ini: Ini) throws {
        guard Suggestions.isStreamMisspelling(section), ini.section(section) == nil else { return }
        throw ResolveError(message: "there is no [\(section)] in the file, and Netdata would read one as an API key or machine GUID section, not as the sender's settings (did you mean [stream]?)",
                           suggestion: "stream")
    }

    /// Every option Netdata reads in `[section]`, in the schema's order, with the value in force
    /// and where it comes from (`get SECTION`). A section that is not in the file has only
    /// defaults; `[stream]` is the sender's, any other name a key or machine section.
    public static func effectiveSection(_ section: String, in ini: Ini, target: NetdataTarget) throws -> [(String, EffectiveValue)] {
        try validate(section: section, in: ini)
        let roles = roles(ofSection: section, in: ini)
        let names = Schema.forTarget(target).options.filter { !$0.roles.isDisjoint(with: roles) }.map(\.name)
        var seen = Set<String>()
        return try names.filter { seen.insert($0).inserted }.map { ($0, try effective(section: section, key: $0, in: ini, target: target)) }
    }

    public static func effective(section: String, key: String, in ini: Ini, target: NetdataTarget) throws -> EffectiveValue {
        let spec = try validate(section: section, key: key, in: ini, target: target)
        if let found = lookup(section: section, spec: spec, in: ini, target: target) { return found }
        if let streamKey = streamDefaults[key] ?? streamDefaults[spec.name], section != "stream",
           let found = lookup(section: "stream", spec: Schema.forTarget(target).spec(streamKey, role: .stream)!, in: ini, target: target) {
            return found
        }
        return EffectiveValue(value: spec.defaultValue, source: .builtInDefault(target))
    }

    /// The option in force in one section: on 2.x the new name wins, then old names in
    /// Netdata's migration order.
    static func lookup(section: String, spec: OptionSpec, in ini: Ini, target: NetdataTarget) -> EffectiveValue? {
        guard let found = ini.section(section) else { return nil }
        var names = [spec.name]
        if target == .v2 { names += Schema.v2.renames.filter { $0.new == spec.name }.map(\.old) }
        // 2.x quirk: when both exist, `buffer size bytes` is read after `buffer size` and wins.
        if target == .v2, spec.name == "buffer size" { names = ["buffer size bytes", "buffer size"] }
        for name in names {
            if let option = found.option(name) {
                return EffectiveValue(value: option.value, source: .file(line: option.line + 1, section: section, key: name))
            }
        }
        return nil
    }
}
