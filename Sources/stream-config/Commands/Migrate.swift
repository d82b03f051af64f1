import ArgumentParser
import StreamConfig
import StreamConfigSystem

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move stream.conf files from Netdata 1.37 option names to 2.x names.",
        discussion: """
        Every 1.37 name becomes the name Netdata 2.x renames it to when it loads the file (so the \
        file means on 2.x exactly what it meant there before), every other byte is kept, and the \
        file is replaced atomically (lock, owner, mode and ACLs kept). Values 2.x reads \
        differently (`memory mode = save` becomes RAM; `true` for yes/no/auto options) are not \
        changed: they are printed as findings to decide. Running it again changes nothing.

        Exit status: 0 done (or nothing to do); 1 with --check when a file would change; \
        64 usage error; 66 an input could not be read; 73 a file could not be written; 75 busy.
        """
    )

    @Argument(help: ArgumentHelp("stream.conf files to migrate (default: $NETDATA_USER_CONFIG_DIR/stream.conf).", valueName: "file"), completion: .file())
    var files: [String] = []

    @Option(help: "The Netdata line to move to (only 2).")
    var to: String

    @Option(help: ArgumentHelp("netdata.conf to migrate too ([db] seconds to replicate and seconds per replication step).", valueName: "file"), completion: .file())
    var netdataConf: String?

    @Option(help: ArgumentHelp("A fleet file: every host's collected stream.conf and netdata.conf, one report.", valueName: "fleet.yaml"), completion: .file())
    var fleet: String?

    @Flag(help: "Change nothing; exit 1 when a file would change (for CI).")
    var check = false

    @Flag(help: "Print the change as a unified diff and write nothing.")
    var dryRun = false

    @Option(help: "Output format: human or json (one object per file: changed, renames, decisions).")
    var format: RewriteFormat = .human

    @Flag(help: "Print API keys (section names) in full.")
    var showSecrets = false

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        guard to == "2" else { throw ValidationError("--to takes 2 (the only line to migrate to)") }
    }

    func run() throws {
        try withUserErrors {
            let hosts = try fleet.map { try FleetRun.load($0).hosts } ?? []
            let named = files + hosts.compactMap { $0.streamConf?.path }, netdata = [netdataConf].compactMap { $0 } + hosts.compactMap { $0.netdataConf?.path }
            let paths = named.isEmpty && fleet == nil ? [try RewriteSource.target(file: nil, directories: .fromEnvironment(), note: Terminal.note)] : named
            let results = try paths.map { try migrate($0, netdataConf: false) } + (try netdata.map { try migrate($0, netdataConf: true) })
            if format == .json { Terminal.stdout(JSONOutput.string(results)) }
            if check && results.contains(where: \.changed) { throw ExitCode(ExitStatus.findings) }
        }
    }

    /// One file: stream.conf (renames and decisions) or netdata.conf (its [db] replication names).
    private func migrate(_ path: String, netdataConf: Bool) throws -> ChangeJSON {
        let outcome = try FileFix.apply(to: path, write: !(check || dryRun), showSecrets: showSecrets) { document in
            if netdataConf {
                let (migrated, renames) = Migration.netdataConfToV2(document, file: path)
                return (migrated, (renames, nil as Migration.Report?))
            }
            let report = Migration.toV2(document, file: path)
            return (report.document, (report.renames, report))
        }
        let (renames, report) = outcome.result
        let printer = DiagnosticPrinter(format: format == .json ? .json : .human, color: Terminal.wantsColor(2), showSecrets: showSecrets)
        let masked = renames.map { rename in
            var masked = rename
            masked.section = outcome.masker.mask(rename.section)  // key sections are named by their key
            return masked
        }
        let decisions = report?.decisions
        if format == .human {
            if dryRun { FileFix.printDiff(outcome) }
            for rename in masked { Terminal.info("\(path):\(rename.line): [\(rename.section)] `\(rename.old)` -> `\(rename.new)`") }
            if let decisions, let report, !decisions.diagnostics.isEmpty {
                Terminal.write(2, printer.render(decisions, document: report.original))
                Terminal.warn("\(path): \(Wording.plural(decisions.diagnostics.count, "value")) 2.x reads differently: decide and set them")
            }
            Terminal.note("\(path): \(outcome.isChange ? (outcome.written ? "migrated" : "would be migrated") : "unchanged (nothing to migrate)")")
        }
        var json = ChangeJSON(outcome, showSecrets: showSecrets)
        (json.renames, json.decisions) = (masked, decisions.map(printer.findings) ?? [])
        return json
    }
}
