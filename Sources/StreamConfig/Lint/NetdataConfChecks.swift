/// Which file a lint run reads: stream.conf or netdata.conf.
public enum ConfigKind: String, Sendable, CaseIterable, Codable {
    case stream, netdata

    /// From the file name (`netdata.conf`, `*.netdata.conf`), else from the content: sections
    /// only netdata.conf has (`[global]`, `[web]`, `[db]`, ...) and none of stream.conf's.
    public static func detect(fileName: String, ini: Ini) -> (ConfigKind, String) {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        if base == "netdata.conf" || base.hasSuffix(".netdata.conf") || base.hasPrefix("netdata.conf.") {
            return (.netdata, "the file name")
        }
        if base == "stream.conf" || base.hasSuffix(".stream.conf") { return (.stream, "the file name") }
        let names = Set(ini.sections.map(\.name))
        let streamOnly = names.contains("stream") || ini.sections.contains { UUIDSyntax.isUUID($0.name) }
        if !streamOnly, !names.isDisjoint(with: netdataSections) { return (.netdata, "its sections") }
        return (.stream, streamOnly ? "its sections" : "the default")
    }

    static let netdataSections: Set<String> = ["global", "web", "db", "directories", "logs", "plugins", "health", "registry", "ml", "statsd", "cloud"]
}

/// The lines of netdata.conf that decide whether streaming can work, as Netdata reads them
/// (NC101-NC404, and the address pattern rules SC601-SC609 for the web server's lists).
public enum NetdataConfChecks {
    static func run(_ context: inout LintContext, unreadableFiles: [String: String]) {
        let web = context.ini.section("web")
        let listen = WebListen(context.ini)
        if let bind = listen.bindOption {
            for ignored in listen.ignoredBinds {
                context.emit("NC108", at: ignored.option, onValue: false,
                             "`\(ignored.place.name)` is ignored: `\(listen.bindName)` (line \(bind.line + 1)) is set, and Netdata moves an old name to `[web] bind to` only when no earlier one is set (`[web] bind to`, then `[global] bind socket to IP`, then `[global] bind to`)",
                             hint: "delete this line, or move its address into `\(listen.bindName)`")
            }
        }
        var tlsEntries: [BindTo.Entry] = []
        // No bind to: every address, default port, everything allowed, no ^SSL.
        var streamingEntries = [BindTo("*").entries[0]]
        if let option = listen.bindOption {
            let listening = bindChecks(&context, option, place: listen.bindName)
            tlsEntries = listening.filter { $0.tls != .default }
            streamingEntries = listening.filter { $0.access.contains(.streaming) }
        }
        if let option = listen.portOption { portValue(&context, option) }
        plaintextChildrenOn137(&context, web: web, streaming: streamingEntries, bind: listen.bindOption)
        if let web {
            for name in ["allow connections from", "allow streaming from"] {
                if let option = web.option(name) { PatternChecks.checkWebPattern(&context, option) }
            }
            tlsFiles(&context, web: web, tlsEntries: tlsEntries, unreadableFiles: unreadableFiles)
        } else if !tlsEntries.isEmpty {
            tlsFiles(&context, web: nil, tlsEntries: tlsEntries, unreadableFiles: unreadableFiles)
        }
        if let db = context.ini.section("db") { replication(&context, db) }
        misspeltSections(&context)
    }

    /// NC111: `[Web]`, `[wbe]`, `[Global]`: a section that is `[web]`, `[global]` or `[db]`
    /// misspelt, holding a line these checks read. Netdata matches section names as written, so
    /// it reads nothing of it, and the checks above never see those lines either.
    private static func misspeltSections(_ context: inout LintContext) {
        for section in context.ini.sections where !ConfigKind.netdataSections.contains(section.name) {
            guard let meant = Suggestions.misspeltSection(section.name, among: ["web", "global", "db"]),
                  let names = readOptions[meant], let read = section.options.first(where: { names.contains($0.key) }) else { continue }
            context.emitAtHeader("NC111", section: section,
                                 "[\(section.name)] is not [\(meant)] (did you mean [\(meant)]?): Netdata matches section names as written, so it ignores this section, `\(read.key)` (line \(read.line + 1)) included",
                                 hint: "rename the section to [\(meant)], or merge its lines into the [\(meant)] section")
        }
    }

