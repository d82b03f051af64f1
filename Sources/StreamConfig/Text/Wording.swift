/// The small text helpers every printer shares.
public enum Wording {
    /// `1 error`, `2 errors`.
    public static func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
}

extension String {
    /// Padded with spaces on the right to `width` characters (never cut).
    public func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
