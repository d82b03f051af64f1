/// What docker and podman say on stderr, read as a whole: banners ("Emulate Docker CLI using
/// podman") and `WARN[…]` lines come before the error.
public enum RuntimeMessage {
    /// The line that explains the failure: the last `Error…` line, else the last other line.
    public static func reason(_ result: Subprocess.Result) -> String {
        let lines = result.stderrText.split(separator: "\n").map { $0.trimmingSpaces() }.filter {
            !$0.isEmpty && !$0.hasPrefix("WARN[") && !$0.hasPrefix("Emulate Docker CLI")
        }
        let line = lines.last { $0.lowercased().hasPrefix("error") } ?? lines.last
        return line.map(String.init) ?? "exit status \(result.status)"
    }

    /// docker: "No such container: X" / "No such object: X"; podman: "no container with name or
    /// ID "X" found: no such container". Not docker cp's "No such container:path".
    public static func saysNoSuchContainer(_ result: Subprocess.Result) -> Bool {
        let text = result.stderrText.lowercased()
        return (text.contains("no such container") && !text.contains("no such container:path")) || text.contains("no such object")
    }

    /// docker cp: "No such container:path: X:/…" (older: "Could not find the file … in container");
    /// podman cp: ""/…" could not be found on container X: no such file or directory".
    public static func saysNoSuchPath(_ result: Subprocess.Result) -> Bool {
        let text = result.stderrText.lowercased()
        return text.contains("no such container:path") || text.contains("could not find the file")
            || text.contains("could not be found on container")
    }
}

private extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }
}
