/// API key and machine GUID sections: names, `type`, `enabled`, documentation keys (SC301-SC311).
enum SectionChecks {
    static func run(_ context: inout LintContext) {
        // The first section of each lowercase spelling, and the later ones that repeat it.
        var byLowercase: [String: Section] = Dictionary(minimumCapacity: context.receiverSections.count)
        var sameInOtherCase: [(later: Section, first: Section)] = []
        for section in context.receiverSections {
            let name = section.name
            if context.isPlaceholder(section) {
                if let enabled = section.option("enabled"), NetdataBool.read(enabled.value) {
                    let whose = SecretMasker.isStockPlaceholder(name) ? "the stock file's placeholder" : "a placeholder from an example, not a key"
                    context.emitAtHeader("SC305", section: section,
                                         "[\(name)] is \(whose), and it is enabled: a child would have to send the literal key \(name)",
                                         hint: "rename the section to a real key: `stream-config keygen` prints one")
                }
                continue
            }
            if name.isEmpty || name.trimmingSpaces != name { continue }  // SC112/SC103 already said it
            let hasUppercase = name.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") || $0 >= 0x80 }
            let lowercase = hasUppercase ? name.lowercased() : name
            if let first = byLowercase[lowercase] {
                sameInOtherCase.append((section, first))
            } else {
                byLowercase[lowercase] = section
            }
            checkName(&context, section)
            // `[steam]` is a typo of [stream] (SC302 says so): no advice on making it a key.
            if Suggestions.isStreamMisspelling(name) { continue }
            checkType(&context, section)
            checkEnabled(&context, section)
            checkDocumentationKey(&context, section)
        }
        for (section, first) in sameInOtherCase {
            context.emitAtHeader("SC308", section: section,
                                 "[\(section.name)] and [\(first.name)] are the same UUID in different case; Netdata treats them as two different keys",
                                 hint: "keep one section, in lowercase")
        }
    }

    private static func checkName(_ context: inout LintContext, _ section: Section) {
        let name = section.name
        switch UUIDSyntax.classify(name) {
        case .canonical:
            break
        case .notLowercase:
            context.emitAtHeader("SC303", section: section,
                                 "[\(name)] is not lowercase; a child must send exactly this spelling to match it",
                                 hint: "write the section as [\(name.lowercased())] and use the same spelling on the child")
        case .invalid where Suggestions.isStreamMisspelling(name):
            // No key: the name is shown as written (`LintContext.secrets` leaves it out).
            context.emitAtHeader("SC302", section: section,
                                 "[\(name)] is not [stream] (did you mean [stream]?): Netdata reads every other section as an API key or machine GUID, so its options are not this node's sending settings, and as a key the name is not a UUID",
                                 hint: "rename the section to [stream] (section names are case-sensitive), or merge its options into the [stream] section")
        case .invalid:
            let role = context.roles(of: section) == [.machine] ? "machine GUID" : "API key"
            var message = "[\(name)] is not a UUID: Netdata 1.37 refuses it as \(role == "API key" ? "an" : "a") \(role)"
            if context.target == .v2 { message = "[\(name)] is not a UUID: Netdata 2.11 accepts it as a key when enabled (a child using it streams), but going by its code picks its parent profile only for UUID-named keys, and 1.37 refuses it" }
            context.emitAtHeader("SC302", section: section, message,
                                 hint: role == "API key" ? "use a UUID from `stream-config keygen` as the key, on the parent and the child" : "use the child's machine GUID (cat /var/lib/netdata/registry/netdata.public.unique.id on the child)")
        }
    }

    /// SC310/SC311: an enabled key section named after the key Netdata's documentation prints.
    /// From every address (`allow from` unset, empty or with a positive `*`) anyone who read
    /// the documentation streams here: an error; behind a narrower `allow from`, a warning.
    private static func checkDocumentationKey(_ context: inout LintContext, _ section: Section) {
        guard ExampleKeys.isDocumentationKey(section.name), context.roles(of: section).contains(.apiKey),
              let enabled = section.option("enabled"), NetdataBool.read(enabled.value) else { return }
        let allow = section.option("allow from")
        if acceptsEveryAddress(allow?.value) {
            let from = allow.map { "`allow from = \($0.value)`" } ?? "no `allow from`, so `*`"
            context.emitAtHeader("SC311", section: section,
                                 "[\(section.name)] is the key printed in Netdata's documentation, enabled and accepted from every address (\(from)): anyone who read the documentation can stream to this parent",
                                 hint: documentationKeyHint)
        } else {
            context.emitAtHeader("SC310", section: section,
                                 "[\(section.name)] is the key printed in Netdata's documentation: only its `allow from` keeps other senders out",
                                 hint: documentationKeyHint)
        }
    }

    /// A key of one's own, written as `parent add-key` and `child set` write it.
    static let documentationKeyHint = "make a key of your own with `stream-config keygen`, name this section after it (with `\(StreamAdvice.typeAPI)` and `\(StreamAdvice.enableKey)`) and write `\(StreamAdvice.apiKey("NEW-KEY"))` on the children"

    /// `allow from` as Netdata reads it for a key: unset is `*`, empty checks nothing (SC608),
    /// and a positive `*` lets in every address no earlier negative word names.
    static func acceptsEveryAddress(_ pattern: String?) -> Bool {
        guard let pattern else { return true }
        let words = SimplePattern(pattern).words
        return words.isEmpty || words.contains { !$0.negative && $0.text == "*" }
    }

    private static func checkType(_ context: inout LintContext, _ section: Section) {
        guard let type = section.option("type") else {
            context.emitAtHeader("SC309", section: section,
                                 "[\(section.name)] has no `type`: its first use fixes whether it is an API key or a machine GUID until Netdata restarts",
                                 hint: "add `\(StreamAdvice.typeAPI)` (or `\(StreamAdvice.typeMachine)`)")
            return
        }
        guard type.value != "api", type.value != "machine" else { return }
        if type.value.contains("#") { return }  // SC108 explains inline comments
        // Only a letter-case slip (`API`, `Machine`) has one meaning.
        let lowered = type.value.lowercased()
        let fix = lowered == "api" || lowered == "machine"
            ? Fix.replacing(line: type.line, column: type.valueRange.lowerBound, length: type.valueRange.count, with: lowered.utf8,
                            in: context.document, summary: "write `type = \(lowered)`")
            : nil
        context.emit("SC304", at: type,
                     "`type = \(type.value)` is neither `api` nor `machine`: every connection using [\(section.name)] is refused",
                     hint: "write `\(type.value.lowercased().hasPrefix("m") ? StreamAdvice.typeMachine : StreamAdvice.typeAPI)` (lowercase)", fix: fix)
    }

    private static func checkEnabled(_ context: inout LintContext, _ section: Section) {
        let roles = context.roles(of: section)
        guard let enabled = section.option("enabled") else {
            if roles.contains(.apiKey) {
                let either = roles.count > 1 ? " if a child uses it as an API key" : ""
                context.emitAtHeader("SC306", section: section,
                                     "[\(section.name)] has no `enabled`: API keys default to `enabled = no`, so children are refused\(either)",
                                     hint: "add `\(StreamAdvice.enableKey)` to the section")
            }
            return
        }
        guard NetdataBool.isRecognised(enabled.value), !NetdataBool.read(enabled.value) else { return }
        if roles == [.machine] {
            context.emit("SC307", at: enabled, "machine [\(section.name)] is disabled: that child is refused (this is not a security mechanism; a child can send any GUID)")
        } else {
            context.emit("SC307", at: enabled, "key [\(section.name)] is disabled: children using it are refused")
        }
    }
}
