#if canImport(Glibc)
import Glibc
#endif

/// A Netdata container (Docker or Podman) whose stock files `edit` starts from, as
/// `edit-config --container` does: the user config directory is a host mount of the container's
/// /etc/netdata, and the stock files exist only inside the image.
struct NetdataContainer {
    /// The container runtime's path (docker, else podman).
    var runtime: String
    var name: String

    /// Where the official image keeps the stock files (fixed, as in edit-config).
    static let stockDirectory = "/usr/lib/netdata/conf.d"

    var runtimeName: String { AtomicFile.fileName(of: runtime) }
    func stockLabel(_ file: String) -> String { "\(name):\(Self.stockDirectory)/\(file)" }
    var restartCommand: String { "sudo \(runtimeName) restart \(name)" }

    /// `docker`, else `podman`, from PATH.
    static func findRuntime() -> String? {
        EditorCommand.findInPath("docker") ?? EditorCommand.findInPath("podman")
    }

    /// The container named on the command line; it must exist.
    static func named(_ name: String) throws -> NetdataContainer {
        guard !name.isEmpty, !name.hasPrefix("-") else {
            throw UserError.usage("--container needs a container name or ID, got '\(name)'", hint: "stream-config edit --container netdata stream.conf")
        }
        guard let runtime = findRuntime() else {
            throw UserError.noInput("--container \(name): neither docker nor podman is in PATH",
                                    hint: "run stream-config where the container runtime is installed")
        }
        let container = NetdataContainer(runtime: runtime, name: name)
        let inspect = try container.run(["container", "inspect", name])
        guard inspect.succeeded else {
            let runtimeName = container.runtimeName
            if inspect.reason.lowercased().contains("no such") {
                throw UserError.noInput("no container '\(name)' (\(runtimeName): \(inspect.reason))",
                                        hint: "`\(runtimeName) ps -a` lists the containers")
            }
            throw UserError.noInput("cannot ask \(runtimeName) about container '\(name)': \(inspect.reason)",
                                    hint: "is the \(runtimeName) service running, and may this user use it (sudo)?")
        }
        return container
    }

    /// edit-config's automatic choice: a user directory that is the host mount of a Netdata
    /// container (the official image writes `.container-hostname` there). Tries the recorded
    /// hostname, then `netdata`. Callers ask only when the host has no stock copy, which also
    /// covers edit-config's "inside the container" rule (there the stock files are local) without
    /// refusing a tooling container that manages the Netdata one.
    static func detect(userDirectory: String) -> NetdataContainer? {
        let marker = "\(userDirectory)/.container-hostname"
        guard FileAccess.exists(marker), let runtime = findRuntime() else { return nil }
        let bytes = (try? FileAccess.read(marker).bytes) ?? []
        let recorded = String(decoding: bytes.split(whereSeparator: { $0 == 10 || $0 == 13 || $0 == 32 || $0 == 9 }).first ?? [], as: UTF8.self)
        for name in [recorded, "netdata"] where !name.isEmpty && !name.hasPrefix("-") {
            let container = NetdataContainer(runtime: runtime, name: name)
            if (try? container.run(["container", "inspect", name]))?.succeeded == true { return container }
        }
        return nil
    }

    /// The stock copy of `file`, or nil when the image has none.
    func stockFile(_ file: String) throws -> [UInt8]? {
        var template = Array("/tmp/stream-config-container-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw UserError.cannotWrite("cannot create a temporary directory in /tmp: \(FileAccess.describe(errno: errno))")
        }
        let directory = String(cString: made)
        let copy = "\(directory)/copy"
        defer {
            unlink(copy)
            rmdir(directory)
        }
        let result = try run(["cp", "\(name):\(Self.stockDirectory)/\(file)", copy])
        guard result.succeeded else {
            let reason = result.reason
            let lowered = reason.lowercased()
            if lowered.contains("no such file") || lowered.contains("could not find") {
                return nil
            }
            throw UserError.noInput("cannot copy \(stockLabel(file)) out of the container (\(runtimeName) cp: \(reason))")
        }
        return try FileAccess.read(copy).bytes
    }

    /// Every file under the stock directory, relative to it.
    func stockFiles() throws -> [String] {
        let result = try run(["exec", name, "find", Self.stockDirectory, "-type", "f"])
        guard result.succeeded else {
            throw UserError.noInput("cannot list \(Self.stockDirectory) in container '\(name)' (\(runtimeName) exec: \(result.reason))",
                                    hint: "the container must be running: \(runtimeName) start \(name)")
        }
        let prefix = Self.stockDirectory + "/"
        return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    private func run(_ arguments: [String]) throws -> Subprocess.Result {
        do {
            return try Subprocess.run([runtime] + arguments, seconds: 60)
        } catch let failure as Subprocess.Failure {
            throw UserError.noInput("container '\(name)': \(failure.description)")
        }
    }
}
