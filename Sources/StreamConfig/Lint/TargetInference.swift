/// `--target auto`: which Netdata line a file was written for, from the option names it uses.
/// Active options decide; a stock-derived file with only commented-out options is judged by
/// those; with no clue at all we assume the current line, 2.x.
enum TargetInference {
    static let v2Only: Set<String> = {
        Set(Schema.v2.allNames).subtracting(Schema.v1.allNames)
    }()

    static let v1Only: Set<String> = {
        Set(Schema.v1.allNames).subtracting(Schema.v2.allNames).union(["replication_step"])
    }()

    static func infer(ini: Ini, document: Document) -> (NetdataTarget, String) {
        var active: [String] = []
        for section in ini.sections { active += section.options.map(\.key) }
        if let verdict = decide(names: active, source: "options") { return verdict }
        if let verdict = decide(names: commentedOptionNames(ini: ini, document: document), source: "commented-out options") {
            return verdict
        }
        return (.v2, "no version-specific options; assuming Netdata 2.x (use --target 1.37 for 1.37 agents)")
    }

    private static func decide(names: [String], source: String) -> (NetdataTarget, String)? {
        let v2Hits = names.filter { v2Only.contains($0) }
        let v1Hits = names.filter { v1Only.contains($0) }
        if v2Hits.isEmpty && v1Hits.isEmpty { return nil }
        if v2Hits.count >= v1Hits.count {
            return (.v2, "\(source) such as `\(v2Hits[0])` exist only in Netdata 2.x")
        }
        return (.v1_37, "\(source) such as `\(v1Hits[0])` are Netdata 1.37 names")
    }

    /// Names of lines like `    #timeout = 5m`.
    static func commentedOptionNames(ini: Ini, document: Document) -> [String] {
        var names: [String] = []
        for entry in ini.entries {
            guard case .comment = entry.kind else { continue }
            if let name = CommentedOption.name(in: document.lines[entry.line].text) { names.append(name) }
        }
        return names
    }
}

/// A commented-out option line in a stock file: `#` + optional spaces + name + `=`.
public enum CommentedOption {
    public static func name(in text: [UInt8]) -> String? {
        let trimmed = Bytes.trimmed(text, 0..<text.count)
        guard !trimmed.isEmpty, text[trimmed.lowerBound] == UInt8(ascii: "#") else { return nil }
        let rest = (trimmed.lowerBound + 1)..<trimmed.upperBound
        guard let equals = text[rest].firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let nameRange = Bytes.trimmed(text, rest.lowerBound..<equals)
        guard !nameRange.isEmpty, nameRange.count <= 48 else { return nil }
        let name = text[nameRange]
        guard name.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || $0 == 32 || $0 == 95 || ($0 >= 48 && $0 <= 57) }) else {
            return nil
        }
        return String(decoding: name, as: UTF8.self)
    }
}
