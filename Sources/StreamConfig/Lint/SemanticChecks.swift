/// How options work together (SC701-SC706).
enum SemanticChecks {
    /// The spellings of one setting across the 1.37 levels and the 2.x renames (asked per section).
    private enum Names {
        static let proxyEnabled = ["proxy enabled", "default proxy enabled"]
        static let proxyDestination = ["proxy destination", "default proxy destination"]
        static let proxyAPIKey = ["proxy api key", "default proxy api key"]
        static let replicationPeriod = ["replication period", "seconds to replicate"]
        static let replicationStep = ["replication step", "seconds per replication step"]
        static let databaseMode = ["db", "default memory mode", "memory mode", "db mode"]
        static let retention = ["retention", "default history", "history"]
        static let updateEvery = ["update every"]
        static let enableReplication = ["enable replication"]
    }

    /// Netdata's defaults for what a section does not set (netdata.conf `[db]`).
    static let defaultRetentionEntries: Int64 = 3600
    static let defaultReplicationSeconds: Int64 = 86400

    static func run(_ context: inout LintContext) {
        let keys = context.receiverSections.filter { !context.isPlaceholder($0) }
        replication(&context, keys: keys)
        guard let stream = context.streamSection else {
            proxies(&context, keys: keys, stream: nil)
            return
        }
        let enabled = stream.option("enabled").map { NetdataBool.read($0.value) } ?? false
        if enabled, let option = stream.option("enabled") {
            let destination = stream.value("destination") ?? ""
            let apiKey = stream.value("api key") ?? ""
            var missing: [String] = []
            if DestinationList.split(destination).isEmpty { missing.append("`destination`") }
            if apiKey.isEmpty { missing.append("`api key`") }
            if !missing.isEmpty {
                context.emit("SC701", at: option,
                             "streaming is enabled but \(missing.joined(separator: " and ")) \(missing.count > 1 ? "are" : "is") empty: Netdata turns sending off (\"cannot enable sending thread\")",
                             hint: "set both, e.g. `stream-config child set --destination PARENT:19999 --api-key KEY`")
            }
            if context.target == .v1_37, stream.option("timeout seconds") == nil {
                context.emitAtHeader("SC706", section: stream,
                                     "`timeout seconds` is not set here, so Netdata uses its built-in 600 s, not the stock file's 60 s",
                                     hint: "add `\(StreamAdvice.stockTimeout137)` if you relied on the stock value")
            }
            let enabledKeys = keys.filter { section in
                context.roles(of: section).contains(.apiKey) && (section.option("enabled").map { NetdataBool.read($0.value) } ?? false)
                    && readOption(Names.proxyEnabled, in: section, context) == nil
            }
            if !enabledKeys.isEmpty {
                context.emit("SC704", at: option,
                             "this node streams to a parent and also accepts children (\(enabledKeys.count) enabled key\(enabledKeys.count > 1 ? "s" : "")): every child it receives is forwarded to its parent too",
                             hint: "if that is not wanted, add `\(StreamAdvice.noProxy(context.target, machine: false))` to the key sections")
            }
        }
        tls(&context, stream: stream, keys: keys)
        proxies(&context, keys: keys, stream: stream)
    }

    private static func tls(_ context: inout LintContext, stream: Section, keys: [Section]) {
        var destinations = DestinationList.parse(stream.value("destination") ?? "", target: context.target)
        // [stream]'s TLS options also serve proxied streams. `:SSL` in a proxy destination counts
        // on both lines (on 1.37, SC509 says Netdata itself does not read it there; the relay does).
        for section in keys {
            for name in Names.proxyDestination {
                destinations += DestinationList.parse(section.value(name) ?? "", target: .v2, isStreamDestination: false)
            }
        }
        let anyTLS = destinations.contains(where: \.tls)
        let skip = stream.option("ssl skip certificate verification")
        if anyTLS {
            if let skip, NetdataBool.read(skip.value) {
                context.emit("SC703", at: skip,
                             "TLS without certificate verification: the connection is encrypted, but any server can pose as the parent",
                             hint: "give the parent's certificate instead: `stream-config child set --ca-file parent.pem ...`")
            }
            return
        }
        let tlsOptions = [skip, stream.option("CApath"), stream.option("CAfile")].compactMap { $0 }.filter { !$0.value.isEmpty }
        for option in tlsOptions where option.key != "ssl skip certificate verification" || NetdataBool.read(option.value) {
            context.emit("SC702", at: option, onValue: false,
                         "`\(option.key)` has no effect: no destination uses `:SSL`",
                         hint: "append `:SSL` to TLS destinations (`\(StreamAdvice.tlsEntry("parent:19999"))`), or remove the line")
        }
    }

    /// SC705: forwarding switched on without somewhere to forward to.
    private static func proxies(_ context: inout LintContext, keys: [Section], stream: Section?) {
        for section in keys {
            guard let enabled = readOption(Names.proxyEnabled, in: section, context), NetdataBool.read(enabled.value) else { continue }
            let destination = readOption(Names.proxyDestination, in: section, context)?.value ?? stream?.value("destination") ?? ""
            let key = readOption(Names.proxyAPIKey, in: section, context)?.value ?? stream?.value("api key") ?? ""
            var missing: [String] = []
            if DestinationList.split(destination).isEmpty { missing.append("destination") }
            if key.isEmpty { missing.append("API key") }
            guard !missing.isEmpty else { continue }
            context.emit("SC705", at: enabled,
                         "forwarding is enabled for [\(section.name)] but there is no \(missing.joined(separator: " or ")) (here or in [stream]): children are silently not forwarded",
                         hint: "set the proxy destination and proxy api key in this section")
        }
    }

