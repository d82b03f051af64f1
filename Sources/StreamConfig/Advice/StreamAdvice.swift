/// Every stream.conf line stream-config tells a user to write, in one place (`Advice` holds the
/// netdata.conf lines).
///
/// Lint's hints and explanations, doctor's fixes and the examples of README.md and the man pages
/// are these lines: AdviceDocsTests fails when a code block of the docs shows a `NAME = VALUE`
/// line of a stream.conf option that `documented` does not hold, and AdviceInteropTests applies
/// the lines, with the lab's addresses and keys in the placeholders, to real Netdata 1.37.1
/// parents and children. Change a line here, never in a copy.
public enum StreamAdvice {
    /// `NAME = VALUE`, as Netdata reads it (no quotes, no comment after the value). Corrections of
    /// a user's own line (a misspelt name, a boolean Netdata reads as false) are written with it.
    public static func line(_ name: String, _ value: String) -> String { "\(name) = \(value)" }

    /// The name and value of an advice line, for the editors that write it (`child set`, `parent add-key`).
    public static func option(_ line: String) -> (key: String, value: String) {
        guard let equals = line.firstRange(of: " = ") else { return (line, "") }
        return (String(line[..<equals.lowerBound]), String(line[equals.upperBound...]))
    }

    // MARK: a child's [stream]

    /// Turns sending on (with `destination` and `api key`; without them Netdata turns it off).
    public static let enableSending = line("enabled", "yes")
    /// A node that only receives (the relay's own `[stream]`, a parent without a parent).
    public static let disableSending = line("enabled", "no")
    /// Parents tried in order, separated by single spaces.
    public static func destination(_ entries: [String]) -> String { line("destination", entries.joined(separator: " ")) }
    /// One destination entry over TLS: Netdata turns TLS on by the exact, case-sensitive `:SSL` at its end.
    public static func tlsEntry(_ entry: String) -> String { entry.hasSuffix(":SSL") ? entry : entry + ":SSL" }
    public static func apiKey(_ key: String) -> String { line("api key", key) }
    /// The parent's certificate (or its CA) to verify `:SSL` parents with.
    public static func caFile(_ path: String) -> String { line("CAfile", path) }
    /// TLS without verifying the parent (a lab only: anyone on the path can pose as the parent).
    public static let skipCertificateVerification = line("ssl skip certificate verification", "yes")
    /// Verify `:SSL` parents (the default on 2.x; 1.37.1 verifies unless told otherwise too).
    public static let verifyCertificate = line("ssl skip certificate verification", "no")
    /// The `[stream]` lines of a child streaming to `destinations` with `key`: what `child set` writes.
    public static func child(destinations: [String], apiKey key: String, tls: Bool = false, caFile path: String? = nil) -> [String] {
        [enableSending, destination(tls ? destinations.map(tlsEntry) : destinations), apiKey(key)] + (path.map { [caFile($0)] } ?? [])
    }

    // MARK: a parent's API key and machine GUID sections

    public static let typeAPI = line("type", "api")
    public static let typeMachine = line("type", "machine")
    /// Keys default to `enabled = no`: a key section without this line refuses every child.
    public static let enableKey = line("enabled", "yes")
    /// Refuse a key or machine from now on (`parent disable-key`).
    public static let disableKey = line("enabled", "no")
    /// Peer addresses a key or machine may connect from (a simple pattern; a loopback peer is `localhost`).
    public static func allowFrom(_ pattern: String) -> String { line("allow from", pattern) }
    /// The lines of an API key section that accepts children from `allowFrom` (all addresses when
    /// nil): what `parent add-key` writes, and doctor's fix for a refused key.
    public static func keySection(allowFrom pattern: String? = nil) -> [String] {
        [typeAPI, enableKey] + (pattern.map { [allowFrom($0)] } ?? [])
    }
    /// Keep the children of this key or machine on this node (do not forward them to its parents).
    public static func noProxy(_ target: NetdataTarget, machine: Bool) -> String {
        line(target == .v1_37 && !machine ? "default proxy enabled" : "proxy enabled", "no")
    }
    /// Forward the children of a key section to `destination` with `key` (the relay reads the same lines).
    public static func proxy(_ target: NetdataTarget, destination: [String], apiKey key: String) -> [String] {
        let prefix = target == .v1_37 ? "default proxy" : "proxy"
        return [line("\(prefix) enabled", "yes"), line("\(prefix) destination", destination.joined(separator: " ")), line("\(prefix) api key", key)]
    }
    /// Store a key's children in dbengine (persistent, and holds what replication needs).
    public static func dbengine(_ target: NetdataTarget, machine: Bool = false) -> String {
        line(target == .v2 ? "db" : machine ? "memory mode" : "default memory mode", "dbengine")
    }
    /// Run a key's children's alerts only while they are connected.
    public static func healthWhileConnected(_ target: NetdataTarget) -> String {
        line(target == .v2 ? "health enabled" : "health enabled by default", "auto")
    }

