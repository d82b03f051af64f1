/// Child-side recipe: point this node's `[stream]` at one or more parents.
extension ConfigEditor {
    /// Configures `[stream]` to send to `destinations` with `apiKey`.
    ///
    /// Sets `enabled = yes`, `destination` (entries joined by single spaces; with `ssl`, `:SSL`
    /// is appended to every entry that does not contain it, which is how Netdata spots TLS) and
    /// `api key`. `ssl skip certificate verification = yes` is written only when asked and
    /// commented out otherwise; `CAfile`/`CApath` are written when given, commented out when
    /// verification is skipped (the two are refused together), and left alone otherwise.
    /// On the stock files every line lands in place (commented-out lines are uncommented).
    /// All or nothing: on error the document is unchanged.
    public mutating func setChild(
        destinations: [String], apiKey: String, ssl: Bool = false,
        skipCertificateVerification: Bool = false, caFile: String? = nil, caPath: String? = nil
    ) throws {
        try Self.requireOwnKey(apiKey, what: "The API key")
        try Self.requireCanonicalUUID(apiKey, what: "API key")
        let destination = try Self.destinationValue(destinations, ssl: ssl)
        var edited = self
        let stream = ConfigEditor.streamSection
        for (key, value) in [StreamAdvice.enableSending, StreamAdvice.line("destination", destination), StreamAdvice.apiKey(apiKey)].map(StreamAdvice.option) {
            try edited.set(section: stream, key: key, value: value)
        }
        // Switching TLS modes keeps the file's shape: the other mode's lines are commented out
        // where they are (the stock file's `#ssl skip certificate verification = yes`,
        // `#CAfile =`), and `set` reactivates a commented line in place.
        let skip = StreamAdvice.option(StreamAdvice.skipCertificateVerification)
        let caFileKey = StreamAdvice.option(StreamAdvice.caFile("")).key
        if skipCertificateVerification {
            guard caFile == nil && caPath == nil else {
                throw EditError(.invalidValue, "Skipping certificate verification ignores CAfile and CApath; give either the parent's certificate (--ca-file) or --skip-certificate-verification, not both.")
            }
            try edited.set(section: stream, key: skip.key, value: skip.value)
            // Verification is off: a CAfile or CApath left active would only mislead.
            try edited.commentOut(section: stream, key: caFileKey)
            try edited.commentOut(section: stream, key: Self.caPathKey)
        } else {
            try edited.commentOut(section: stream, key: skip.key)
        }
        if let caPath { try edited.set(section: stream, key: Self.caPathKey, value: caPath) }
        if let caFile {
            let line = StreamAdvice.option(StreamAdvice.caFile(caFile))
            try edited.set(section: stream, key: line.key, value: line.value)
        }
        self = edited
    }

    static let caPathKey = "CApath"

    static func destinationValue(_ destinations: [String], ssl: Bool) throws -> String {
        guard !destinations.isEmpty else {
            throw EditError(.invalidValue, "No destination given; name at least one parent, e.g. 10.0.0.1:19999.")
        }
        // Netdata splits the value at blanks and commas, so one entry cannot contain them.
        for entry in destinations where entry.isEmpty || entry.utf8.contains(where: { Bytes.isSpace($0) || $0 == UInt8(ascii: ",") }) {
            throw EditError(.invalidValue, "Destination '\(entry)' is empty or contains blanks or commas; give each parent as its own entry, e.g. parent1:19999 parent2:19999.")
        }
        let entries = ssl ? destinations.map { $0.contains(":SSL") ? $0 : StreamAdvice.tlsEntry($0) } : destinations
        return entries.joined(separator: " ")
    }
}
