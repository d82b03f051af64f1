/// A stream.conf read by `stream-config relay` (`lint --relay`, and the relay itself at start
/// and on reload): SC901 for every option Netdata reads there that the relay reads but does not
/// honour, so a setting that silently does nothing is named with its line.
///
/// The relay honours what decides admission and forwarding: `[stream]` `enabled`,
/// `destination`, `api key`, `default port`, `ssl skip certificate verification`, `CAfile`,
/// `CApath`, `send charts matching` and `enable compression`; in key and machine sections
/// `type`, `enabled`, `allow from`, the `proxy ...` options (1.37 `default proxy ...` too) and
/// `enable compression`. Everything else Netdata reads configures a database, alerts, a
/// Netdata sender or the compression algorithm, none of which the relay has.
public enum RelayHonoured {
    static let stream: Set<String> = [
        "enabled", "destination", "api key", "default port", "ssl skip certificate verification", "CAfile", "CApath",
        "send charts matching", "enable compression",
    ]
    static let receiver: Set<String> = [
        "type", "enabled", "allow from", "enable compression",
        "proxy enabled", "proxy destination", "proxy api key", "proxy send charts matching",
        "default proxy enabled", "default proxy destination", "default proxy api key", "default proxy send charts matching",
    ]

    /// Whether the relay honours `key` in a section with these roles.
    public static func honours(_ key: String, roles: Set<SectionRole>) -> Bool {
        roles == [.stream] ? stream.contains(key) : receiver.contains(key)
    }

    /// Why the relay does not honour an option Netdata reads (the SC901 message's reason).
    static func reason(_ key: String, roles: Set<SectionRole>) -> String {
        if key.contains("compression") {
            return "the child and the parent negotiate the compression algorithm and its level between them"
        }
        if roles == [.stream] {
            return "it tunes a Netdata sender; the relay's own limits are its command-line options (--connect-timeout, --upstream-timeout, --idle-timeout)"
        }
        return "the relay keeps no database and runs no alerts: the parent decides this in its own stream.conf"
    }
}

enum RelayChecks {
    static func run(_ context: inout LintContext) {
        let schema = context.schema
        for section in context.ini.sections {
            let roles = context.roles(of: section)
            let duplicates = section.hasDuplicates ? section.laterDuplicates() : nil
            for (index, option) in section.options.enumerated() where duplicates?[index] == nil {
                // Only what Netdata reads there: other lines have their own findings (SC201, SC202).
                guard !RelayHonoured.honours(option.key, roles: roles),
                      Resolver.spec(option.key, roles: roles, schema: schema) != nil else { continue }
                let place = roles == [.stream] ? "[stream]" : "this section"
                context.emit("SC901", at: option, onValue: false,
                             "the relay does not honour `\(option.key)` in \(place): \(RelayHonoured.reason(option.key, roles: roles))",
                             hint: "delete the line from the relay's stream.conf, or set it where it takes effect")
            }
        }
    }
}
