#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

enum Terminal {
    static func stdout(_ text: String) {
        var line = text
        line.append("\n")
        write(1, line)
    }

    static func stderr(_ text: String) {
        var line = text
        line.append("\n")
        write(2, line)
    }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    /// `-q/--quiet` (`QuietOption`): set once by `main` before the command runs.
    private static let quietFlag = Atomic<Bool>(false)
    static var quiet: Bool { quietFlag.load(ordering: .relaxed) }
    static func setQuiet(_ on: Bool) { quietFlag.store(on, ordering: .relaxed) }

    /// `stream-config: text` on standard error: what the library's `note` callbacks print.
    /// Progress and notes only: nothing with `-q`.
    static func note(_ text: String) { if !quiet { stderr("stream-config: \(text)") } }

    /// A line on standard error that only says how things went (a summary, a source): nothing with `-q`.
    static func info(_ text: String) { if !quiet { stderr(text) } }

    /// `stream-config: text` on standard error, also with `-q`: a warning or a caveat about the output.
    static func warn(_ text: String) { stderr("stream-config: \(text)") }

    static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// Colour only on a terminal, and never when NO_COLOR is set.
    static func wantsColor(_ fd: Int32) -> Bool {
        if let noColor = environment("NO_COLOR"), !noColor.isEmpty { return false }
        if environment("TERM") == "dumb" { return false }
        return isTTY(fd)
    }
}
