/// `destination` and `proxy destination` lists (SC501-SC512).
enum DestinationChecks {
    static func check(_ context: inout LintContext, _ option: Option, isStreamDestination: Bool) {
        let value = option.value
        let base = option.valueRange.lowerBound
        let entries = DestinationList.split(value)
        if context.target == .v1_37 {
            if isStreamDestination {
                v1GlobalTLS(&context, option, entries: entries)
            } else if let ssl = value.utf8.firstRange(of: Array(":SSL".utf8)) {
                context.emit("SC509", line: option.line, column: base + value.utf8.distance(from: value.utf8.startIndex, to: ssl.lowerBound), length: 4,
                             "Netdata 1.37 does not understand `:SSL` in `\(option.key)`: it becomes part of the port and the connection fails",
                             hint: "remove `:SSL` (proxied streams use TLS only when `[stream] destination` has it)")
            }
        }
        for (raw, offset) in entries {
            var destination = DestinationList.parseEntry(raw, offset: offset, stripTLS: context.target == .v2 || isStreamDestination)
            if context.target == .v1_37, !isStreamDestination { destination.tls = false }
            entry(&context, option, destination, column: base + offset, isStreamDestination: isStreamDestination)
        }
    }

    /// 1.37: the first `:SSL` applies to every parent and cuts the list.
    private static func v1GlobalTLS(_ context: inout LintContext, _ option: Option, entries: [(String, Int)]) {
        guard let tlsIndex = entries.firstIndex(where: { $0.0.contains(":SSL") }) else { return }
        let before = entries[..<tlsIndex].map(\.0)
        let after = entries[(tlsIndex + 1)...].map(\.0)
        guard !before.isEmpty || !after.isEmpty else { return }
        var parts: [String] = []
        if !after.isEmpty { parts.append("drops \(after.map { "`\($0)`" }.joined(separator: ", "))") }
        if !before.isEmpty { parts.append("makes \(before.map { "`\($0)`" }.joined(separator: ", ")) use TLS too") }
        let entry = entries[tlsIndex]
        context.emit("SC508", line: option.line, column: option.valueRange.lowerBound + entry.1, length: entry.0.utf8.count,
                     "Netdata 1.37 applies this `:SSL` to the whole list and cuts it there: it \(parts.joined(separator: " and "))",
                     hint: "on 1.37 list a single TLS parent, or only plain parents; Netdata 1.40 and later read `:SSL` per entry")
    }

