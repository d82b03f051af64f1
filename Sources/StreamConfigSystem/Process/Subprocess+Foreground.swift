#if canImport(Glibc)
import Glibc
#endif

extension Subprocess {
    /// Runs `arguments[0]` (a path) on our terminal and waits for it to end; returns its raw
    /// wait status. The program gets `defaultSignals` back at default handling (we may ignore
    /// them meanwhile) and a process group of its own (`started` is given its pid, which is the
    /// group's id, so SIGTERM to us can end everything it started); on a terminal that group is
    /// made the foreground one while it runs. A stop (Ctrl-Z) stops us too, so the shell sees
    /// the job stop, and both continue together. Throws `StreamConfigError` (refused) when it
    /// cannot be started or is lost.
    public static func runInForeground(_ arguments: [String], defaultSignals: [Int32],
                                       started: (pid_t) -> Void = { _ in }, ended: () -> Void = {}) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, arguments[0], nil, &attributes, argv, environ)
        guard result == 0 else { throw StreamConfigError.refused("cannot run \(arguments[0]): \(FileAccess.describe(errno: result))") }
        started(pid)
        defer { ended() }
        let terminal = ForegroundTerminal()
        terminal?.give(to: pid)
        defer { terminal?.takeBack() }
        var status: Int32 = 0
        while true {
            while waitpid(pid, &status, WUNTRACED) < 0 {
                guard errno == EINTR else { throw StreamConfigError.refused("lost the process \(arguments[0]): \(FileAccess.describe(errno: errno))") }
            }
            guard status & 0x7f == 0x7f else { break }  // stopped, not ended
            let signal = (status >> 8) & 0xff
            if let terminal, signal != SIGTTIN, signal != SIGTTOU {
                terminal.takeBack()
                kill(getpid(), SIGSTOP)
            }
            terminal?.give(to: pid)
            kill(-pid, SIGCONT)
        }
        return status
    }
}

/// The controlling terminal, when we are its foreground process group: a child's group is
/// given the foreground while it runs (it reads the keyboard and gets Ctrl-C), then taken back.
struct ForegroundTerminal {
    let ours: pid_t

    init?() {
        guard isatty(0) == 1, tcgetpgrp(0) == getpgrp() else { return nil }
        ours = getpgrp()
    }

    func give(to group: pid_t) { Self.setForeground(group) }
    func takeBack() { Self.setForeground(ours) }

    /// tcsetpgrp from a background group raises SIGTTOU: ignored for the call.
    private static func setForeground(_ group: pid_t) {
        let previous = signal(SIGTTOU, SIG_IGN)
        tcsetpgrp(0, group)
        signal(SIGTTOU, previous)
    }
}
