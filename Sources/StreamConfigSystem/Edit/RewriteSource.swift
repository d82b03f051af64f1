import StreamConfig

/// The stream.conf a rewrite (`set`, `parent add-key`, `child set`, …) changes: the file it
/// names (a link's target: see `WriteTarget`) and its current content, or the stock file's when
/// the default user file does not exist yet (as edit-config does).
public struct RewriteSource: Sendable {
    public var path: String
    public var document: Document
    public var existed: Bool
    /// What to tell the user about where the content comes from.
    public var note: String?

    /// The file to change: `file`, or the user file in `directories`; links followed.
    public static func target(file: String?, directories: ConfigDirectories, note: (String) -> Void = { _ in }) throws -> String {
        try WriteTarget.resolve(file ?? directories.userFile(), configDirectory: directories.user, explicit: file != nil, note: note)
    }

    /// Reads `path` (only a regular file this user can replace). A missing file starts from the
    /// stock file when it is the default one (`named` false), empty with `create`, else is an error.
    public static func load(_ path: String, named: Bool, create: Bool, directories: ConfigDirectories) throws -> RewriteSource {
        if FileAccess.exists(path) {
            let contents = try FileAccess.read(path)  // only a regular file, before anything else
            if let problem = FileSystem.writeProblem(path) {
                throw StreamConfigError.cannotWrite("\(path): the file is read-only for you (\(problem))", hint: "run with sudo, or check the file's permissions")
            }
            return RewriteSource(path: path, document: Document(bytes: contents.bytes), existed: true)
        }
        if !named || create {
            let stock = directories.stockFile()
            if !named, FileAccess.exists(stock) {
                return RewriteSource(path: path, document: Document(bytes: try FileAccess.read(stock).bytes), existed: false,
                                     note: "\(path) does not exist: starting from the stock file \(stock)")
            }
            return RewriteSource(path: path, document: Document(bytes: [UInt8]()), existed: false, note: "creating \(path)")
        }
        throw StreamConfigError.noInput("\(path): no such file", hint: "check the path, or add --create to start a new file")
    }
}
