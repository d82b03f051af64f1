/// What `doctor` sends and waits for when it probes a parent as a child would.
public enum ProbeRequest {
    /// The request a Netdata 1.37.1 child sends (protocol spec 1.2), with this node's identity.
    public static func make(apiKey: String, hostname: String, machineGUID: String, version: String) -> [UInt8] {
        let query = [
            "key=\(apiKey)", "hostname=\(hostname)", "registry_hostname=\(hostname)", "machine_guid=\(machineGUID)",
            "update_every=1", "os=linux", "timezone=UTC", "abbrev_timezone=UTC", "utc_offset=0", "hops=1",
            "ml_capable=0", "ml_enabled=0", "mc_version=1", "tags=", "ver=16376", "NETDATA_PROTOCOL_VERSION=1.1",
        ].joined(separator: "&")
        return Array("STREAM \(query) HTTP/1.1\r\nUser-Agent: stream-config-doctor/\(version)\r\nAccept: */*\r\n\r\n".utf8)
    }

    /// The timeout the child would use, in seconds: `timeout seconds` (1.37) or `timeout` (2.x).
    public static func configuredTimeout(_ stream: Section?, target: NetdataTarget) -> Int {
        if target == .v1_37 { return Int(StrToLL(stream?.value("timeout seconds") ?? "600").value) }
        return Int(NetdataDuration.parseSeconds(stream?.value("timeout") ?? stream?.value("timeout seconds") ?? "5m") ?? 300)
    }
}

extension Diagnosis {
    /// A lint error as a doctor finding: `FILE:LINE:COL: message`, its hint the fix.
    public static func lintError(_ diagnostic: Diagnostic, file: String, masker: SecretMasker = .showingAll) -> Diagnosis {
        Diagnosis(verdict: .misconfigured, code: diagnostic.code,
                  summary: "\(file):\(diagnostic.line):\(diagnostic.column): \(masker.mask(diagnostic.message))", fix: diagnostic.hint.map(masker.mask))
    }
}
