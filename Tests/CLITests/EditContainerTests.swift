import Foundation
import Testing

/// `stream-config edit --container`: the stock file comes out of a Netdata container. A fake
/// `docker` first in PATH plays the runtime: a container is a directory under its root, and
/// every call is logged, so the tests see what the real one would have been asked.
@Suite struct EditContainerTests {
    struct Runtime {
        let setup: EditCommandTests.Setup
        let root: String
        let bin: String

        init(stockInContainer: Bool = true) throws {
            setup = try EditCommandTests.Setup()
            root = setup.dir.path("containers")
            bin = setup.dir.path("bin")
            let stockDir = "\(root)/netdata/usr/lib/netdata/conf.d"
            try FileManager.default.createDirectory(atPath: "\(stockDir)/go.d", withIntermediateDirectories: true)
            if stockInContainer { try setup.stockBytes.write(to: URL(fileURLWithPath: "\(stockDir)/stream.conf")) }
            try Data("jobs: []\n".utf8).write(to: URL(fileURLWithPath: "\(stockDir)/go.d/nginx.conf"))
            // The host has no stock files: only the container does.
            try FileManager.default.removeItem(atPath: "\(setup.stock)/stream.conf")
            let docker = """
                echo "$*" >> '\(root)/calls.log'
                case "$1" in
                container) [ "$3" = daemon-down ] && { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; }
                           [ "$2" = inspect ] && [ -d '\(root)'/"$3" ] && { echo '[{}]'; exit 0; }
                           echo "Error: No such container: $3" >&2; exit 1 ;;
                cp) name=${2%%:*}; path=${2#*:}
                    [ -f '\(root)'/"$name$path" ] || { echo "Error response from daemon: Could not find the file $path in container $name" >&2; exit 1; }
                    cp '\(root)'/"$name$path" "$3" ;;
                exec) name=$2; [ "$3" = find ] || exit 126
                      cd '\(root)'/"$name" && find ".$4" -type f | sed 's|^[.]||' ;;
                *) exit 125 ;;
                esac
                """
            // Written with O_CLOEXEC by Setup.script: a concurrently spawned process cannot hold it open ("text file busy").
            _ = try setup.script("docker", docker)
        }

        var calls: [String] {
            ((try? String(contentsOfFile: "\(root)/calls.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func edit(_ arguments: [String], editor: String, path: String? = nil) throws -> CLI.Result {
            var environment = setup.environment(editor: editor)
            environment["PATH"] = path ?? "\(bin):/usr/bin:/bin"
            return try CLI.run(["edit"] + arguments, environment: environment)
        }
    }

    @Test func testStockFileIsCopiedOutOfTheContainerAndTheRestartHintNamesIt() throws {
        let runtime = try Runtime()
        let result = try runtime.edit(["--container", "netdata"], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        let installed = try Data(contentsOf: URL(fileURLWithPath: runtime.setup.userFile))
        #expect(installed == runtime.setup.stockBytes + Data(EditCommandTests.validSection.utf8))
        #expect(try EditCommandTests.mode(runtime.setup.userFile) == 0o640)
        #expect(result.stderr.contains("starting from the stock file netdata:/usr/lib/netdata/conf.d/stream.conf"), "\(result.stderr)")
        #expect(result.stderr.contains("sudo docker restart netdata"), "\(result.stderr)")
        #expect(runtime.calls.contains { $0.hasPrefix("cp netdata:/usr/lib/netdata/conf.d/stream.conf ") }, "\(runtime.calls)")
        #expect(try runtime.setup.userEntries() == ["stream.conf"], "no temporary file left")
    }

    @Test func testAnExistingUserFileIsEditedWithoutCopying() throws {
        let runtime = try Runtime()
        try Data("[stream]\n    enabled = no\n".utf8).write(to: URL(fileURLWithPath: runtime.setup.userFile))
        let result = try runtime.edit(["--container", "netdata"], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!runtime.calls.contains { $0.hasPrefix("cp ") }, "\(runtime.calls)")
    }

    @Test func testUnknownContainerMissingStockFileAndNoRuntimeAreClearErrors() throws {
        let runtime = try Runtime(stockInContainer: false)
        let editor = try runtime.setup.appending(EditCommandTests.validSection)

        let unknown = try runtime.edit(["--container", "nope"], editor: editor)
        #expect(unknown.status == 66)
        #expect(unknown.stderr.contains("no container 'nope' (docker: Error: No such container: nope)"), "\(unknown.stderr)")

        let down = try runtime.edit(["--container", "daemon-down"], editor: editor)
        #expect(down.status == 66)
        #expect(down.stderr.contains("cannot ask docker about container 'daemon-down': Cannot connect to the Docker daemon"), "\(down.stderr)")

        let missing = try runtime.edit(["--container", "netdata"], editor: editor)
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("File 'stream.conf' is not found in 'netdata:/usr/lib/netdata/conf.d'"), "\(missing.stderr)")

        let noRuntime = try runtime.edit(["--container", "netdata"], editor: editor, path: runtime.setup.dir.path("empty"))
        #expect(noRuntime.status == 66)
        #expect(noRuntime.stderr.contains("neither docker nor podman is in PATH"), "\(noRuntime.stderr)")
        #expect(!FileManager.default.fileExists(atPath: runtime.setup.userFile), "nothing installed")
        #expect(try runtime.setup.userEntries().isEmpty, "no temporary file left")
    }

    @Test func testListShowsTheContainersStockFiles() throws {
        let runtime = try Runtime()
        let result = try runtime.edit(["--list", "--container", "netdata"], editor: "true")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "go.d/nginx.conf\nstream.conf\n", "\(result.stdout)")
        #expect(result.stderr.contains("stock files in container 'netdata'"))
    }

    /// The official image writes `.container-hostname` into a host-mounted /etc/netdata:
    /// without --container, the recorded name is tried, then `netdata`.
    @Test func testContainerHostnameFileSelectsTheContainer() throws {
        let runtime = try Runtime()
        try Data("gone-host\n".utf8).write(to: URL(fileURLWithPath: "\(runtime.setup.user)/.container-hostname"))
        let result = try runtime.edit([], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(".container-hostname: using the stock files of container 'netdata' (docker)"), "\(result.stderr)")
        #expect(Array(runtime.calls.prefix(2)) == ["container inspect gone-host", "container inspect netdata"], "\(runtime.calls)")
        let installed = try Data(contentsOf: URL(fileURLWithPath: runtime.setup.userFile))
        #expect(installed == runtime.setup.stockBytes + Data(EditCommandTests.validSection.utf8))
    }
}