    /// The options these checks read, by section.
    static let readOptions: [String: Set<String>] = [
        "web": ["bind to", "default port", "ssl key", "ssl certificate", "allow connections from", "allow streaming from"],
        "global": ["bind socket to IP", "bind to", "port", "default port"],
        "db": ["seconds to replicate", "seconds per replication step", "replication period", "replication step"],
    ]

    /// Whether the 0-based `line` holds an option these checks read.
    static func readsLine(_ line: Int, in ini: Ini) -> Bool {
        readOptions.contains { section, names in
            ini.section(section)?.options.contains { $0.line == line && names.contains($0.key) } ?? false
        }
    }

    /// The Netdata line from `[db]` replication names only one line reads; else 2.x.
    static func inferTarget(_ ini: Ini) -> (NetdataTarget, String) {
        let db = ini.section("db")
        if let name = ["replication period", "replication step"].first(where: { db?.option($0) != nil }) {
            return (.v2, "`[db] \(name)` is a Netdata 2.x name")
        }
        if let name = ["seconds to replicate", "seconds per replication step"].first(where: { db?.option($0) != nil }) {
            return (.v1_37, "`[db] \(name)` is the Netdata 1.37 name")
        }
        return (.v2, "no version-specific options; assuming Netdata 2.x (use --target 1.37 for 1.37 agents)")
    }

    // MARK: bind to

    /// Returns the entries that can listen.
    /// `place` names the line in messages (`[global] bind to`...), as `WebListen` found it.
    private static func bindChecks(_ context: inout LintContext, _ option: Option, place: String) -> [BindTo.Entry] {
        let bind = BindTo(option.value)
        let base = option.valueRange.lowerBound
        let name = option.key
        var broken = 0
        for entry in bind.entries {
            let column = base + entry.offset
            let length = entry.text.utf8.count
            if entry.caretInPort {
                broken += 1
                let port = entry.port ?? ""
                let address = "\(entry.host ?? "*"):\(port.prefix { $0 != "^" })"
                let exits = bind.entries.allSatisfy(\.caretInPort)
                context.emit("NC101", line: option.line, column: column, length: length,
                             "Netdata reads the port up to the first `=`, so the port of `\(entry.text)` is `\(port)`: it cannot listen there (\"getaddrinfo ... Servname not supported\")"
                                 + (exits ? ", and with no other entry Netdata exits (\"Cannot listen on any API socket\")" : ""),
                             hint: "put the access list before ^SSL: `\(Advice.bindTo(entry.tls == .optional ? .tlsOptional : .tlsForced, address: address))`")
                continue
            }
            if entry.isUnix { continue }
            if let port = entry.port, entry.numericPort == nil, port.isEmpty || port.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                context.emit("NC102", line: option.line, column: column, length: length,
                             port.isEmpty ? "`\(entry.text)` has an empty port: Netdata cannot listen there"
                                 : "port \(port) of `\(entry.text)` is not between 1 and 65535: Netdata cannot listen there",
                             hint: "write a port such as `\(entry.host ?? "*"):19999`")
            }
            var address = Substring(entry.text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if address.hasPrefix("tcp:") || address.hasPrefix("udp:") { address = address.dropFirst(4) }
            if !address.hasPrefix("["), address.utf8.filter({ $0 == UInt8(ascii: ":") }).count > 1 {
                context.emit("NC107", line: option.line, column: column, length: length,
                             "`\(entry.text)`: the host ends at the first `:`, so an IPv6 address must be in brackets",
                             hint: "write the address in brackets, e.g. `[::]:19999`")
            }
            if let words = entry.accessWords, words.isEmpty {
                context.emit("NC105", line: option.line, column: column, length: length,
                             "`\(entry.text)` has an empty access list: the port refuses every request, streaming included",
                             hint: "list what the port serves before ^SSL: `\(Advice.bindTo(entry.tls == .optional ? .tlsOptional : .tlsForced, address: "\(entry.host ?? "*"):\(entry.port ?? "19999")"))`")
            }
            for word in entry.unknownAccessWords {
                context.emit("NC103", line: option.line, column: column, length: length,
                             "`\(word)` is not an access word Netdata knows (\(Advice.everyAccess.split(separator: "|").joined(separator: ", "))): it is ignored",
                             hint: "access words are lowercase and separated by `|`")
            }
            for unknown in entry.unknownOptions {
                context.emit("NC104", line: option.line, column: column, length: length,
                             "`^\(unknown)` is neither `^SSL=force` nor `^SSL=optional` (case-sensitive): Netdata ignores it and the port keeps its default TLS behaviour",
                             hint: "write `^SSL=force` or `^SSL=optional` at the end of the access list")
            }
        }
        let listening = bind.entries.filter { !$0.caretInPort && !$0.isUDP && ($0.isUnix || $0.port == nil || $0.numericPort != nil) }
        if !listening.isEmpty, !listening.contains(where: { $0.access.contains(.streaming) }) {
            context.emit("NC106", at: option,
                         "no entry of `\(name)` allows `streaming`: this node refuses every child (\"You are not allowed to access this resource\")",
                         hint: "if this node is a parent, add `streaming` to an access list, e.g. `\(Advice.bindTo(.tlsForced))`")
        }
        if broken == 0, bind.loopbackOnly {
            context.emit("NC109", at: option,
                         "`\(name) = \(option.value)`\(place == "[web] bind to" ? "" : " (\(place), which Netdata reads as `[web] bind to`)") listens on loopback only: children on other machines cannot connect (Debian's default)",
                         hint: "on a parent, listen on every address: \(Advice.listenOnEveryAddressFix(file: context.file, option: option))")
        }
        return listening
    }

