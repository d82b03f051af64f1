#if canImport(Glibc)
import Glibc
#endif

/// A Netdata container (Docker or Podman) whose stock files `edit` starts from, as
/// `edit-config --container` does: the user config directory is a host mount of the container's
/// /etc/netdata, and the stock files exist only inside the image.
public struct NetdataContainer: Sendable {
    /// The container runtime's path (docker or podman).
    public var runtime: String
    public var name: String

    public init(runtime: String, name: String) {
        self.runtime = runtime
        self.name = name
    }

    /// Where the official image keeps the stock files (fixed, as in edit-config).
    public static let stockDirectory = "/usr/lib/netdata/conf.d"
    /// Time limit for one runtime call.
    public static let callSeconds = 30.0

    public var runtimeName: String { AtomicFile.fileName(of: runtime) }
    public func stockLabel(_ file: String) -> String { "\(name):\(Self.stockDirectory)/\(file)" }
    public var restartCommand: String { "\(runtimeName) restart \(name)" }

    /// A stock file copied out of the container, with the owner and mode it has there.
    public struct StockCopy: Sendable {
        public var bytes: [UInt8]
        public var ownership: AtomicFile.Ownership
    }

    /// `docker`, then `podman`, from PATH (both when both are installed: a docker CLI whose
    /// daemon is down must not hide a podman container).
    public static func runtimes() -> [String] {
        ["docker", "podman"].compactMap { EditorCommand.findInPath($0) }
    }

