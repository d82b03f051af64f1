import Foundation
import TestSupport
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
            // Messages as current Docker engines print them. Switches are files under the root:
            // `banner` (podman-docker's notice first), `posix` (PAX headers), NAME/netdata-gid.
            let docker = """
                echo "$*" >> '\(root)/calls.log'
                [ -f '\(root)/banner' ] && echo "Emulate Docker CLI using podman. Create /etc/containers/nodocker to quiet msg." >&2
                case "$1" in
                container) [ "$3" = daemon-down ] && { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; }
                           [ "$2" = inspect ] && [ -d '\(root)'/"$3" ] && { echo '[{}]'; exit 0; }
                           echo "Error: No such container: $3" >&2; exit 1 ;;
                cp) name=${2%%:*}; path=${2#*:}
                    [ -d '\(root)'/"$name" ] || { echo "Error response from daemon: No such container: $name" >&2; exit 1; }
                    [ -e '\(root)'/"$name$path" ] || [ -L '\(root)'/"$name$path" ] || { echo "Error response from daemon: No such container:path: $name:$path" >&2; exit 1; }
                    format=gnu; [ -f '\(root)/posix' ] && format=posix
                    cd '\(root)'/"$name$(dirname "$path")" && tar --format=$format --numeric-owner -cf - "$(basename "$path")" ;;
                exec) name=$2
                      case "$3" in
                      find) cd '\(root)'/"$name" && find ".$4" -type f | sed 's|^[.]||' ;;
                      id) [ -f '\(root)'/"$name/netdata-gid" ] || { echo "id: 'netdata': no such user" >&2; exit 1; }
                          cat '\(root)'/"$name/netdata-gid" ;;
                      *) exit 126 ;;
                      esac ;;
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

    static var isRoot: Bool { geteuid() == 0 }

    static func gid(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.groupOwnerAccountID] as? Int) ?? -1
    }

    /// The new file gets the container's netdata group (the host's means nothing inside it).
    @Test func testStockFileIsCopiedOutOfTheContainerWithItsNetdataGroup() throws {
        let runtime = try Runtime()
        try Data("4242\n".utf8).write(to: URL(fileURLWithPath: "\(runtime.root)/netdata/netdata-gid"))
        let result = try runtime.edit(["--container", "netdata"], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        let installed = try Data(contentsOf: URL(fileURLWithPath: runtime.setup.userFile))
        #expect(installed == runtime.setup.stockBytes + Data(EditCommandTests.validSection.utf8))
        #expect(try EditCommandTests.mode(runtime.setup.userFile) == 0o640)
        if Self.isRoot { #expect(try Self.gid(runtime.setup.userFile) == 4242) }
        #expect(result.stderr.contains("starting from the stock file netdata:/usr/lib/netdata/conf.d/stream.conf"), "\(result.stderr)")
        #expect(result.stderr.contains("restart Netdata to apply it (stream.conf is read at start-up): docker restart netdata"), "\(result.stderr)")
        #expect(runtime.calls.contains("cp netdata:/usr/lib/netdata/conf.d/stream.conf -"), "\(runtime.calls)")
        #expect(try runtime.setup.userEntries() == ["stream.conf"], "no temporary file left")
    }

    /// Without the container's netdata group, the stock file's owner and mode (edit-config's
    /// `cp -a`), said on stderr. PAX headers (tar --format=posix) are read too.
    @Test func testUnknownNetdataGroupKeepsTheStockOwnerAndMode() throws {
        let runtime = try Runtime()
        try Data().write(to: URL(fileURLWithPath: "\(runtime.root)/posix"))
        let stock = "\(runtime.root)/netdata/usr/lib/netdata/conf.d/stream.conf"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: stock)
        let result = try runtime.edit(["--container", "netdata"], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: runtime.setup.userFile)) == runtime.setup.stockBytes + Data(EditCommandTests.validSection.utf8))
        #expect(try EditCommandTests.mode(runtime.setup.userFile) == 0o644)
        #expect(result.stderr.contains("the netdata group of container 'netdata' is unknown (docker exec netdata id -g netdata: id: 'netdata': no such user)"),
                "\(result.stderr)")
    }

    /// `docker cp` copies a link as a link: following it would read the host's file.
    @Test func testALinkInTheContainerIsNotFollowedOnTheHost() throws {
        let runtime = try Runtime()
        let secret = runtime.setup.dir.path("host-secret")
        try Data("[51f0c3a2-7d6e-4b89-a1c4-3e2d5f6a7b80]\n    enabled = yes\n".utf8).write(to: URL(fileURLWithPath: secret))
        let stock = "\(runtime.root)/netdata/usr/lib/netdata/conf.d/stream.conf"
        try FileManager.default.removeItem(atPath: stock)
        try FileManager.default.createSymbolicLink(atPath: stock, withDestinationPath: secret)
        let result = try runtime.edit(["--container", "netdata"], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 66)
        #expect(result.stderr.contains("netdata:/usr/lib/netdata/conf.d/stream.conf is a symbolic link to \(secret) in the container; only a regular file is copied"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("51f0c3a2-7d6e") && !result.stdout.contains("51f0c3a2-7d6e"))
        #expect(try runtime.setup.userEntries().isEmpty, "nothing installed, nothing left")
    }

    /// With a user file, nothing is copied: the container is not asked (its daemon may be down).
    @Test func testAnExistingUserFileIsEditedWithoutAskingTheContainer() throws {
        let runtime = try Runtime()
        try Data("[stream]\n    enabled = no\n".utf8).write(to: URL(fileURLWithPath: runtime.setup.userFile))
        let result = try runtime.edit(["--container", "daemon-down"], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(runtime.calls.isEmpty, "\(runtime.calls)")
        #expect(result.stderr.contains("docker restart daemon-down"), "\(result.stderr)")
    }

    @Test func testUnknownContainerMissingStockFileAndNoRuntimeAreClearErrors() throws {
        let runtime = try Runtime(stockInContainer: false)
        let editor = try runtime.setup.appending(EditCommandTests.validSection)

        let unknown = try runtime.edit(["--container", "nope"], editor: editor)
        #expect(unknown.status == 66)
        #expect(unknown.stderr.contains("no container 'nope' (docker: Error: No such container: nope)"), "\(unknown.stderr)")

        let down = try runtime.edit(["--container", "daemon-down"], editor: editor)
        #expect(down.status == 66)
        #expect(down.stderr.contains("cannot ask about container 'daemon-down' (docker: Cannot connect to the Docker daemon"), "\(down.stderr)")

        let missing = try runtime.edit(["--container", "netdata"], editor: editor)
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("File 'stream.conf' is not found in 'netdata:/usr/lib/netdata/conf.d'"), "\(missing.stderr)")

        let noRuntime = try runtime.edit(["--container", "netdata"], editor: editor, path: runtime.setup.dir.path("empty"))
        #expect(noRuntime.status == 66)
        #expect(noRuntime.stderr.contains("neither docker nor podman is in PATH"), "\(noRuntime.stderr)")

        let option = try runtime.edit(["--container", "--list"], editor: editor)
        #expect(option.status == 64, "\(option.stderr)")
        #expect(!FileManager.default.fileExists(atPath: runtime.setup.userFile), "nothing installed")
        #expect(try runtime.setup.userEntries().isEmpty, "no temporary file left")
    }

    /// podman-docker prints a notice before every error: the error is still recognised.
    @Test func testRuntimeBannersDoNotHideTheError() throws {
        let runtime = try Runtime()
        try Data().write(to: URL(fileURLWithPath: "\(runtime.root)/banner"))
        let editor = try runtime.setup.appending(EditCommandTests.validSection)
        let unknown = try runtime.edit(["--container", "nope"], editor: editor)
        #expect(unknown.status == 66)
        #expect(unknown.stderr.contains("no container 'nope' (docker: Error: No such container: nope)"), "\(unknown.stderr)")
        let missing = try runtime.edit(["--container", "netdata", "go.d/missing.conf"], editor: editor)
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("File 'go.d/missing.conf' is not found in 'netdata:/usr/lib/netdata/conf.d'"), "\(missing.stderr)")
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

    /// When no container answers and the host has no stock copy, the error says why.
    @Test func testContainerHostnameWithoutAContainerExplainsTheFailure() throws {
        let runtime = try Runtime()
        try FileManager.default.removeItem(atPath: "\(runtime.root)/netdata")
        try Data("gone-host\n".utf8).write(to: URL(fileURLWithPath: "\(runtime.setup.user)/.container-hostname"))
        let result = try runtime.edit([], editor: try runtime.setup.appending(EditCommandTests.validSection))
        #expect(result.status == 66)
        #expect(result.stderr.contains("(no container either: docker container inspect gone-host: Error: No such container: gone-host; "
                                       + "docker container inspect netdata: Error: No such container: netdata)"), "\(result.stderr)")
    }
}
