import StreamConfig

/// How `parent list-keys` shows the key and machine sections: one aligned line each, or JSON.
/// Section names are keys: masked unless shown (the stock placeholders never are).
public enum KeyList {
    struct Item: Encodable {
        var name: String, role: String, enabled: Bool, allow_from: String, line: Int
    }

    static func shown(_ name: String, _ showSecrets: Bool) -> String {
        showSecrets || SecretMasker.isNonSecretSectionName(name) ? name : SecretMasker.mask(name)
    }

    public static func lines(_ keys: [KeyEntry], showSecrets: Bool) -> [String] {
        keys.map { entry in
            "\(shown(entry.name, showSecrets).padded(38)) \(entry.role.label.padded(8)) \(entry.enabled ? "enabled " : "disabled") allow from: \(entry.allowFrom ?? "*")  (line \(entry.line))"
        }
    }

    public static func json(_ keys: [KeyEntry], showSecrets: Bool) -> String {
        JSONOutput.string(keys.map {
            Item(name: shown($0.name, showSecrets), role: $0.role.label, enabled: $0.enabled, allow_from: $0.allowFrom ?? "*", line: $0.line)
        })
    }
}