    public static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.hasPrefix("-"), !name.contains(":"), !name.contains("/") else {
            throw StreamConfigError.usage("--container needs a container name or ID, got '\(name)'", hint: "stream-config edit --container netdata stream.conf")
        }
    }

    /// The container named on the command line, asked for by each runtime in turn.
    public static func named(_ name: String) throws -> NetdataContainer {
        try checkName(name)
        let runtimes = runtimes()
        guard !runtimes.isEmpty else {
            throw StreamConfigError.noInput("--container \(name): neither docker nor podman is in PATH",
                                    hint: "run stream-config where the container runtime is installed")
        }
        var failures: [(runtime: String, missing: Bool, reason: String)] = []
        for runtime in runtimes {
            let container = NetdataContainer(runtime: runtime, name: name)
            switch container.inspect(seconds: callSeconds) {
            case .found: return container
            case .missing(let reason): failures.append((container.runtimeName, true, reason))
            case .unreachable(let reason): failures.append((container.runtimeName, false, reason))
            }
        }
        let reasons = failures.map { "\($0.runtime): \($0.reason)" }.joined(separator: "; ")
        if failures.allSatisfy(\.missing) {
            throw StreamConfigError.noInput("no container '\(name)' (\(reasons))",
                                    hint: "`\(failures[0].runtime) ps -a` lists the containers")
        }
        throw StreamConfigError.noInput("cannot ask about container '\(name)' (\(reasons))",
                                hint: "is the container service running, and may this user use it (sudo, or the docker group)?")
    }

    /// For a user file that exists: nothing is copied, so the container is not asked; it only
    /// names the restart command.
    public static func unverified(_ name: String) throws -> NetdataContainer? {
        try checkName(name)
        return runtimes().first.map { NetdataContainer(runtime: $0, name: name) }
    }

    /// edit-config's automatic choice: a user directory that is the host mount of a Netdata
    /// container (the official image writes `.container-hostname` there). Tries the recorded
    /// hostname, then `netdata`, with each runtime. Returns why it found none, for the error the
    /// caller gives when there is no stock copy on the host either.
    public static func detect(userDirectory: String) -> (container: NetdataContainer?, notes: [String]) {
        guard let recorded = readMarker("\(userDirectory)/.container-hostname") else { return (nil, []) }
        let runtimes = runtimes()
        guard !runtimes.isEmpty else { return (nil, [".container-hostname is there, but neither docker nor podman is in PATH"]) }
        var notes: [String] = []
        for name in [recorded, "netdata"] where (try? checkName(name)) != nil {
            for runtime in runtimes {
                let container = NetdataContainer(runtime: runtime, name: name)
                switch container.inspect(seconds: 10) {
                case .found: return (container, notes)
                case .missing(let reason), .unreachable(let reason):
                    notes.append("\(container.runtimeName) container inspect \(name): \(reason)")
                }
            }
        }
        return (nil, notes)
    }

    public enum Inspection: Equatable, Sendable {
        case found
        case missing(String)
        case unreachable(String)
    }

    /// `RUNTIME container inspect NAME`: whether this runtime knows the container, and if not why.
    public func inspect(seconds: Double) -> Inspection {
        do {
            let result = try Subprocess.run([runtime, "container", "inspect", name], seconds: seconds)
            if result.succeeded { return .found }
            return RuntimeMessage.saysNoSuchContainer(result) ? .missing(RuntimeMessage.reason(result)) : .unreachable(RuntimeMessage.reason(result))
        } catch {
            return .unreachable((error as? Subprocess.Failure)?.description ?? "\(error)")
        }
    }

    /// The first word of `.container-hostname`: a small regular file (it is written by the
    /// container, so no link, FIFO or large file is followed).
    private static func readMarker(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        let word = buffer[..<count].split(whereSeparator: { $0 == 10 || $0 == 13 || $0 == 32 || $0 == 9 }).first ?? []
        return String(decoding: word, as: UTF8.self)
    }

    /// The stock copy of `file`, or nil when the image has none. `cp NAME:PATH -` writes a tar
    /// stream, read in memory: nothing of the container lands on the host's file system, and
    /// only a regular file is taken (never a link, which would point into the host's files).
    public func stockFile(_ file: String) throws -> StockCopy? {
        let result = try call(["cp", "\(name):\(Self.stockDirectory)/\(file)", "-"])
        guard result.succeeded else {
            if RuntimeMessage.saysNoSuchPath(result) { return nil }
            if RuntimeMessage.saysNoSuchContainer(result) {
                throw StreamConfigError.noInput("no container '\(name)' (\(runtimeName): \(RuntimeMessage.reason(result)))")
            }
            throw StreamConfigError.noInput("cannot copy \(stockLabel(file)) out of the container (\(runtimeName) cp: \(RuntimeMessage.reason(result)))")
        }
        guard !result.truncated else { throw StreamConfigError.noInput("\(stockLabel(file)) is larger than 16 MiB; not a stock file") }
        let entry: TarReader.Entry
        do {
            entry = try TarReader.single(result.stdout)
        } catch let problem as TarReader.Problem {
            throw StreamConfigError.noInput("\(stockLabel(file)): \(runtimeName) cp gave \(problem.description)")
        }
        guard entry.isRegularFile else {
            throw StreamConfigError.noInput("\(stockLabel(file)) is \(entry.kindDescription) in the container; only a regular file is copied",
                                    hint: "edit the file it stands for, by its own name")
        }
        return StockCopy(bytes: entry.data, ownership: AtomicFile.Ownership(uid: entry.uid, gid: entry.gid, mode: entry.mode & 0o777))
    }

    /// The numeric group of `netdata` inside the container (it must be running), or why not.
    public func netdataGroup() -> (gid: gid_t?, problem: String?) {
        do {
            let result = try Subprocess.run([runtime, "exec", name, "id", "-g", "netdata"], seconds: Self.callSeconds)
            let text = String(decoding: result.stdout, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == " " }).first
            if result.succeeded, let text, let gid = gid_t(text) { return (gid, nil) }
            return (nil, "\(runtimeName) exec \(name) id -g netdata: \(RuntimeMessage.reason(result))")
        } catch let failure as Subprocess.Failure {
            return (nil, failure.description)
        } catch {
            return (nil, "\(error)")
        }
    }

    /// Every file under the stock directory, relative to it.
    public func stockFiles() throws -> [String] {
        let result = try call(["exec", name, "find", Self.stockDirectory, "-type", "f"])
        guard result.succeeded else {
            throw StreamConfigError.noInput("cannot list \(Self.stockDirectory) in container '\(name)' (\(runtimeName) exec: \(RuntimeMessage.reason(result)))",
                                    hint: "the container must be running: \(runtimeName) start \(name)")
        }
        let prefix = Self.stockDirectory + "/"
        return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    private func call(_ arguments: [String]) throws -> Subprocess.Result {
        do {
            return try Subprocess.run([runtime] + arguments, seconds: Self.callSeconds)
        } catch let failure as Subprocess.Failure {
            throw StreamConfigError.noInput("container '\(name)': \(failure.description)")
        }
    }
}
