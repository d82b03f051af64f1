import Glibc
import Testing
@testable import StreamConfigSystem

/// The process runner, the container runtimes' messages, key input.
@Suite struct ProcessAndContainerTests {
    @Test func testARunCapturesBothStreamsAndTheStatus() throws {
        let result = try Subprocess.run(["/bin/sh", "-c", "printf out; printf err >&2; exit 3"], seconds: 30)
        #expect(result.status == 3 && !result.succeeded)
        #expect(result.stdout == Array("out".utf8) && result.stderrText == "err")
        #expect(!result.truncated)
    }

    @Test func testOutputPastTheLimitIsCutAndSaid() throws {
        let result = try Subprocess.run(["/bin/sh", "-c", "head -c 5000 /dev/zero"], seconds: 30, outputLimit: 1000)
        #expect(result.succeeded && result.truncated && result.stdout.count == 1000)
    }

    @Test func testAProgramPastItsTimeIsKilled() throws {
        let start = SuspendingClock.now
        #expect(throws: Subprocess.Failure.self) { _ = try Subprocess.run(["/bin/sleep", "30"], seconds: 0.3) }
        #expect(SuspendingClock.now - start < .seconds(10))
    }

    /// Done when the program exits, even though a process it left behind holds the pipes.
    @Test func testABackgroundChildHoldingThePipesDoesNotKeepUsWaiting() throws {
        let start = SuspendingClock.now
        let result = try Subprocess.run(["/bin/sh", "-c", "sleep 5 & echo started"], seconds: 30)
        #expect(result.succeeded && result.stdout == Array("started\n".utf8))
        #expect(SuspendingClock.now - start < .seconds(4))
    }

    @Test func testAProgramThatCannotStartIsAFailure() {
        #expect(throws: Subprocess.Failure.self) { _ = try Subprocess.run(["/nonexistent/docker", "ps"]) }
    }

    func runtime(_ stderr: String, status: Int32 = 1) -> Subprocess.Result {
        Subprocess.Result(status: status, stdout: [], stderr: Array(stderr.utf8))
    }

    @Test func testRuntimeMessages() {
        let docker = runtime("Error response from daemon: No such container: netdata\n")
        #expect(RuntimeMessage.saysNoSuchContainer(docker) && !RuntimeMessage.saysNoSuchPath(docker))
        #expect(RuntimeMessage.reason(docker) == "Error response from daemon: No such container: netdata")
        let podman = runtime("Emulate Docker CLI using podman. Create /etc/containers/nodocker to quiet msg.\n"
            + "WARN[0000] some warning\nError: no container with name or ID \"nd\" found: no such container\n")
        #expect(RuntimeMessage.saysNoSuchContainer(podman))
        #expect(RuntimeMessage.reason(podman) == "Error: no container with name or ID \"nd\" found: no such container")
        let cpMissing = runtime("Error response from daemon: No such container:path: netdata:/usr/lib/netdata/conf.d/x.conf\n")
        #expect(RuntimeMessage.saysNoSuchPath(cpMissing) && !RuntimeMessage.saysNoSuchContainer(cpMissing))
        let podmanCp = runtime("Error: \"/usr/lib/netdata/conf.d/x.conf\" could not be found on container nd: no such file or directory\n")
        #expect(RuntimeMessage.saysNoSuchPath(podmanCp))
        let daemonDown = runtime("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n")
        #expect(!RuntimeMessage.saysNoSuchContainer(daemonDown) && !RuntimeMessage.saysNoSuchPath(daemonDown))
        #expect(RuntimeMessage.reason(runtime("", status: 125)) == "exit status 125")
    }

    @Test func testContainerNames() throws {
        for bad in ["", "-x", "a:b", "a/b"] {
            #expect(throws: StreamConfigError.usage("")) { try NetdataContainer.checkName(bad) }
        }
        try NetdataContainer.checkName("netdata")
        let container = NetdataContainer(runtime: "/usr/bin/podman", name: "nd")
        #expect(container.runtimeName == "podman" && container.restartCommand == "podman restart nd")
        #expect(container.stockLabel("stream.conf") == "nd:/usr/lib/netdata/conf.d/stream.conf")
    }

    /// A runtime that is a script: what `inspect` makes of its answers.
    @Test func testInspectReadsTheRuntimesAnswer() throws {
        let dir = try Scratch()
        let found = try dir.file("found", "#!/bin/sh\nexit 0\n", mode: 0o755)
        let missing = try dir.file("missing", "#!/bin/sh\necho 'Error: No such object: nd' >&2\nexit 1\n", mode: 0o755)
        let down = try dir.file("down", "#!/bin/sh\necho 'Error: cannot connect' >&2\nexit 1\n", mode: 0o755)
        #expect(NetdataContainer(runtime: found, name: "nd").inspect(seconds: 30) == .found)
        #expect(NetdataContainer(runtime: missing, name: "nd").inspect(seconds: 30) == .missing("Error: No such object: nd"))
        #expect(NetdataContainer(runtime: down, name: "nd").inspect(seconds: 30) == .unreachable("Error: cannot connect"))
    }

    @Test func testKeysFromAFileAndTheirRefusals() throws {
        let dir = try Scratch()
        let file = try dir.file("key", "  0b5f1c7e-1234-4cde-8f00-aabbccddeeff\r\nsecond line\n")
        #expect(try KeyInput.read("@\(file)", what: "--api-key") == "0b5f1c7e-1234-4cde-8f00-aabbccddeeff")
        #expect(try KeyInput.read("plain", what: "--api-key") == "plain")
        let empty = try dir.file("empty", "\nkey on line 2\n")
        #expect(throws: StreamConfigError.usage("")) { _ = try KeyInput.read("@\(empty)", what: "--api-key") }
        #expect(throws: StreamConfigError.noInput("")) { _ = try KeyInput.read("@\(dir.path("none"))", what: "--api-key") }
        #expect(try KeyInput.section("stream") == "stream")
        #expect(throws: StreamConfigError.usage("")) { _ = try KeyInput.section("  ") }
    }
}

@Suite struct DescriptorLimitTests {
    @Test func testChildrenFitTwoDescriptorsEachBesideAReserve() {
        #expect(DescriptorLimit.children(fitting: 1024) == 480)
        #expect(DescriptorLimit.children(fitting: 10) == 0)
        #expect(DescriptorLimit.raiseToHardLimit() >= 64)
    }
}
