import ArgumentParser
import StreamConfigSystem

/// Shell completion (bash, zsh, fish: `stream-config --generate-completion-script SHELL`) for
/// values that are not words: every option or argument that takes a path completes file or
/// directory names (`completion: .file()` / `.directory`), and `edit` completes the stock files.
enum Completions {
    /// The files `edit` can start from, as `edit --list` prints them: asked when TAB is pressed,
    /// from the stock directory of this host (never from a container: completion must be quick).
    static let stockFiles = CompletionKind.custom { _, _, prefix in
        let directories = ConfigDirectories.fromEnvironment()
        guard FileSystem.isDirectory(directories.stock),
              let names = try? StockListing.list(directories, container: nil).names else { return ["stream.conf"] }
        return names.filter { $0.hasPrefix(prefix) }
    }
}
