/// API key and machine GUID sections: names, `type`, `enabled` (SC301-SC309).
enum SectionChecks {
    static func run(_ context: inout LintContext) {
        // The first section of each lowercase spelling, and the later ones that repeat it.
        var byLowercase: [String: Section] = Dictionary(minimumCapacity: context.receiverSections.count)
        var sameInOtherCase: [(later: Section, first: Section)] = []
        for section in context.receiverSections {
            let name = section.name
            if context.isPlaceholder(section) {
                if let enabled = section.option("enabled"), NetdataBool.read(enabled.value) {
                    context.emitAtHeader("SC305", section: section,
                                         "[\(name)] is the stock file's placeholder, and it is enabled: a child would have to send the literal key \(name)",
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
            checkType(&context, section)
            checkEnabled(&context, section)
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
        case .invalid:
            let role = context.roles(of: section) == [.machine] ? "machine GUID" : "API key"
            var message = "[\(name)] is not a UUID: Netdata 1.37 refuses it as \(role == "API key" ? "an" : "a") \(role)"
            if context.target == .v2 { message = "[\(name)] is not a UUID: Netdata 2.11 accepts it as a key when enabled (a child using it streams), but going by its code picks its parent profile only for UUID-named keys, and 1.37 refuses it" }
            let stream = name.lowercased() == "stream" ? " (and `[Stream]` is not `[stream]`: names are case-sensitive)" : ""
            context.emitAtHeader("SC302", section: section, message + stream,
                                 hint: role == "API key" ? "use a UUID from `stream-config keygen` as the key, on the parent and the child" : "use the child's machine GUID (cat /var/lib/netdata/registry/netdata.public.unique.id on the child)")
        }
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
