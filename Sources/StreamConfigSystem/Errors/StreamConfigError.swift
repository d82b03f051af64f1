/// The one error the system library throws: what happened (`message`, naming the file),
/// what to do (`hint`), and a `code` that says which kind of failure it is. Only the
/// executable turns a code into an exit status (one table there); the library knows no exit
/// codes.
///
/// `Code` is a struct with private storage rather than a public enum, so that new codes can be
/// added without breaking callers that switch over them (the swift-certificates /
/// swift-service-lifecycle pattern). Two errors are equal when their codes are.
public struct StreamConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case usage, noInput, cannotWrite, busy, refused
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The request itself is wrong (a bad argument, an empty key, a refused name).
        public static let usage = Code(.usage)
        /// An input is missing, unreadable, not a regular file, too large, or cannot be parsed.
        public static let noInput = Code(.noInput)
        /// An output cannot be created or replaced (permissions, a missing directory, a full disk).
        public static let cannotWrite = Code(.cannotWrite)
        /// Another writer holds the file's lock.
        public static let busy = Code(.busy)
        /// The change was refused: its result would not be what Netdata should read.
        public static let refused = Code(.refused)

        public var description: String {
            switch base {
            case .usage: return "usage"
            case .noInput: return "noInput"
            case .cannotWrite: return "cannotWrite"
            case .busy: return "busy"
            case .refused: return "refused"
            }
        }
    }

    public var code: Code
    public var message: String
    public var hint: String?
    /// Lines shown before the message (one per offending input line, say).
    public var details: [String]

    public init(_ code: Code, _ message: String, hint: String? = nil, details: [String] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details
    }

    public var description: String { message }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public static func usage(_ message: String, hint: String? = nil) -> Self { Self(.usage, message, hint: hint) }
    public static func noInput(_ message: String, hint: String? = nil) -> Self { Self(.noInput, message, hint: hint) }
    public static func cannotWrite(_ message: String, hint: String? = nil) -> Self { Self(.cannotWrite, message, hint: hint) }
    public static func busy(_ message: String, hint: String? = nil) -> Self { Self(.busy, message, hint: hint) }
    public static func refused(_ message: String, hint: String? = nil) -> Self { Self(.refused, message, hint: hint) }
}
