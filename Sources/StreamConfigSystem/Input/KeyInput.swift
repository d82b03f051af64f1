import StreamConfig
#if canImport(Glibc)
import Glibc
#endif

/// Where a key given to an option comes from, so that it never has to be on a command line
/// (where `ps` and shell history show it): `-` reads one line from standard input, `@FILE` the
/// first line of FILE, and an absent option falls back to STREAM_CONFIG_API_KEY. Anything else
/// is the key itself. Every option that takes a key reads it here.
public enum KeyInput {
    public static let environmentVariable = "STREAM_CONFIG_API_KEY"

    /// Help text shared by the options that take a key.
    public static let help = "`-` reads it from standard input, `@FILE` from a file (first line); default: $\(environmentVariable)"

    nonisolated(unsafe) private static var standardInputUsed = false

    /// The key `argument` stands for; `what` names the option in messages.
    public static func read(_ argument: String, what: String) throws -> String {
        let key: String
        if argument == "-" {
            guard !standardInputUsed else { throw StreamConfigError.usage("\(what): standard input was already read for another key") }
            standardInputUsed = true
            key = try firstLine(of: readLineFromStandardInput(), source: "standard input", what: what)
        } else if argument.hasPrefix("@"), argument.count > 1 {
            let path = String(argument.dropFirst())
            key = try firstLine(of: FileAccess.read(path).bytes, source: path, what: what)
        } else {
            key = argument
        }
        return key
    }

    /// `argument` read as above, else STREAM_CONFIG_API_KEY, else nil.
    public static func read(_ argument: String?, orEnvironmentFor what: String) throws -> String? {
        if let argument { return try read(argument, what: what) }
        guard let value = Environment.value(environmentVariable), !value.isEmpty else { return nil }
        return try firstLine(of: Array(value.utf8), source: "$\(environmentVariable)", what: what)
    }

    public static let sectionHelp = "`-` or `@FILE` read a key section's name as --api-key does"

    /// A SECTION argument: `-` and `@FILE` read a key as above; an empty name is refused (an
    /// unset shell variable would otherwise name a section Netdata cannot tell from none).
    public static func section(_ argument: String) throws -> String {
        let name = argument == "-" || (argument.hasPrefix("@") && argument.count > 1) ? try read(argument, what: "SECTION") : argument
        guard name.contains(where: { !$0.isWhitespace }) else {
            throw StreamConfigError.usage("the section name is empty (an unset shell variable?)", hint: "name a section: stream, or an API key or machine GUID")
        }
        return name
    }

    private static func firstLine(of bytes: [UInt8], source: String, what: String) throws -> String {
        let line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        let key = String(decoding: line, as: UTF8.self).trimmingBlanks.filter { $0 != "\r" }
        guard !key.isEmpty else { throw StreamConfigError.usage("\(what): no key in \(source) (its first line is empty)") }
        return key
    }

    /// Bytes up to the first newline (at most 4 KiB): the rest of standard input is left unread.
    private static func readLineFromStandardInput() throws -> [UInt8] {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 4096 {
            let count = Glibc.read(0, &byte, 1)
            if count < 0 {
                if errno == EINTR { continue }
                throw StreamConfigError.noInput("standard input: \(FileAccess.describe(errno: errno))")
            }
            if count == 0 || byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return line
    }
}

extension KeyInput {
    /// A key this node will use: not a placeholder (`API_KEY`) nor Netdata's documentation key,
    /// and a lowercase UUID (exit 64 otherwise, with why; the key masked in the message).
    public static func requireUsable(_ key: String, what: String) throws {
        if let refusal = ExampleKeys.refusal(key, what: what) {
            throw StreamConfigError.usage(SecretMasker([]).mask(refusal))
        }
        try requireUUID(key, what: what)
    }

    /// A key or machine GUID must be a lowercase UUID: children and parents compare them byte
    /// for byte (exit 64 otherwise; the message masks it).
    public static func requireUUID(_ text: String, what: String) throws {
        switch UUIDSyntax.classify(text) {
        case .canonical: return
        case .notLowercase: throw StreamConfigError.usage("\(what) must be lowercase (children and parents compare keys byte for byte)")
        case .invalid: throw StreamConfigError.usage("\(what) `\(SecretMasker.mask(text))` is not a UUID; `stream-config keygen` makes one")
        }
    }
}
