import CLZ4
import NIOCore
import NIOEmbedded
import StreamConfig
import Testing
import TestSupport
@testable import StreamRelay

/// A parent's side of an LZ4 stream (protocol.md 3.2, 3.3): the framing checked as a 2.11 parent
/// checks it, and every block decoded in order into a ring buffer of the size a Netdata parent
/// keeps (1.37: 64 KiB + 14 + 32 KiB; 2.11: 64 KiB + 2 × 16 KiB), wrapping as it does.
struct ParentLZ4Decoder {
    let ringBytes: Int
    private var ring: [UInt8]
    private var position = 0
    private let stream = LZ4_createStreamDecode()!
    /// What the stream decoded to, and the blocks seen.
    private(set) var text: [UInt8] = []
    private(set) var blocks = 0
    private var pending: [UInt8] = []

    init(ringBytes: Int) {
        self.ringBytes = ringBytes
        ring = [UInt8](repeating: 0, count: ringBytes)
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    mutating func feed(_ bytes: [UInt8]) throws {
        pending += bytes
        while pending.count >= 4 {
            guard pending[0] == 0xFA, pending[1] & 0x80 != 0, pending[2] & 0x80 != 0, pending[3] == 0x0A else {
                throw Failure(description: "no signature at a block start: \(pending.prefix(4))")
            }
            let size = Int(pending[1] & 0x7F) | Int(pending[2] & 0x7F) << 7
            // A 2.11 parent refuses larger blocks.
            guard size <= 16_255 else { throw Failure(description: "a block of \(size) bytes") }
            guard pending.count >= 4 + size else { return }
            if position + 16_384 > ringBytes { position = 0 }
            let capacity = ringBytes - position
            let decoded = pending[4..<(4 + size)].withUnsafeBytes { source in
                ring.withUnsafeMutableBytes { target in
                    LZ4_decompress_safe_continue(stream, source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                                 (target.baseAddress! + position).assumingMemoryBound(to: CChar.self), Int32(size), Int32(capacity))
                }
            }
            guard decoded >= 0 else { throw Failure(description: "LZ4 refused block \(blocks) (\(decoded))") }
            text += ring[position..<(position + Int(decoded))]
            position += Int(decoded)
            pending.removeFirst(4 + size)
            blocks += 1
        }
    }

    static let netdata137 = 65_536 + 14 + 32_768
    static let netdata211 = 65_536 + 2 * 16_384
}

@Suite struct LZ4StreamEncoderTests {
    /// Chart updates as a busy child sends them: repetitive, with changing numbers.
    static func updates(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var text = ""
        for index in 0..<count {
            text += "BEGIN \"app.chart_\(index % 300)\" 1000000\n"
            for dimension in 0..<5 { text += "SET \"dim\(dimension)\" = \(generator.next() % 100_000)\n" }
            text += "END\n"
        }
        return Array(text.utf8)
    }

    /// Feeds `input` in pieces of the given sizes (cycled) and decodes the result.
    func roundTrip(_ input: [UInt8], pieces: [Int], ringBytes: Int) throws -> ParentLZ4Decoder {
        let encoder = LZ4StreamEncoder()
        var decoder = ParentLZ4Decoder(ringBytes: ringBytes)
        var start = 0, turn = 0
        while start < input.count {
            let count = min(pieces[turn % pieces.count], input.count - start)
            var output = ByteBuffer()
            encoder.compress(ByteBuffer(bytes: input[start..<(start + count)]), into: &output)
            try decoder.feed(Array(buffer: output))
            start += count
            turn += 1
        }
        #expect(encoder.bytesIn == input.count)
        return decoder
    }

    @Test(arguments: [ParentLZ4Decoder.netdata137, ParentLZ4Decoder.netdata211])
    func testAStreamOfUpdatesDecodesAsANetdataParentDecodesIt(ringBytes: Int) throws {
        let input = Self.updates(20_000)  // about 1.2 MB: the ring wraps many times
        // Reads as they come: small ones, a full block, more than a block, odd sizes.
        let decoder = try roundTrip(input, pieces: [61, 4096, 16_000, 40_000, 1, 7_777], ringBytes: ringBytes)
        #expect(decoder.text == input)
    }

    @Test func testIncompressibleBytesStayWithinTheBlockLimit() throws {
        var generator = SplitMix64(seed: 7)
        let input = (0..<300_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let decoder = try roundTrip(input, pieces: [65_536, 3], ringBytes: ParentLZ4Decoder.netdata211)
        #expect(decoder.text == input)
        #expect(decoder.blocks >= input.count / LZ4StreamEncoder.maxBlockInput)
    }

    @Test func testUpdatesCompressAndNothingInGivesNothingOut() {
        let encoder = LZ4StreamEncoder()
        var output = ByteBuffer()
        encoder.compress(ByteBuffer(), into: &output)
        #expect(output.readableBytes == 0)
        let input = Self.updates(2_000)
        encoder.compress(ByteBuffer(bytes: input), into: &output)
        #expect(output.readableBytes * 3 < input.count, "\(output.readableBytes) of \(input.count) bytes")
        #expect(encoder.bytesOut == output.readableBytes)
    }

    /// The handler of a filtered child whose parent chose LZ4: what reaches the parent decodes to
    /// exactly what the filter passes uncompressed.
    @Test func testAFilteredLegCompressedDecodesToTheFilteredText() throws {
        let input = ChartFilterStreamTests.stream137 + String(decoding: Self.updates(3_000), as: UTF8.self)
        func forwarded(compress: Bool) throws -> [UInt8] {
            let channel = EmbeddedChannel(handler: ChartFilterHandler(filter: ChartFilter(pattern: "system.* app.chart_1*", target: .v1_37),
                                                                        compressUpstream: compress))
            defer { _ = try? channel.finish() }
            var bytes: [UInt8] = []
            let utf8 = Array(input.utf8)
            var start = 0
            while start < utf8.count {
                let end = min(start + 1_500, utf8.count)
                try channel.writeInbound(ByteBuffer(bytes: utf8[start..<end]))
                while let out = try channel.readInbound(as: ByteBuffer.self) { bytes += Array(buffer: out) }
                start = end
            }
            return bytes
        }
        let plain = try forwarded(compress: false)
        let compressed = try forwarded(compress: true)
        var decoder = ParentLZ4Decoder(ringBytes: ParentLZ4Decoder.netdata137)
        try decoder.feed(compressed)
        #expect(!plain.isEmpty && decoder.text == plain)
        #expect(compressed.count * 2 < plain.count, "\(compressed.count) compressed of \(plain.count)")
    }
}
