#if canImport(Glibc)
import Glibc
#endif

/// The process environment, read in one place (the core never reads it).
public enum Environment {
    /// The variable's value, or nil when it is not set.
    public static func value(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}
