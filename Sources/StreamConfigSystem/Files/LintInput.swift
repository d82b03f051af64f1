import StreamConfig

/// One input of `lint`, read as Netdata would read it: a regular file (its mode is checked too)
/// or standard input, its kind (stream.conf or netdata.conf), and which TLS files it names
/// cannot be read from here (netdata.conf) or are no certificate here (stream.conf `CAfile`).
public struct LintInput: Sendable {
    public var document: Document
    public var kind: ConfigKind
    public var mode: UInt32?

    /// `path` `-` is standard input, shown as `name`.
    public static func read(_ path: String, name: String, kind: ConfigKind?) throws -> LintInput {
        let document: Document, mode: UInt32?
        if path == "-" {
            (document, mode) = (Document(bytes: try FileAccess.readStandardInput()), nil)
        } else {
            let contents = try FileAccess.read(path)
            (document, mode) = (Document(bytes: contents.bytes), contents.mode)
        }
        return LintInput(document: document, kind: kind ?? ConfigKind.detect(fileName: name, ini: Ini(document)).0, mode: mode)
    }

    /// Lints `document` (this input's, or what a fix made of it) with what was read here;
    /// `relay`: the file is `stream-config relay`'s (`lint --relay`).
    public func lint(_ document: Document, name: String, target: NetdataTarget?, relay: Bool = false) -> LintReport {
        let ini = Ini(document)
        let unreadable = kind == .netdata ? FileAccess.unreadableFiles(NetdataConfChecks.tlsFilePaths(ini)) : [:]
        let facts = kind == .stream ? CAFileCheck.facts(ini) : []
        return Linter.lint(document: document, ini: ini, file: name,
                           options: LintOptions(target: target, fileMode: mode, kind: kind, unreadableFiles: unreadable, fileFacts: facts,
                                                relay: relay && kind == .stream))
    }
}
