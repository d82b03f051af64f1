import StreamConfig

/// The fleet file as written: hosts with their variables merged (top `vars`, then each group's
/// `vars` in file order, then the host's own), before any host file is read.
///
/// Two shapes are read:
/// - stream-config's own: `hosts:` (name -> variables), optional `groups:` (name -> `hosts:` list
///   or mapping, `vars:`, `cluster:`, nested `groups:`), optional `vars:` for every host;
/// - an Ansible YAML inventory: `all:` with `hosts:`, `vars:` and `children:` (groups, nested
///   the same way), so one file serves both `ansible-playbook -i` and `fleet check`. Unknown
///   variables are the playbook's there and are not reported.
struct FleetFileParser {
    typealias Node = YAML.Node

    struct Value {
        var text: String
        var location: FleetLocation
        /// For `streams_to`: the host names listed.
        var list: [String] = []
        /// The group whose `vars` gave it (nil: the host's own, or top-level `vars`).
        var group: String? = nil
    }

    struct HostEntry {
        var name: String
        var location: FleetLocation
        var vars: [String: Value] = [:]
        var groups: [String] = []
    }

    /// Variables a host may have (also in `vars`).
    static let hostKeys: Set<String> = ["address", "config", "machine_guid", "netdata", "tenant", "hostname", "streams_to", "key_scope", "ca_file", "tls_key", "tls_certificate"]
    static let groupKeys: Set<String> = ["hosts", "vars", "cluster", "groups", "children"]
    static let topKeys: Set<String> = ["hosts", "groups", "vars"]

    let path: String
    private(set) var hosts: [HostEntry] = []
    private(set) var clusters: [FleetCluster] = []
    private(set) var findings: [Diagnostic] = []
    private var hostIndex: [String: Int] = [:]
    private var ansible = false

    init(path: String, text: String) {
        self.path = path
        let root: Node?
        do {
            // Every scalar stays the text written (`netdata: 1.37` is "1.37", not a float).
            root = try YAML.parse(text)
        } catch let error as YAML.Error {
            problem(FleetLocation(line: error.mark.line, column: error.mark.column), "the fleet file is not YAML stream-config reads: \(error.description)")
            return
        } catch {
            problem(FleetLocation(line: 1, column: 1), "the fleet file is not valid YAML: \(error)")
            return
        }
        guard let root, case .mapping(let top) = root else {
            problem(FleetLocation(line: 1, column: 1), "the fleet file must be a mapping with `hosts:` (or an Ansible inventory with `all:`)",
                    hint: "start with `hosts:` and one entry per host with `address` and `config`")
            return
        }
        if let all = Self.value(top, "all") {
            ansible = true
            parseGroup(name: "all", all, inherited: [:])
        } else {
            var topVars: [String: Value] = [:]
            for (key, value) in top {
                guard let name = key.string else { continue }
                switch name {
                case "vars": topVars = vars(value)
                case "hosts", "groups": break
                default: unknown(key, "at the top of the fleet file (known: hosts, groups, vars)")
                }
            }
            if let hostsNode = Self.value(top, "hosts") { parseHosts(hostsNode, group: nil, inherited: topVars) }
            if let groups = Self.value(top, "groups") { parseGroups(groups, inherited: topVars) }
            if Self.value(top, "hosts") == nil && Self.value(top, "groups") == nil {
                problem(location(of: root), "the fleet file has no `hosts:`", hint: "list each host under `hosts:` with `address` and `config`")
            }
        }
    }

    // MARK: Groups and hosts

    private mutating func parseGroup(name: String, _ node: Node, inherited: [String: Value]) {
        guard case .mapping(let group) = node else {
            if node.isNull == false { problem(location(of: node), "group `\(name)` must be a mapping with `hosts:`") }
            return
        }
        var own = inherited
        if let varsNode = Self.value(group, "vars") { for (key, value) in vars(varsNode, group: name) { own[key] = value } }
        for (key, _) in group {
            guard let keyName = key.string, !Self.groupKeys.contains(keyName) else { continue }
            if !ansible { unknown(key, "in group `\(name)` (known: hosts, vars, cluster, groups)") }
        }
        let before = Set(hosts.indices)
        if let hostsNode = Self.value(group, "hosts") { parseHosts(hostsNode, group: name, inherited: own) }
        for sub in ["groups", "children"] { if let node = Self.value(group, sub) { parseGroups(node, inherited: own) } }
        if let cluster = Self.value(group, "cluster") {
            if Self.bool(cluster) == true {
                let members = hosts.indices.filter { !before.contains($0) || hosts[$0].groups.contains(name) }.map { hosts[$0].name }
                clusters.append(FleetCluster(name: name, hosts: members))
            } else if Self.bool(cluster) == nil {
                problem(location(of: cluster), "`cluster` of group `\(name)` must be true or false")
            }
        }
    }

    private mutating func parseGroups(_ node: Node, inherited: [String: Value]) {
        guard case .mapping(let groups) = node else {
            if node.isNull == false { problem(location(of: node), "`groups` must map group names to groups") }
            return
        }
        for (key, value) in groups {
            guard let name = key.string else { continue }
            parseGroup(name: name, value, inherited: inherited)
        }
    }

