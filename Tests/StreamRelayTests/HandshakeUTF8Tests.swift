import Testing
@testable import StreamRelay

/// `URLDecoding.isValidUTF8` accepts exactly the bytes `String(decoding:as:)` keeps unchanged
/// (the check it replaced on the handshake path).
@Suite struct HandshakeUTF8Tests {
    static func roundTrips(_ bytes: [UInt8]) -> Bool { Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes }

    @Test func edgeCasesAgreeWithTheStandardLibrary() {
        let cases: [[UInt8]] = [
            [], Array("plain ascii".utf8), Array("Grüße, 東京, 🙂".utf8),
            [0xC2, 0x80], [0xDF, 0xBF], [0xC0, 0x80], [0xC1, 0xBF],          // overlong 2-byte leads
            [0xE0, 0xA0, 0x80], [0xE0, 0x9F, 0xBF],                           // overlong 3-byte
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80],                           // surrogates
            [0xEF, 0xBF, 0xBD], [0xEF, 0xBF],                                 // U+FFFD, truncated
            [0xF0, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],               // overlong 4-byte
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0x80], [0xBF], [0xFE], [0xFF], [0x41, 0xE2, 0x82], [0xE2, 0x28, 0xA1], [0xF0, 0x9F, 0x99, 0x41],
        ]
        for bytes in cases {
            #expect(URLDecoding.isValidUTF8(bytes) == Self.roundTrips(bytes), "\(bytes)")
        }
        #expect(URLDecoding.isValidUTF8(Array("Grüße".utf8)))
        #expect(!URLDecoding.isValidUTF8([0xED, 0xA0, 0x80]))
    }

    @Test func randomBytesAgreeWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        // Bytes biased to UTF-8's interesting values, so multi-byte sequences are common.
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED,
                                 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        var valid = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...6, using: &generator)
            let bytes = (0..<length).map { _ in Bool.random(using: &generator) ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator) }
            let expected = Self.roundTrips(bytes)
            if expected { valid += 1 }
            #expect(URLDecoding.isValidUTF8(bytes) == expected, "\(bytes)")
        }
        #expect(valid > 1000, "the sample has valid sequences too (\(valid))")
    }
}