    /// `default port`: strtoll, then a TCP port.
    private static func portValue(_ context: inout LintContext, _ option: Option) {
        let parsed = StrToLL(option.value)
        let trimmed = option.value.trimmingSpaces
        let clean = parsed.hasDigits && parsed.consumed == trimmed.utf8.count && parsed.base == 10
        guard !clean || !(1...65535).contains(parsed.value) else { return }
        let reading = parsed.hasDigits ? "\(parsed.value)" : "0"
        var why = "Netdata reads it as \(reading)"
        if parsed.base == 8 { why += " (a leading 0 makes it octal)" }
        context.emit("NC110", at: option, "`\(option.key) = \(option.value)`: \(why), which is not a port between 1 and 65535 as written",
                     hint: "write the port in decimal, e.g. `\(option.key) = 19999`")
    }

    // MARK: TLS files

    private static func tlsFiles(_ context: inout LintContext, web: Section?, tlsEntries: [BindTo.Entry], unreadableFiles: [String: String]) {
        guard let first = tlsEntries.first, let bindOption = WebListen(context.ini).bindOption else { return }
        let key = web?.option("ssl key"), certificate = web?.option("ssl certificate")
        let forced = tlsEntries.contains { $0.tls == .force }
        // Checked on 1.37.1: without a certificate a ^SSL=force port answers the dashboard in
        // plaintext but a plaintext STREAM with HTTP 400, so no child can stream there.
        let consequence = forced ? "the ^SSL=force port then refuses every child (a plaintext STREAM gets HTTP 400) while its dashboard answers in plaintext"
            : "the port then serves plaintext only, and TLS children fail"
        if key == nil || certificate == nil {
            let missing = [key == nil ? "ssl key" : nil, certificate == nil ? "ssl certificate" : nil].compactMap { $0 }
            context.emit("NC201", line: bindOption.line, column: bindOption.valueRange.lowerBound + first.offset, length: first.text.utf8.count,
                         "`^SSL=\(first.tls.rawValue)` without `[web] \(missing.joined(separator: "` and `"))`: Netdata looks for CONFIG_DIR/ssl/\(missing.map { $0 == "ssl key" ? "key.pem" : "cert.pem" }.joined(separator: " and ")); without readable files it serves no TLS (\"To use encryption it is necessary to set ...\"), and \(consequence)",
                         hint: "make a key and certificate: `stream-config tls init --netdata-conf netdata.conf`")
        }
        for option in [key, certificate].compactMap({ $0 }) {
            guard let reason = unreadableFiles[option.value] else { continue }
            context.emit("NC202", at: option,
                         "`\(option.key) = \(option.value)`: \(reason); Netdata serves no TLS without it, and \(consequence)",
                         hint: "check the path and that user netdata can read it (`stream-config tls init` writes both files)")
        }
    }

