import ArgumentParser
import StreamConfig
import StreamConfigSystem
import StreamRelay
#if canImport(Glibc)
import Glibc
#endif

@main
struct StreamConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-config",
        abstract: "Validate, edit and relay Netdata streaming configuration (stream.conf).",
        discussion: """
        Exit status: 0 success; 1 findings or a refused change; 64 usage error; 66 unreadable \
        input; 73 cannot write output; 75 the file is locked by another writer. See stream-config(1).
        """,
        version: StreamRelay.version,
        subcommands: [Lint.self, Migrate.self, Keygen.self, Parent.self, Child.self, Get.self, SetOption.self, Unset.self, Relay.self, Edit.self, TLS.self, Doctor.self, FleetCommand.self]
    )

    /// SIGPIPE is ignored before anything else runs: a write to a closed pipe (stderr of a
    /// relay whose reader went away, a peer that closed) is an error to handle, not a reason to
    /// die with 141.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        // `-V`, as most system tools spell --version.
        if CommandLine.arguments.dropFirst() == ["-V"] {
            print(StreamRelay.version)
            return
        }
        do {
            var command = try parseAsRoot()
            if let quiet = command as? any QuietCommand { Terminal.setQuiet(quiet.quiet.quiet) }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `--target`: a Netdata line, or infer it from the file.
enum TargetChoice: String, ExpressibleByArgument, CaseIterable {
    case auto
    case v1_37 = "1.37"
    case v2 = "2"

    init?(argument: String) {
        switch argument.lowercased() {
        case "auto": self = .auto
        case "1.37", "1.37.1", "1", "v1.37", "v1": self = .v1_37
        case "2", "2.x", "v2", "2.11", "2.11.0": self = .v2
        default: return nil
        }
    }

    static var allValueStrings: [String] { ["auto", "1.37", "2"] }

    var target: NetdataTarget? {
        switch self {
        case .auto: return nil
        case .v1_37: return .v1_37
        case .v2: return .v2
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}

/// StreamConfig has an `Option` (an option line); in this module `@Option` is the parser's.
typealias Option = ArgumentParser.Option
