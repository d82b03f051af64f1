/// C `strtoll(value, NULL, 0)` as Netdata uses it for integer options: base detection
/// (`0x` hex, a leading `0` octal), trailing text ignored, no digits gives 0, overflow clamps.
public struct StrToLL: Sendable, Equatable {
    public var value: Int64
    /// Bytes consumed (0 when no digits were found).
    public var consumed: Int
    public var base: Int

    public var hasDigits: Bool { consumed > 0 }

    public init(_ text: String) {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count, Bytes.isSpace(bytes[index]) { index += 1 }
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var base = 10
        if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
            if index + 2 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "x"),
               StrToLL.digit(bytes[index + 2], base: 16) != nil {
                base = 16
                index += 2
            } else {
                base = 8
            }
        }
        var magnitude: UInt64 = 0
        var overflow = false
        var sawDigit = false
        while index < bytes.count, let d = StrToLL.digit(bytes[index], base: base) {
            sawDigit = true
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: UInt64(base))
            let (m2, o2) = m1.addingReportingOverflow(UInt64(d))
            if o1 || o2 { overflow = true }
            magnitude = m2
            index += 1
        }
        self.base = base
        guard sawDigit else {
            self.value = 0
            self.consumed = 0
            return
        }
        self.consumed = index
        if overflow || magnitude > UInt64(Int64.max) + (negative ? 1 : 0) {
            self.value = negative ? Int64.min : Int64.max
        } else if negative {
            self.value = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        } else {
            self.value = Int64(magnitude)
        }
    }

    static func digit(_ byte: UInt8, base: Int) -> Int? {
        let d: Int
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): d = Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): d = Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return d < base ? d : nil
    }
}
