import ArgumentParser
import StreamConfig

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate random API keys (version 4 UUIDs from libuuid, lowercase).",
        discussion: "Use the same key on the parent (`[KEY]` section) and the child (`api key`)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case plain, json }

    // `.unconditional`: `--count -1` is a count to refuse, not a missing value.
    @Option(parsing: .unconditional, help: "How many keys to print (1 to 100000).")
    var count = 1

    @Option(help: "Output format: plain (one key a line) or json (an array).")
    var format: Format = .plain

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be positive and at most 100000") }
    }

    func run() {
        let keys = (0..<count).map { _ in KeyGenerator.randomKey() }
        switch format {
        case .plain: Terminal.write(1, keys.map { $0 + "\n" }.joined())
        case .json: Terminal.stdout("[" + keys.map { "\"\($0)\"" }.joined(separator: ", ") + "]")
        }
    }
}
