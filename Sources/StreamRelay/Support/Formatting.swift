import NIOCore

/// `30s`, `0.5s`: a duration in the relay's messages (milliseconds are the finest unit shown).
public func formatSeconds(_ amount: TimeAmount) -> String {
    let ms = amount.nanoseconds / 1_000_000
    return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(Double(ms) / 1000)s"
}

/// Three decimals, without Foundation.
func format3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}
