/// Whether Netdata reads each option name where it is written (SC201-SC206, SC109).
enum OptionNameChecks {
    static func where_(_ roles: Set<SectionRole>) -> String {
        if roles == [.stream] { return "[stream]" }
        if roles == [.apiKey] { return "API key sections" }
        if roles == [.machine] { return "machine GUID sections" }
        return "API key and machine GUID sections"
    }

    /// An option Netdata does not read under this name here: says why.
    static func check(_ context: inout LintContext, option: Option, in section: Section, roles: Set<SectionRole>) {
        let name = option.key
        let schema = context.schema
        if roles.contains(where: { schema.spec(name, role: $0) != nil }) { return }
        let here = roles == [.stream] ? "[stream]" : roles == [.apiKey] ? "an API key section" : roles == [.machine] ? "a machine GUID section" : "[\(section.name)]"

        if name.hasPrefix("[") {
            context.emit("SC101", at: option, onValue: false,
                         "`\(option.key) = \(option.value)` is not a section header: it is read as an option named `\(name)`",
                         hint: "put comments on their own line")
            return
        }
        if let rename = schema.rename(of: name), rename.onlyIn == nil || roles.contains(rename.onlyIn!) {
            renamed(&context, option: option, rename: rename, section: section, roles: roles)
            return
        }
        if let rename = schema.rename(of: name), let only = rename.onlyIn {
            context.emit("SC202", at: option, onValue: false,
                         "Netdata does not read `\(name)` in \(here); it is read only in \(where_([only])) (as `\(rename.new)` on Netdata 2.x)",
                         hint: "move it to \(where_([only]))")
            return
        }
        if let reason = schema.deadKeys[name] {
            context.emit("SC203", at: option, onValue: false, "Netdata never reads `\(name)`: \(reason)",
                         hint: "remove the line")
            return
        }
        let elsewhere = schema.specs(named: name).flatMap(\.roles)
        if !elsewhere.isEmpty {
            let belongs = Set(elsewhere)
            var hint = "move it to \(where_(belongs))"
            if name == "send charts matching" { hint = "in key and machine sections the option is `\(context.target == .v1_37 && roles == [.apiKey] ? "default proxy send charts matching" : "proxy send charts matching")`" }
            if let counterpart = v1Counterpart(name, roles: roles, target: context.target) { hint = "in \(where_(roles)) Netdata 1.37 reads `\(counterpart)`" }
            context.emit("SC202", at: option, onValue: false,
                         "Netdata does not read `\(name)` in \(here); it is read only in \(where_(belongs))", hint: hint)
            return
        }
        let otherTarget: NetdataTarget = context.target == .v1_37 ? .v2 : .v1_37
        let other = Schema.forTarget(otherTarget)
        if !other.specs(named: name).isEmpty || other.rename(of: name) != nil {
            var hint = "use --target \(otherTarget.rawValue) if your agents run \(otherTarget.displayName)"
            if context.target == .v1_37, let old = v1Name(forV2: name, roles: roles) { hint = "Netdata 1.37 reads `\(old)` here" }
            context.emit("SC205", at: option, onValue: false,
                         "`\(name)` is a \(otherTarget.displayName) option; \(context.target.displayName) ignores it", hint: hint)
            return
        }
        if let fixed = collapsedWhitespace(name), roles.contains(where: { schema.spec(fixed, role: $0) != nil }) {
            context.emit("SC109", at: option, onValue: false,
                         "`\(name)` has extra whitespace inside; Netdata only reads `\(fixed)`", hint: "write `\(fixed)`",
                         fix: Fix.replacing(line: option.line, column: option.keyRange.lowerBound, length: option.keyRange.count,
                                            with: fixed.utf8, in: context.document, summary: "write `\(fixed)`"))
            return
        }
        var candidates = roles.flatMap { role in schema.options.filter { $0.roles.contains(role) }.map(\.name) }
        if candidates.isEmpty { candidates = schema.allNames }
        let suggestion = Suggestions.closest(to: name, among: candidates)
            ?? Suggestions.closest(to: name, among: schema.allNames + schema.renames.map(\.old))
        context.emit("SC201", at: option, onValue: false,
                     "unknown option `\(name)` in \(here); Netdata ignores it" + (suggestion.map { " (did you mean `\($0)`?)" } ?? ""),
                     hint: suggestion.map { "write `\(StreamAdvice.line($0, option.value))`" })
    }

    private static func renamed(_ context: inout LintContext, option: Option, rename: Rename, section: Section, roles: Set<SectionRole>) {
        if let newer = section.option(rename.new) {
            if rename.old == "buffer size bytes" {
                context.emit("SC204", at: option, onValue: false,
                             "both `buffer size bytes` and `buffer size` (line \(newer.line + 1)) are set; Netdata 2.x reads this old one last and it overrides `buffer size`",
                             hint: "remove `buffer size bytes`")
            } else {
                context.emit("SC204", at: option, onValue: false,
                             "both `\(rename.old)` and its new name `\(rename.new)` (line \(newer.line + 1)) are set; Netdata 2.x uses `\(rename.new)` and ignores this line",
                             hint: "remove `\(rename.old)`")
            }
            return
        }
        let readIn = context.schema.specs(named: rename.new).flatMap(\.roles)
        if !roles.contains(where: { readIn.contains($0) }) {
            context.emit("SC202", at: option, onValue: false,
                         "Netdata 2.x reads `\(rename.old)` as `\(rename.new)`, which is not read in [\(section.name)]; it is read only in \(where_(Set(readIn)))",
                         hint: "move it to \(where_(Set(readIn)))")
            return
        }
        context.emit("SC206", at: option, onValue: false,
                     "Netdata 2.x reads `\(rename.old)` as `\(rename.new)` (renamed in \(rename.since))",
                     hint: "write `\(StreamAdvice.line(rename.new, option.value))`",
                     fix: Fix.replacing(line: option.line, column: option.keyRange.lowerBound, length: option.keyRange.count,
                                        with: rename.new.utf8, in: context.document, summary: "rename it `\(rename.new)`"))
    }

    /// On 1.37 the API key and machine levels spell half the options differently.
    static func v1Counterpart(_ name: String, roles: Set<SectionRole>, target: NetdataTarget) -> String? {
        guard target == .v1_37, roles.count == 1 else { return nil }
        let pairs: [(a: String, m: String)] = [
            ("default history", "history"), ("default memory mode", "memory mode"),
            ("health enabled by default", "health enabled"),
            ("default postpone alarms on connect seconds", "postpone alarms on connect seconds"),
            ("default proxy enabled", "proxy enabled"), ("default proxy destination", "proxy destination"),
            ("default proxy api key", "proxy api key"), ("default proxy send charts matching", "proxy send charts matching"),
        ]
        for pair in pairs {
            if roles == [.apiKey], name == pair.m { return pair.a }
            if roles == [.machine], name == pair.a { return pair.m }
        }
        return nil
    }

    /// The 1.37 spelling of a 2.x name for the section's level.
    static func v1Name(forV2 name: String, roles: Set<SectionRole>) -> String? {
        let olds = Schema.v2.renames.filter { $0.new == name }.map(\.old)
        let v1 = Schema.v1
        return olds.first { old in roles.contains { v1.spec(old, role: $0) != nil } }
    }

    static func collapsedWhitespace(_ name: String) -> String? {
        let collapsed = name.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        return collapsed != name ? collapsed : nil
    }
}
