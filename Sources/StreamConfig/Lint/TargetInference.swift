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

    /// The line each version-specific name belongs to (one hash per option name).
    static let onlyOn: [String: NetdataTarget] = {
        var result: [String: NetdataTarget] = [:]
        for name in v2Only { result[name] = .v2 }
        for name in v1Only { result[name] = .v1_37 }
        return result
    }()

    static func infer(ini: Ini, document: Document) -> (NetdataTarget, String) {
        var votes = Votes()
        for section in ini.sections {
            for option in section.options { votes.count(option.key) }
        }
        if let verdict = votes.decide(source: "options") { return verdict }
        var commented = Votes()
        for name in commentedOptionNames(ini: ini, document: document) { commented.count(name) }
        if let verdict = commented.decide(source: "commented-out options") { return verdict }
        return (.v2, "no version-specific options; assuming Netdata 2.x (use --target 1.37 for 1.37 agents)")
    }

    /// Names that exist on one line only, counted, with the first of each as the example.
    private struct Votes {
        var v2 = 0, v1 = 0
        var firstV2: String?, firstV1: String?

        mutating func count(_ name: String) {
            switch onlyOn[name] {
            case .v2?:
                v2 += 1
                if firstV2 == nil { firstV2 = name }
            case .v1_37?:
                v1 += 1
                if firstV1 == nil { firstV1 = name }
            case nil:
                break
            }
        }

        func decide(source: String) -> (NetdataTarget, String)? {
            if v2 == 0 && v1 == 0 { return nil }
            if v2 >= v1, let firstV2 {
                return (.v2, "\(source) such as `\(firstV2)` exist only in Netdata 2.x")
            }
            return (.v1_37, "\(source) such as `\(firstV1!)` are Netdata 1.37 names")
        }
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
