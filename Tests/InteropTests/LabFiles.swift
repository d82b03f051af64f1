// Files the lab writes (close-on-exec, so no spawned process inherits them) and reads back.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` with O_CLOEXEC, so a process spawned meanwhile by another test cannot inherit the
/// fd (an inherited writable fd of system-info.sh made netdata's exec of it fail: "Text file busy").
func writeFile(_ url: URL, _ data: Data, mode: mode_t = 0o644) throws {
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw LabError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    try data.withUnsafeBytes { buf in
        var done = 0
        while done < buf.count {
            let n = write(fd, buf.baseAddress! + done, buf.count - done)
            guard n > 0 else { throw LabError("write \(url.path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }
    fchmod(fd, mode)
}

func tailOfFile(_ url: URL, lines: Int) -> String {
    guard let d = try? Data(contentsOf: url) else { return "" }
    return String(decoding: d, as: UTF8.self)
        .split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
}