    /// NC203 (1.37): with a certificate, Netdata 1.37.1 answers no plaintext child on any port,
    /// whatever `^SSL` says (checked: the parent logs "cannot write to SSL connection -
    /// connection is not ready"). 2.x keeps taking plaintext children unless `^SSL=force`.
    private static func plaintextChildrenOn137(_ context: inout LintContext, web: Section?, streaming: [BindTo.Entry], bind: Option?) {
        guard context.target == .v1_37, let web, let key = web.option("ssl key"), web.option("ssl certificate") != nil,
              !key.value.isEmpty, streaming.contains(where: { $0.tls != .force }) else { return }
        context.emit("NC203", at: key, onValue: false,
                     "with `ssl key` and `ssl certificate` set, Netdata 1.37.1 answers only TLS children on every port, `^SSL=optional` and no `^SSL` included: a plaintext child gets no answer (the parent logs \"cannot write to SSL connection - connection is not ready\")",
                     hint: "give every child `:SSL` (`stream-config child set --ssl --ca-file parent.crt`); to say so in netdata.conf: `\(Advice.bindTo(.tlsForced))`")
    }

    /// The files Netdata opens for TLS, for the frontend to check (readability is I/O).
    public static func tlsFilePaths(_ ini: Ini) -> [String] {
        guard let web = ini.section("web") else { return [] }
        return ["ssl key", "ssl certificate"].compactMap { web.value($0) }.filter { !$0.isEmpty }
    }

    // MARK: [db] replication

    private static func replication(_ context: inout LintContext, _ db: Section) {
        let oldNames = ["seconds to replicate": "replication period", "seconds per replication step": "replication step"]
        for (old, new) in oldNames.sorted(by: { $0.key < $1.key }) {
            guard let option = db.option(old) else { continue }
            switch context.target {
            case .v2:
                if let newer = db.option(new) {
                    context.emit("NC401", at: option, onValue: false,
                                 "`[db] \(old)` is ignored: `\(new)` (line \(newer.line + 1)) is set, and Netdata 2.x renames the old name only when the new one is absent",
                                 hint: "delete this line")
                } else {
                    context.emit("NC402", at: option, onValue: false,
                                 "Netdata 2.x reads `[db] \(old)` as `\(new)` (a duration such as 1d; a bare number is seconds)",
                                 hint: "rename it to `\(new)`",
                                 fix: Fix.replacing(line: option.line, column: option.keyRange.lowerBound, length: option.keyRange.count,
                                                    with: new.utf8, in: context.document, summary: "rename it `\(new)`"))
                }
            case .v1_37:
                let parsed = StrToLL(option.value)
                if !parsed.hasDigits || parsed.consumed != option.value.trimmingSpaces.utf8.count {
                    context.emit("NC403", at: option,
                                 "Netdata 1.37 reads `[db] \(old)` as a number of seconds with strtoll: `\(option.value)` is \(parsed.hasDigits ? "\(parsed.value)" : "0") seconds",
                                 hint: "write the seconds as a number, e.g. `\(old) = \(old == "seconds to replicate" ? 86400 : 600)`")
                }
            }
        }
        for (_, new) in oldNames.sorted(by: { $0.key < $1.key }) {
            guard let option = db.option(new) else { continue }
            switch context.target {
            case .v1_37:
                context.emit("NC404", at: option, onValue: false,
                             "`[db] \(new)` is a Netdata 2.x name: 1.37 ignores it (its name is `\(oldNames.first { $0.value == new }!.key)`, in seconds)",
                             hint: "on 1.37 agents write `\(oldNames.first { $0.value == new }!.key)`")
            case .v2:
                if NetdataDuration.parseSeconds(option.value) == nil {
                    context.emit("NC403", at: option,
                                 "`[db] \(new) = \(option.value)` is not a duration Netdata 2.x reads: it logs \"configured with an invalid duration\" and uses the default",
                                 hint: "write a duration such as 1d, 12h or 10m")
                }
            }
        }
    }
}
