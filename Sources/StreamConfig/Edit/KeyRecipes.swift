/// Parent-side recipes: the `[API_KEY]` and `[MACHINE_GUID]` sections a parent accepts.
extension ConfigEditor {
    /// Adds `[key]` with `type = api`, `enabled = yes` and, when given, `allow from = pattern`.
    /// When `[key]` already has exactly these settings nothing changes (a repeated run is
    /// "unchanged"); other settings there are a conflict that names what differs.
    public mutating func addAPIKey(key: String, allowFrom: String? = nil) throws {
        try Self.requireOwnKey(key, what: "The API key")
        try Self.requireCanonicalUUID(key, what: "API key")
        if let allowFrom { try Self.requirePattern(key: "allow from", value: allowFrom) }
        try addSectionOnce(name: key, options: StreamAdvice.keySection(allowFrom: allowFrom).map(StreamAdvice.option))
    }

    /// Adds the section, or checks that the one there already says the same.
    private mutating func addSectionOnce(name: String, options: [(key: String, value: String)]) throws {
        guard let existing = ini.section(name) else { return try addSection(name: name, options: options) }
        let differences = options.compactMap { option -> String? in
            let value = existing.value(option.key)
            guard value != option.value else { return nil }
            return "`\(option.key)` is \(value.map { "`\($0)`" } ?? "not set") there, `\(option.value)` asked"
        }
        guard differences.isEmpty else {
            throw EditError(.sectionExists, "[\(name)] already exists with other settings: \(differences.joined(separator: "; ")); change them with `set`, or remove the section first")
        }
    }

    /// Adds `[guid]` with `type = machine` and `enabled = yes`; `options` are appended after
    /// them, and an option with the same name replaces a default (e.g. `enabled = no`).
    public mutating func addMachine(guid: String, options: [(key: String, value: String)] = []) throws {
        try Self.requireCanonicalUUID(guid, what: "machine GUID")
        for option in options { try Self.requirePattern(key: option.key, value: option.value) }
        var merged = [StreamAdvice.typeMachine, StreamAdvice.enableKey].map(StreamAdvice.option)
        for option in options {
            if let index = merged.firstIndex(where: { $0.key == option.key }) {
                merged[index].value = option.value
            } else {
                merged.append(option)
            }
        }
        try addSectionOnce(name: guid, options: merged)
    }

    /// Sets `enabled = no` in the key's section.
    public mutating func disableKey(_ key: String) throws {
        try requireKeySection(key)
        let disable = StreamAdvice.option(StreamAdvice.disableKey)
        try set(section: key, key: disable.key, value: disable.value)
    }

    /// Removes the key's section (see `removeSection`); a section that is not there is already
    /// removed (nothing changes).
    public mutating func removeKey(_ key: String) throws {
        if key != ConfigEditor.streamSection, ini.section(key) == nil { return }
        try requireKeySection(key)
        try removeSection(name: key)
    }

    private func requireKeySection(_ key: String) throws {
        if key == ConfigEditor.streamSection {
            throw EditError(.invalidKey, "[stream] is this node's sending side, not a key; change it with `set stream ...` instead.")
        }
        guard ini.section(key) != nil else { throw EditError.sectionMissing(key) }
    }

    static let streamSection = "stream"

    /// An `allow from` pattern must not be empty: Netdata reads an empty pattern as everyone,
    /// and an empty value is what an unset shell variable gives. Other options pass.
    public static func requirePattern(key: String, value: String) throws {
        guard key.lowercased().hasSuffix("allow from"), value.utf8.allSatisfy(Bytes.isSpace) else { return }
        throw EditError(.invalidValue, "The value for '\(key)' is empty (an unset shell variable?); Netdata reads an empty pattern as everyone. Give the addresses to allow, e.g. '10.* localhost', or '*' for everyone.")
    }

    /// A placeholder (`API_KEY`, `YOUR_API_KEY`) or the key Netdata's documentation prints is
    /// no key of one's own: `ExampleKeys` says which, and why.
    static func requireOwnKey(_ key: String, what: String) throws {
        if let refusal = ExampleKeys.refusal(key, what: what) { throw EditError(.invalidKey, refusal) }
    }

    /// Netdata matches the child's string against section names byte for byte, so we insist on
    /// the one spelling `uuidgen` prints (spec 1.6).
    static func requireCanonicalUUID(_ text: String, what: String) throws {
        switch UUIDSyntax.classify(text) {
        case .canonical:
            return
        case .notLowercase:
            throw EditError(.invalidKey, "The \(what) '\(text)' has upper-case letters; Netdata compares keys byte for byte, so use the lower-case form '\(text.lowercased())' on both sides.")
        case .invalid:
            throw EditError(.invalidKey, "'\(text)' is not a UUID; a \(what) must be a UUID written as `uuidgen` prints it (8-4-4-4-12 lowercase hex digits; `stream-config keygen` makes one).")
        }
    }
}
