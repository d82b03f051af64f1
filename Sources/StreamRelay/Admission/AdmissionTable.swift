import StreamConfig

/// `Admission.decide` for the usual child, worked out once per configuration (at load and at
/// each reload) instead of once per request: for every API key section, its own checks (`type`,
/// `enabled`, the parsed `allow from`) and the upstream plan with its chart filter.
///
/// The usual child is one whose machine GUID has no section of its own: then the GUID's checks
/// pass by default (`type` machine, `enabled` yes, `allow from` `*`) and the plan depends on the
/// key alone (`ProxyCascade`). Any other request (a GUID with a section, a key with none)
/// returns nil from `decide`, and the caller asks `Admission.decide` itself: the table answers
/// only where its answer is the same by construction, and the refusal order is Netdata's
/// (request fields, then the key section, then the plan).
struct AdmissionTable: Sendable {
    /// A key section's part of the decision.
    struct KeyEntry: Sendable {
        /// `type` or `enabled` refuse every request with this key.
        var refusal: AdmissionRefusal?
        /// `allow from` (nil: allows everyone, as an absent or empty value does).
        var allowFrom: SimplePattern?
        /// The plan's verdict for a GUID without a section.
        var decision: AdmissionDecision
        /// The accepted plan's chart filter; nil when it sends every chart (`*` first).
        var chartFilter: ChartFilter?
    }

    /// The table's answer: the decision and, when accepted, the filter for the child's charts.
    struct Answer: Equatable {
        var decision: AdmissionDecision
        var chartFilter: ChartFilter?
    }

    let target: NetdataTarget
    /// By key section name (canonical UUIDs only: plain ASCII, so String equality is the
    /// byte equality `Ini.section` uses).
    private let keys: [String: KeyEntry]
    /// Every section name that is a UUID (any case): a machine GUID among them has a section.
    private let uuidSections: Set<String>

    init(ini: Ini, target: NetdataTarget) {
        self.target = target
        var keys: [String: KeyEntry] = [:]
        var uuidSections = Set<String>()
        for section in ini.sections {
            let name = section.name
            guard UUIDSyntax.isUUID(name) else { continue }
            uuidSections.insert(name)
            guard UUIDSyntax.classify(name) == .canonical, keys[name] == nil,
                  let indexed = ini.section(name) else { continue }  // the section `Ini.section` finds
            keys[name] = Self.entry(indexed, ini: ini, target: target)
        }
        self.keys = keys
        self.uuidSections = uuidSections
    }

    static func entry(_ section: Section, ini: Ini, target: NetdataTarget) -> KeyEntry {
        var refusal: AdmissionRefusal?
        if (section.value("type") ?? "api") != "api" {
            refusal = .keyIsNotAPIKey
        } else if !NetdataBool.read(section.value("enabled") ?? "no") {
            refusal = .keyNotEnabled
        }
        let pattern = SimplePattern(section.value("allow from") ?? "*")
        let plan = ProxyCascade.resolve(ini: ini, target: target, apiKey: section.name, machineGUID: nil)
        let decision: AdmissionDecision = plan.refusal.map { .refuse($0) } ?? .accept(plan)
        var filter: ChartFilter?
        if case .accept(let plan) = decision {
            let chartFilter = plan.chartFilter(target: target)
            filter = chartFilter.sendsEverything ? nil : chartFilter
        }
        return KeyEntry(refusal: refusal, allowFrom: pattern.words.isEmpty ? nil : pattern, decision: decision, chartFilter: filter)
    }

    /// The decision for `request`, or nil when the table does not cover it (ask
    /// `Admission.decide`).
    func decide(_ request: AdmissionRequest) -> Answer? {
        // Netdata's order (`Admission.check`): the request's own fields first.
        if target == .v2, let hops = request.hops, !Admission.isValidHops(hops) { return Answer(decision: .refuse(.invalidHops)) }
        guard let key = request.apiKey, !key.isEmpty else { return Answer(decision: .refuse(.noKey)) }
        guard let hostname = request.hostname, !hostname.isEmpty else { return Answer(decision: .refuse(.noHostname)) }
        guard let guid = request.machineGUID, !guid.isEmpty else { return Answer(decision: .refuse(.noMachineGUID)) }
        guard UUIDSyntax.classify(key) == .canonical else { return Answer(decision: .refuse(.invalidKey)) }
        guard UUIDSyntax.isUUID(guid) else { return Answer(decision: .refuse(.invalidMachineGUID)) }
        // A GUID with a section of its own, or a key without one: the general path.
        guard !uuidSections.contains(guid), let entry = keys[key] else { return nil }
        if let refusal = entry.refusal { return Answer(decision: .refuse(refusal)) }
        if let pattern = entry.allowFrom, !pattern.matches(PeerName.forAllowFrom(request.peerAddress)) {
            return Answer(decision: .refuse(.keyNotAllowedFromIP))
        }
        return Answer(decision: entry.decision, chartFilter: entry.chartFilter)
    }

    /// Key sections in the table.
    var count: Int { keys.count }
}
