/// Which charts a proxy forwards: `proxy send charts matching` (or its defaults, see
/// `ProxyCascade`) applied to a chart exactly as Netdata's sender decides (protocol.md 5.5,
/// stream-conf.md 4.1):
///
/// - 1.37: the chart goes up when the pattern matches its id or its name positively (each
///   subject on its own, first matching word decides);
/// - 2.x: context, then name, then id: a negative match on any of them excludes the chart,
///   otherwise at least one positive match is needed.
///
/// An empty pattern (or only negative words) sends nothing. ML anomaly charts, which Netdata
/// lets through by another setting, are not singled out: the pattern decides for them too.
public struct ChartFilter: Sendable, Equatable {
    public let pattern: SimplePattern
    public let target: NetdataTarget

    public init(pattern: String, target: NetdataTarget) {
        self.pattern = SimplePattern(pattern)
        self.target = target
    }

    /// True when every chart is sent whatever its id, name or context: the first word is a
    /// positive `*` (the default). Such a child needs no filtering at all.
    public var sendsEverything: Bool {
        guard let first = pattern.words.first else { return false }
        return !first.negative && first.text == "*"
    }

    /// Whether a chart goes up. `name` is the chart's full name (`ChartFilter.fullName`);
    /// `context` is read by 2.x only.
    public func sends(id: String, name: String, context: String) -> Bool {
        switch target {
        case .v1_37:
            return pattern.matches(id) || (name != id && pattern.matches(name))
        case .v2:
            var positive = false
            for subject in [context, name, id] {
                guard let word = pattern.firstMatch(subject) else { continue }
                if word.negative { return false }
                positive = true
            }
            return positive
        }
    }

    /// The chart's name from the `CHART` line: its second field is empty when the name is the
    /// id, otherwise the name after the type (a leading `type.` is dropped, as Netdata's parser
    /// does); the full name is `type.name`, the type being the id up to its first dot.
    public static func fullName(id: String, nameField: String) -> String {
        guard !nameField.isEmpty, let dot = id.firstIndex(of: ".") else { return id }
        let type = id[..<dot]
        var name = Substring(nameField)
        if name.hasPrefix(type + ".") { name = name.dropFirst(type.count + 1) }
        return name.isEmpty ? id : "\(type).\(name)"
    }
}
