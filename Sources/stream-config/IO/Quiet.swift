import ArgumentParser

/// `-q/--quiet`, one option group shared by every command (the contract is in stream-config(1),
/// OPTIONS FOR EVERY COMMAND, and README "Quiet"): it drops what only says how things went
/// (progress, `unchanged`, `written`, `restart Netdata`, summaries, notes and advice on standard
/// error, and `edit`'s diff after an install). Errors, warnings, findings, prompts, the data a
/// command exists to print (`get` values, `keygen` keys, `add-key`'s key, JSON, diffs of
/// `--dry-run`, `doctor`'s verdicts) and the exit status never change; `relay` logs from `warning`.
struct QuietOption: ParsableArguments {
    @Flag(name: [.short, .long],
          help: "Print only errors, warnings, findings and the command's own output: no progress, \"unchanged\"/\"written\" lines, summaries or notes.")
    var quiet = false
}

/// A command with `@OptionGroup var quiet: QuietOption`; `main` turns its flag on before `run()`.
protocol QuietCommand: SendableMetatype {
    var quiet: QuietOption { get }
}

extension Lint: QuietCommand { var quiet: QuietOption { output.quiet } }
extension Migrate: QuietCommand {}
extension Keygen: QuietCommand {}
extension Parent.AddKey: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Parent.DisableKey: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Parent.RemoveKey: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Parent.ListKeys: QuietCommand {}
extension Parent.AddMachine: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Child.Set: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Get: QuietCommand {}
extension SetOption: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Unset: QuietCommand { var quiet: QuietOption { rewrite.quiet } }
extension Relay: QuietCommand {}
extension Edit: QuietCommand {}
extension TLS.Initialize: QuietCommand {}
extension TLS.Show: QuietCommand {}
extension Doctor: QuietCommand {}
extension FleetCheck: QuietCommand { var quiet: QuietOption { output.quiet } }
extension FleetRender: QuietCommand {}
