/// Why an edit was refused. The document is left unchanged whenever one is thrown.
public struct EditError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// `addSection` / `addAPIKey` / `addMachine` on a name that already has a section.
        case sectionExists
        /// The operation needs a section that the file does not have.
        case sectionMissing
        /// An API key or machine GUID that is not a canonical lowercase UUID, or a name that is
        /// not a key at all (such as `stream`).
        case invalidKey
        /// For callers that require an option to be present (the editor itself never throws it:
        /// `unset` of an absent option simply reports "no change").
        case optionMissing
        /// A section or option name Netdata would not read back as given.
        case invalidName
        /// A value Netdata would not read back as given.
        case invalidValue
        /// The resulting (or touched) line is longer than Netdata reads in one piece.
        case lineTooLong
        /// The edit would have changed more than was asked (an exotic layout, such as a header
        /// hidden inside an over-long line); nothing was written.
        case unsafeEdit
    }

    public let code: Code
    /// What went wrong and what to do about it, for people.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension EditError {
    static func sectionExists(_ name: String) -> EditError {
        EditError(.sectionExists, "Section [\(name)] already exists; edit it with `set` or remove it first.")
    }

    static func sectionMissing(_ name: String) -> EditError {
        EditError(.sectionMissing, "There is no section [\(name)] in the file; check the name (it is case-sensitive) or add the section first.")
    }

    static func optionMissing(section: String, key: String) -> EditError {
        EditError(.optionMissing, "Section [\(section)] has no active '\(key)' option; check the name (it is case-sensitive).")
    }

    static let unsafe = EditError(.unsafeEdit, "The edit would change more settings than requested (the file has an unusual layout, e.g. an over-long line); make this change by hand.")
}