    /// `hosts:` as a mapping (name -> variables or nothing) or, in a group, a list of names.
    private mutating func parseHosts(_ node: Node, group: String?, inherited: [String: Value]) {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard let name = key.string, !name.isEmpty else {
                    problem(location(of: key), "a host name must be a non-empty string")
                    continue
                }
                var own: [String: Value] = [:]
                if case .mapping = value {
                    own = vars(value, context: "host `\(name)`")
                } else if value.isNull == false {
                    problem(location(of: value), "host `\(name)` must map to its variables (`address`, `config`, ...)")
                    continue
                }
                addHost(name, location: location(of: key), own: own, group: group, inherited: inherited)
            }
        case .sequence(let sequence, _) where group != nil:
            for item in sequence {
                guard let name = item.string, case .scalar = item else {
                    problem(location(of: item), "the hosts of group `\(group!)` must be host names")
                    continue
                }
                addHost(name, location: location(of: item), own: [:], group: group, inherited: inherited)
            }
        default:
            if node.isNull == false { problem(location(of: node), group == nil ? "`hosts` must map host names to their variables" : "`hosts` of group `\(group!)` must be a list or a mapping of host names") }
        }
    }

    /// Each appearance of a host (under `hosts`, in a group) brings the variables in force there;
    /// later appearances override earlier ones, and the host's own variables override all.
    private mutating func addHost(_ name: String, location: FleetLocation, own: [String: Value], group: String?, inherited: [String: Value]) {
        let i: Int
        if let found = hostIndex[name] {
            i = found
        } else {
            i = hosts.count
            hostIndex[name] = i
            hosts.append(HostEntry(name: name, location: location))
            ownVars.append([:])
        }
        for (key, value) in inherited { hosts[i].vars[key] = value }
        for (key, value) in own { ownVars[i][key] = value }
        for (key, value) in ownVars[i] { hosts[i].vars[key] = value }
        if let group { hosts[i].groups.append(group) }
    }

    private var ownVars: [[String: Value]] = []

    /// A mapping of variables with scalar values.
    private mutating func vars(_ node: Node, context: String = "vars", group: String? = nil) -> [String: Value] {
        guard case .mapping(let mapping) = node else {
            if node.isNull == false { problem(location(of: node), "`\(context)` must be a mapping of variables") }
            return [:]
        }
        var result: [String: Value] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            if name.hasPrefix("ansible_") {
                if name == "ansible_host", let text = value.string { result["ansible_host"] = Value(text: text, location: location(of: value)) }
                continue
            }
            guard Self.hostKeys.contains(name) else {
                if !ansible { unknown(key, "in \(context) (known: \(Self.hostKeys.sorted().joined(separator: ", ")))") }
                continue
            }
            if name == "streams_to" {
                let items: [Node]
                switch value {
                case .sequence(let sequence, _): items = sequence
                case .scalar: items = [value]
                default: items = []
                }
                let names = items.compactMap { item -> String? in if case .scalar(let scalar) = item { return scalar.string } else { return nil } }
                guard names.count == items.count, !names.isEmpty else {
                    problem(location(of: value), "`streams_to` in \(context) must list host names")
                    continue
                }
                result[name] = Value(text: names.joined(separator: " "), location: location(of: value), list: names, group: group)
                continue
            }
            guard case .scalar(let scalar) = value, value.isNull == false else {
                problem(location(of: value), "`\(name)` in \(context) must be a single value")
                continue
            }
            result[name] = Value(text: scalar.string, location: location(of: value, length: scalar.string.utf8.count), group: group)
        }
        return result
    }

    /// The value of `key` in a mapping (keys compared as written).
    static func value(_ mapping: YAML.Mapping, _ key: String) -> Node? {
        for (name, value) in mapping { if case .scalar(let scalar) = name, scalar.string == key { return value } }
        return nil
    }

    /// YAML's booleans (`true`, `yes`, `on` and their opposites, any case).
    static func bool(_ node: Node) -> Bool? {
        guard case .scalar(let scalar) = node else { return nil }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    // MARK: Findings

    private mutating func problem(_ location: FleetLocation, _ message: String, hint: String? = nil) {
        findings.append(Diagnostic(code: "FL001", severity: .error, file: path, line: location.line, column: location.column,
                                   length: location.length, message: message, hint: hint))
    }

    mutating func problem(at location: FleetLocation, _ message: String, hint: String? = nil) { problem(location, message, hint: hint) }

    private mutating func unknown(_ key: Node, _ place: String) {
        let name = key.string ?? ""
        var message = "`\(name)` is not a key stream-config reads \(place): it is ignored"
        let known = Self.hostKeys.union(Self.groupKeys).union(Self.topKeys)
        if let close = known.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(close, name) <= 2 {
            message += " (did you mean `\(close)`?)"
        }
        let where_ = location(of: key, length: name.utf8.count)
        findings.append(Diagnostic(code: "FL002", severity: .warning, file: path, line: where_.line, column: where_.column,
                                   length: where_.length, message: message))
    }

    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : b.isEmpty ? a.count : previous[b.count]
    }

    private func location(of node: Node, length: Int = 1) -> FleetLocation {
        guard let mark = node.mark else { return FleetLocation(line: 1, column: 1) }
        return FleetLocation(line: mark.line, column: mark.column, length: length)
    }
}