    /// The first of `names` that Netdata reads in this section (on 1.37 the API key and machine
    /// levels use different names; on 2.x old names are renamed and the new one wins).
    static func readOption(_ names: [String], in section: Section, _ context: LintContext) -> Option? {
        let roles = context.roles(of: section)
        for name in names {
            guard let option = section.option(name) else { continue }
            if Resolver.spec(name, roles: roles, schema: context.schema) != nil { return option }
        }
        return nil
    }

    /// SC417: a replication step longer than the replication period, in one section.
    static func replication(_ context: inout LintContext, keys: [Section]) {
        for section in keys {
            replicationBeyondRAM(&context, section: section, keys: keys)
            guard let period = readOption(Names.replicationPeriod, in: section, context),
                  let step = readOption(Names.replicationStep, in: section, context),
                  let periodSeconds = seconds(period.value, context), let stepSeconds = seconds(step.value, context),
                  stepSeconds > periodSeconds else { continue }
            context.emit("SC417", at: step,
                         "the replication step (\(stepSeconds)s) is longer than the replication period (\(periodSeconds)s, line \(period.line + 1)): the whole period is replicated in one step",
                         hint: "make the step shorter than the period (the stock file suggests 10m)")
        }
    }

    /// SC707: a RAM database (`ram`, `alloc`; on 1.37 every mode but `dbengine`) holds
    /// retention × update every seconds, and Netdata silently caps replication to that.
    /// Only sections that choose the RAM mode themselves are judged; a machine section that
    /// leaves retention or the period to the cascade is skipped when some key section sets it
    /// (which key a child uses is not in the file).
    private static func replicationBeyondRAM(_ context: inout LintContext, section: Section, keys: [Section]) {
        guard let db = readOption(Names.databaseMode, in: section, context) else { return }
        let mode = DatabaseMode.read(db.value, target: context.target)
        guard mode != "dbengine", mode != "none" else { return }
        if let enabled = readOption(Names.enableReplication, in: section, context), !NetdataBool.read(enabled.value) { return }
        let machineOnly = context.roles(of: section) == Resolver.machineRole
        func inherited(_ names: [String]) -> Bool {
            machineOnly && keys.contains { context.roles(of: $0).contains(.apiKey) && readOption(names, in: $0, context) != nil }
        }
        let retentionOption = readOption(Names.retention, in: section, context)
        let periodOption = readOption(Names.replicationPeriod, in: section, context)
        if retentionOption == nil && inherited(Names.retention) { return }
        if periodOption == nil && inherited(Names.replicationPeriod) { return }
        // Netdata keeps these in C ints: clamp, so that the arithmetic below cannot overflow.
        let entries = clampedToInt32(retentionOption.map { StrToLL($0.value).value } ?? defaultRetentionEntries, minimum: 5)
        let every = clampedToInt32(readOption(Names.updateEvery, in: section, context).flatMap { seconds($0.value, context) } ?? 1, minimum: 1)
        let period = clampedToInt32(periodOption.flatMap { seconds($0.value, context) } ?? defaultReplicationSeconds, minimum: 0)
        let kept = mode == "ram" ? pageAlignedEntries(entries) : entries
        let holds = kept * every
        guard period > holds else { return }
        var retentionSource = retentionOption.map { "`\($0.key) = \($0.value)`" } ?? "netdata.conf's `[db] retention` unless changed there"
        if kept != entries { retentionSource += ", rounded up by `ram` to whole memory pages: \(kept)" }
        let periodSource = periodOption.map { "`\($0.key) = \($0.value)`" } ?? "the default"
        let retentionName = context.target == .v2 ? "retention" : (machineOnly ? "history" : "default history")
        context.emit("SC707", at: periodOption ?? db,
                     "[\(section.name)] keeps its database in RAM (`\(db.key) = \(db.value)`): \(kept) entries (\(retentionSource)) at \(every) s each hold \(NetdataDuration.format(seconds: holds)), but replication asks for \(NetdataDuration.format(seconds: period)) (\(periodSource)); Netdata silently replicates only the last \(NetdataDuration.format(seconds: holds)) after a reconnect",
                     hint: "use `\(StreamAdvice.line(db.key, "dbengine"))`, raise `\(retentionName)` to \((period + every - 1) / every) entries, or set the replication period to \(NetdataDuration.format(seconds: holds)) to say what happens")
    }

    /// Mode `ram` rounds its entries up to whole 4096-byte pages of 4-byte values
    /// (`align_entries_to_pagesize`): 3600 become 4096, as 1.37.1's /netdata.conf reports.
    static func pageAlignedEntries(_ entries: Int64) -> Int64 {
        (entries + 1023) / 1024 * 1024
    }

    private static func clampedToInt32(_ value: Int64, minimum: Int64) -> Int64 {
        min(max(value, minimum), Int64(Int32.max))
    }

    private static func seconds(_ value: String, _ context: LintContext) -> Int64? {
        if context.target == .v2 { return NetdataDuration.parseSeconds(value) }
        let parsed = StrToLL(value)
        return parsed.hasDigits ? parsed.value : nil
    }
}
