/// Where Netdata's web server listens, as 1.37.1 and 2.x read netdata.conf. At start they move
/// old names to `[web]` only when the new name is absent, so the first of these that is set is
/// the one that counts, and any later one is ignored:
///
/// - `bind to`: `[web] bind to`, then `[global] bind socket to IP` (the name Debian's stock
///   file uses), then `[global] bind to`; without any, every address (`*`);
/// - the port of entries without one: `[web] default port`, then `[global] port`, then
///   `[global] default port`; without any (or one that is not a port), 19999.
///
/// The one reader of these lines: lint (NC1xx), `fleet check` (FL2xx) and `doctor --parent`.
public struct WebListen: Sendable {
    /// One place Netdata may read the value from.
    public struct Place: Sendable, Equatable {
        public var section: String
        public var key: String
        /// `[web] bind to`, `[global] bind socket to IP`...
        public var name: String { "[\(section)] \(key)" }
    }

    /// Where `bind to` is read from, first wins.
    public static let bindPlaces = [Place(section: "web", key: "bind to"), Place(section: "global", key: "bind socket to IP"),
                                    Place(section: "global", key: "bind to")]
    /// Where the default port is read from, first wins.
    public static let portPlaces = [Place(section: "web", key: "default port"), Place(section: "global", key: "port"),
                                    Place(section: "global", key: "default port")]

    /// The line Netdata reads as `[web] bind to`, nil for the built-in `*`.
    public var bindOption: Option?
    /// Where that line is (`[web] bind to` when none is set).
    public var bindPlace: Place
    /// Lines of the other names that are set but ignored, because an earlier one is set.
    public var ignoredBinds: [(place: Place, option: Option)]
    /// The line Netdata reads as `[web] default port`, nil when none is set.
    public var portOption: Option?
    public var portPlace: Place
    /// The port of entries without one: `portOption` when it is a port between 1 and 65535, else 19999.
    public var defaultPort: Int

    /// How the bind line is named in messages: `[web] bind to`, `[global] bind socket to IP`...
    public var bindName: String { bindPlace.name }

    public init(_ netdataConf: Ini?) {
        func found(_ places: [Place]) -> [(place: Place, option: Option)] {
            places.compactMap { place in netdataConf?.section(place.section)?.option(place.key).map { (place, $0) } }
        }
        let binds = found(Self.bindPlaces)
        bindOption = binds.first?.option
        bindPlace = binds.first?.place ?? Self.bindPlaces[0]
        ignoredBinds = Array(binds.dropFirst())
        let ports = found(Self.portPlaces)
        portOption = ports.first?.option
        portPlace = ports.first?.place ?? Self.portPlaces[0]
        let parsed = portOption.map { StrToLL($0.value) }
        defaultPort = parsed.flatMap { $0.hasDigits && (1...65535).contains($0.value) ? Int($0.value) : nil } ?? 19999
    }

    /// `bind to` as read: the line's entries, or the built-in `*`.
    public var bind: BindTo { BindTo(bindOption?.value ?? "*") }
}
