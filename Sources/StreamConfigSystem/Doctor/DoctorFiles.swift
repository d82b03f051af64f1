import StreamConfig

/// What `doctor` reads before it probes: netdata.conf (the one given, else Netdata's own in the
/// configuration directory), stream.conf (the one given, else the one netdata.conf's
/// `[directories] config` names), their lint errors, and with `parent` the parent's checks.
public struct DoctorFiles: Sendable {
    public var streamConf: Ini
    public var netdataConf: Ini?
    /// What lint decided the file is for (the probe's Netdata line).
    public var target: NetdataTarget
    /// Keys found in stream.conf: masked in every line doctor prints.
    public var secrets: Set<String>
    /// Steps found while reading (an unreadable default netdata.conf, lint errors, the parent's
    /// checks), as (destination, diagnosis).
    public var steps: [(destination: String, diagnosis: Diagnosis)] = []

    /// `config`, `netdataConf`: the files asked for (nil: Netdata's). Throws
    /// `StreamConfigError` for a file asked for that cannot be read, or no stream.conf at all.
    public static func read(config: String?, netdataConf: String?, target: NetdataTarget?, parent: Bool,
                            directories: ConfigDirectories = .fromEnvironment()) throws -> DoctorFiles {
        var steps: [(destination: String, diagnosis: Diagnosis)] = []
        var netdataPath = netdataConf ?? { let path = directories.userFile("netdata.conf"); return FileAccess.exists(path) ? path : nil }()
        var netdataDocument: Document?
        do {
            netdataDocument = try netdataPath.map { Document(bytes: try FileAccess.read($0).bytes) }
        } catch let error as StreamConfigError where netdataConf == nil {
            // Netdata's own file, not asked for: go on with Netdata's defaults, and say so.
            steps.append(("netdata.conf", Diagnosis(
                verdict: .note, code: "netdata-conf-unreadable",
                summary: "\(error.message); going on with Netdata's defaults (registry directory, web server)",
                fix: "run doctor as root, or pass --netdata-conf")))
            netdataPath = nil
        }
        let netdata = netdataDocument.map { Ini($0) }
        guard let path = config ?? directories.forNetdata(netdata).effectiveFile()?.path else {
            throw StreamConfigError.noInput("no stream.conf found", hint: "pass --config")
        }
        let document = Document(bytes: try FileAccess.read(path).bytes)
        let report = Linter.lint(document: document, file: path, options: LintOptions(target: target))
        let ini = Ini(document)
        for e in report.diagnostics.filter({ $0.severity == .error }).prefix(10) {
            steps.append(("lint", .lintError(e, file: path, masker: SecretMasker(report.secrets))))
        }
        if parent, let netdataPath, let netdataDocument, let netdata {
            // netdata.conf's own errors (NC1xx-NC4xx, SC1xx), as `lint` reports them; NC101 is the
            // bind-to-unlistenable check of ParentChecks.
            let netdataReport = Linter.lint(document: netdataDocument, file: netdataPath,
                                            options: LintOptions(target: target, kind: .netdata,
                                                                 unreadableFiles: FileAccess.unreadableFiles(NetdataConfChecks.tlsFilePaths(netdata))))
            for e in netdataReport.diagnostics where e.severity == .error && e.code != "NC101" {
                steps.append(("lint", .lintError(e, file: netdataPath)))
            }
        }
        if parent {
            for d in ParentChecks.check(streamConf: ini, netdataConf: netdata, netdataFile: netdataPath ?? "netdata.conf", target: report.target) {
                steps.append(("parent", d))
            }
        }
        return DoctorFiles(streamConf: ini, netdataConf: netdata, target: report.target, secrets: report.secrets, steps: steps)
    }
}
