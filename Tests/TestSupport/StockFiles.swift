import Foundation

/// Netdata's stock stream.conf files, found without depending on `../shared`:
/// - 1.37.1: `STREAM_CONFIG_STOCK_V1`, else the one netdata-core installs (every test machine
///   has it: `scripts/test.sh` installs the package), else `../shared/netdata-stock`;
/// - 2.11.0: `STREAM_CONFIG_STOCK_V2`, else `../shared/netdata-stock` (no Debian package has it).
/// Suites that need the 2.11.0 file are enabled by `hasV2`: skipped with the reason otherwise,
/// so the suite passes from a clone of the project alone (CI included: it is not a Netdata a
/// test could start, so `STREAM_CONFIG_REQUIRE_INTEROP` does not require it).
/// `STREAM_CONFIG_REQUIRE_STOCK_V2=1` runs them anyway, so that a missing file fails.
public enum StockFiles {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/netdata-stock")

    public static let v1: URL = first([env("STREAM_CONFIG_STOCK_V1"), "/usr/lib/netdata/conf.d/stream.conf",
                                       shared.appendingPathComponent("stream.conf.v1.37.1").path])
    public static let v2: URL = first([env("STREAM_CONFIG_STOCK_V2"), shared.appendingPathComponent("stream.conf.v2.11.0").path])

    /// The 2.11.0 file is here, or its absence must fail (`STREAM_CONFIG_REQUIRE_STOCK_V2=1`).
    public static var hasV2: Bool {
        FileManager.default.fileExists(atPath: v2.path) || env("STREAM_CONFIG_REQUIRE_STOCK_V2") == "1"
    }

    public static let v2Missing = "needs Netdata 2.11.0's stock stream.conf: set STREAM_CONFIG_STOCK_V2, or keep shared/ beside the clone"

    /// The stock files' versions a parametrized test runs on: 1.37.1 always (Debian's package),
    /// 2.11.0 when its file is here, so a clone alone still runs every case it can.
    public static var versions: [String] { hasV2 ? ["1.37.1", "2.11.0"] : ["1.37.1"] }

    /// The newest stock file here: 2.11.0's when present, else 1.37.1's (Debian's package), for
    /// tests about any stock file (edit, rewrites) rather than 2.x text, so they run in a clone
    /// alone too.
    public static var newest: URL { FileManager.default.fileExists(atPath: v2.path) ? v2 : v1 }

    /// The stock file of a Netdata line by its version string ("1.37.1", "2.11.0").
    public static func url(version: String) -> URL { version.hasPrefix("1.") ? v1 : v2 }

    private static func env(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The first candidate that exists, else the last (reading it then fails with its path).
    private static func first(_ candidates: [String?]) -> URL {
        let paths = candidates.compactMap { $0 }
        return URL(fileURLWithPath: paths.first { FileManager.default.fileExists(atPath: $0) } ?? paths.last!)
    }
}