    // MARK: whole stanzas (the documentation's examples)

    /// A parent's key section that stores its children in dbengine and runs their alerts only while they are connected.
    public static func parentKey(_ target: NetdataTarget, allowFrom pattern: String) -> [String] {
        keySection(allowFrom: pattern) + [dbengine(target), healthWhileConnected(target)]
    }
    /// A machine GUID section that keeps that child on this node (a proxy does not forward it).
    public static let machineKept = [typeMachine, noProxy(.v2, machine: true)]
    /// The relay's own `[stream]`: no metrics of its own, `:SSL` parents verified with `caFile`.
    public static func relayStream(caFile path: String) -> [String] { [disableSending, verifyCertificate, caFile(path)] }
    /// The relay's key section: children from `allowFrom` are forwarded to `parents` with the parents' key.
    public static func relayKey(allowFrom pattern: String, parents: [String], parentsKey: String) -> [String] {
        keySection(allowFrom: pattern) + proxy(.v1_37, destination: parents, apiKey: parentsKey)
    }

    // MARK: lint's corrections

    /// `allow from` that lets every other address in after negative words (SC601).
    public static func allowEveryoneElse(_ name: String, _ pattern: String) -> String { line(name, "\(pattern) *") }
    /// `allow from` that also matches a child on this machine, which Netdata names `localhost` (SC609).
    public static func allowLocalhostToo(_ name: String, _ pattern: String) -> String { line(name, "\(pattern) localhost") }
    /// Send every chart (SC607).
    public static func sendEveryChart(_ name: String = "send charts matching") -> String { line(name, "*") }
    /// The built-in `[stream]` timeout (SC411).
    public static func builtInTimeout(_ target: NetdataTarget) -> String {
        target == .v1_37 ? line("timeout seconds", "600") : line("timeout", "5m")
    }
    /// The 1.37.1 stock file's timeout, which a user file does not inherit (SC706).
    public static let stockTimeout137 = line("timeout seconds", "60")

    // MARK: the documentation

    /// The keys and addresses the documentation's examples use.
    public enum Example {
        public static let key = "4b8e0c6a-1f2d-4e3b-9a5c-7d6e8f9a0b1c"
        public static let grandparentKey = "9f3c2b1a-8e7d-4c6b-a5f4-e3d2c1b0a987"
        public static let parent = "192.0.2.10:19999"
        public static let children = "localhost 192.0.2.*"
        public static let grandparent = "grandparent.example.com:19999"
        public static let tlsParents = ["p1.example.com:19999", "p2.example.com:19999"]
        public static let privateCA = "/etc/netdata/ssl/parents-ca.pem"
        public static let parentCertificate = "/etc/netdata/ssl/parent.crt"
        public static let relayChildren = "10.1.*"
        public static let relayParents = ["10.0.0.5:19999:SSL", "10.0.0.6:19999:SSL"]
        public static let relayParentsKey = "99999999-2222-4333-8444-555555555555"
    }

    /// The stanzas the documentation shows, by name (section header, then lines), each built from
    /// the lines above with `Example`'s values.
    public static var documentedStanzas: [(name: String, lines: [String])] {
        [
            ("child", child(destinations: [Example.parent], apiKey: Example.key)),
            ("parent key (2.x)", parentKey(.v2, allowFrom: Example.children)),
            ("proxy's own [stream]", child(destinations: [Example.grandparent], apiKey: Example.grandparentKey)),
            ("proxy key", keySection()),
            ("machine kept on the proxy", machineKept),
            ("TLS child (2.x)", child(destinations: Example.tlsParents, apiKey: Example.key, tls: true, caFile: Example.privateCA)),
            ("relay [stream]", relayStream(caFile: Example.parentCertificate)),
            ("relay key", relayKey(allowFrom: Example.relayChildren, parents: Example.relayParents, parentsKey: Example.relayParentsKey)),
        ]
    }

    /// Every stream.conf line the documentation may show in an example.
    public static var documented: Set<String> { Set(documentedStanzas.flatMap(\.lines)) }
}
