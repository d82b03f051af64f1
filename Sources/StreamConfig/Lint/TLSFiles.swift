/// What a frontend found about a file an option names: the core reads no file system, so
/// `lint` looks at the files (`StreamConfigSystem.CAFileCheck`) and passes what is wrong in
/// (`LintOptions.fileFacts`), and the rule (SC420) says what Netdata makes of it.
public struct FileFact: Sendable, Equatable {
    /// The option as written (`CAfile`, `CApath`).
    public var option: String
    /// The path, exactly as the option's value gives it.
    public var path: String
    /// What is wrong, as a phrase after the path: "does not exist", "is not a PEM certificate ...".
    public var problem: String

    public init(option: String, path: String, problem: String) {
        self.option = option
        self.path = path
        self.problem = problem
    }
}

/// The files stream.conf names for TLS: `[stream] CAfile` (a PEM bundle) and `CApath` (a
/// directory of certificates), with which the child verifies its `:SSL` parents.
public enum StreamTLSFiles {
    public struct Named: Sendable, Equatable {
        public var option: String
        public var path: String
        /// `CApath` names a directory; `CAfile` a file.
        public var isDirectory: Bool
    }

    /// The values in force in `[stream]` that a frontend can check: non-empty absolute paths
    /// (Netdata opens a relative one from its own working directory, which lint cannot know).
    public static func named(in ini: Ini) -> [Named] {
        guard let stream = ini.section("stream") else { return [] }
        return [("CAfile", false), ("CApath", true)].compactMap { name, isDirectory in
            guard let path = stream.value(name), path.hasPrefix("/") else { return nil }
            return Named(option: name, path: path, isDirectory: isDirectory)
        }
    }
}