    private static func entry(_ context: inout LintContext, _ option: Option, _ d: Destination, column: Int, isStreamDestination: Bool) {
        let length = d.raw.utf8.count
        /// The entry written as `text` instead (the rest of the line kept).
        func rewrite(_ text: String, _ summary: String) -> Fix? {
            Fix.replacing(line: option.line, column: column, length: length, with: text.utf8, in: context.document, summary: summary)
        }
        func emit(_ code: String, _ message: String, hint: String? = nil, fix: Fix? = nil) {
            context.emit(code, line: option.line, column: column, length: length, message, hint: hint, fix: fix)
        }
        // Byte tests first: `firstRange(of:)` and `contains(_:)` on strings are slow, and every entry passes here.
        if d.raw.utf8.contains(UInt8(ascii: "/")), let scheme = d.raw.firstRange(of: "://") {
            let rest = d.raw[scheme.upperBound...]
            let hostPort = rest.split(separator: "/").first.map(String.init) ?? String(rest)
            // `tcp://HOST:PORT/`: the transport Netdata uses anyway; another scheme needs a decision.
            let fix = d.raw.hasPrefix("tcp://") && !hostPort.isEmpty && !hostPort.contains("@") ? rewrite(hostPort, "write `\(hostPort)`") : nil
            emit("SC501", "`\(d.raw)` is a URL, not a destination: Netdata looks up the host `\(d.host)` and fails at connect time",
                 hint: "write `\(hostPort.isEmpty ? "HOST:19999" : hostPort)` (optionally with `tcp:` before it and `:SSL` after it)", fix: fix)
            return
        }
        if hasColonS(d.raw), DestinationList.firstTLSMarker(Substring(d.raw)) == nil, let wrong = caseVariantOfSSL(d.raw) {
            emit("SC503", "`\(wrong)` is not `:SSL` (case-sensitive): TLS stays off and `\(wrong.dropFirst())` becomes part of the port",
                 hint: "write `:SSL`", fix: rewrite(d.raw.replacingFirst(wrong, with: ":SSL"), "write `:SSL`"))
            return
        }
        if d.tls, !d.droppedAfterTLS.isEmpty {
            emit("SC504", "Netdata cuts the entry at `:SSL`, so `\(d.droppedAfterTLS)` is dropped",
                 hint: "put `:SSL` last: `\(d.raw.replacingOccurrencesOfSSL())`")
        }
        if d.transport == .udp {
            emit("SC507", "parents only accept streams over TCP; `udp:` cannot work", hint: "remove `udp:`")
            return
        }
        if d.transport == .unix { return }
        if d.missingCloseBracket {
            emit("SC511", "`[` without `]`: Netdata takes the rest of the entry as the host", hint: "close the bracket: `\(bracketed(d.host))`")
            return
        }
        if d.host.isEmpty {
            emit("SC505", "`\(d.raw)` names no host: Netdata logs \"does not specify a host\" when it tries it",
                 hint: "write `HOST:PORT`, e.g. `10.0.0.1:19999`")
            return
        }
        if isPlaceholderHost(d.host) {
            emit("SC513", "`\(d.host)` is a placeholder from an example, not a host: the lookup fails and this parent is never reached",
                 hint: "write the parent's address, e.g. `10.0.0.1:19999`")
            return
        }
        if !d.bracketed, let port = d.port, port.contains(":"), looksLikeIPv6("\(d.host):\(port)") {
            let address = "\(d.host):\(port)"
            // Certain when the last group is five digits (a port: groups have four hex digits), holds
            // a hex letter (ports are decimal), or what comes before it is no address (`fe80:`).
            // `fd00::5:1999` could be either: no fix.
            let groups = address.split(separator: ":", omittingEmptySubsequences: false)
            let last = groups.last ?? ""
            let certain = (last.count == 5 && last.allSatisfy(\.isNumber)) || last.contains { $0.isLetter }
                || !isIPv6(address.dropLast(last.count + 1))
            let fixed = last.count == 5 ? bracketed(address) : "[\(address)]"
            let fix = certain ? rewrite(d.raw.replacingFirst(address, with: fixed), "write `\(fixed)`") : nil
            emit("SC502", "`\(address)` looks like an IPv6 address without brackets: Netdata reads the host `\(d.host)` and the port `\(port)`",
                 hint: "write `\(bracketed(address))`", fix: fix)
            return
        }
        // On 1.37 a proxy destination's `:SSL` lands in the port; SC509 already said so.
        if let port = d.port, !port.isEmpty, !(context.target == .v1_37 && !isStreamDestination && port.contains(":SSL")) {
            if let number = d.numericPort {
                if number < 1 || number > 65535 {
                    emit("SC506", "port \(port) is outside 1-65535", hint: "use the parent's port, usually 19999")
                }
            } else if port.first!.isLetter, port.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
                emit("SC512", "the port `\(port)` is a service name; the child looks it up in /etc/services",
                     hint: "write the port number, usually 19999")
            } else {
                // `HOST:19999/`: a URL habit; without the slashes the port is a number.
                let trimmed = String(d.raw.reversed().drop { $0 == "/" }.reversed())
                let slashesOnly = port.hasSuffix("/") && port.drop(while: \.isNumber).allSatisfy { $0 == "/" } && port.first?.isNumber == true
                emit("SC506", "`\(port)` is not a port number", hint: "use the parent's port, usually 19999",
                     fix: slashesOnly ? rewrite(trimmed, "write `\(trimmed)`") : nil)
            }
        }
        if let interface = d.interface, !d.host.contains(":") {
            emit("SC510", "`%\(interface)` only scopes IPv6 link-local addresses; Netdata ignores it for `\(d.host)`",
                 hint: "remove `%\(interface)`")
        }
    }

    /// A plain IPv6 address in text form (hex groups, at most one `::`; no embedded IPv4).
    static func isIPv6(_ text: Substring) -> Bool {
        let compressed = text.ranges(of: "::").count
        guard compressed <= 1 else { return false }
        if text.hasSuffix(":") && !text.hasSuffix("::") || text.hasPrefix(":") && !text.hasPrefix("::") { return false }
        let groups = text.split(separator: ":")
        guard groups.allSatisfy({ $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return false }
        return compressed == 1 ? groups.count <= 7 : groups.count == 8
    }

    /// An example's placeholder (`PARENT_IP_ADDRESS` in the stock file, `PARENT_ADDRESS` in our
    /// own hints): capitals with an underscore (never a host name), or one of the bare words.
    static func isPlaceholderHost(_ host: String) -> Bool {
        let words: Set<String> = ["PARENT", "HOST", "HOSTNAME", "ADDRESS", "IP", "PARENT_IP", "YOUR_PARENT"]
        let capitals = !host.isEmpty && host.allSatisfy { ($0.isASCII && $0.isUppercase) || $0 == "_" || $0.isNumber }
        return capitals && (host.contains("_") || words.contains(host))
    }

    static func looksLikeIPv6(_ text: String) -> Bool {
        text.filter { $0 == ":" }.count >= 2 && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// `fd00::5:19999` -> `[fd00::5]:19999` when the last group cannot be hex (five digits);
    /// otherwise the whole text is the address and the port is the default.
    static func bracketed(_ address: String) -> String {
        let groups = address.split(separator: ":", omittingEmptySubsequences: false)
        if let last = groups.last, last.count == 5, last.allSatisfy(\.isNumber) {
            return "[\(groups.dropLast().joined(separator: ":"))]:\(last)"
        }
        return "[\(address)]:19999"
    }

    /// Whether `:s` or `:S` occurs (what any spelling of `:SSL` starts with).
    static func hasColonS(_ raw: String) -> Bool {
        var previous: UInt8 = 0
        for byte in raw.utf8 {
            if previous == UInt8(ascii: ":"), byte | 0x20 == UInt8(ascii: "s") { return true }
            previous = byte
        }
        return false
    }

    static func caseVariantOfSSL(_ raw: String) -> String? {
        let lower = raw.lowercased()
        guard let range = lower.firstRange(of: ":ssl") else { return nil }
        let start = lower.distance(from: lower.startIndex, to: range.lowerBound)
        return String(raw.dropFirst(start).prefix(4))
    }
}

extension String {
    /// The first occurrence of `target` replaced (the text unchanged when there is none).
    func replacingFirst(_ target: some StringProtocol, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }

    /// `host:SSL:19999` -> `host:19999:SSL`.
    func replacingOccurrencesOfSSL() -> String {
        guard let range = firstRange(of: ":SSL") else { return self }
        return String(self[..<range.lowerBound]) + String(self[range.upperBound...]) + ":SSL"
    }
}
