import CLZ4
import NIOCore

/// Compresses a filtered child's stream toward its parent as a Netdata child would (protocol.md
/// 3.2, 3.3): one LZ4 block stream per connection, each block referring back to up to 64 KiB of
/// what came before, each framed by the 4-byte signature header `FA 80|L0 80|L1 0A`.
///
/// Hand-written over liblz4 (Debian's, through the `CLZ4` system library): no well-kept Swift
/// package offers LZ4's streaming block API, and the framing is Netdata's own.
///
/// Input is copied into a ring of 64 KiB + one block, and each block is compressed where it
/// lies there, so the history LZ4 refers to stays in place (liblz4 trims its dictionary where
/// a wrapped block overwrites it). Any decoder that keeps 64 KiB of its output, as both Netdata
/// lines do, reads the result.
final class LZ4StreamEncoder {
    /// Input per block. Its worst-case compressed size (`LZ4_compressBound`, 16,078) stays
    /// within the 16,255 bytes a 2.11 parent accepts per block (and within the header's 14 bits).
    static let maxBlockInput = 16_000
    static let ringBytes = 65_536 + maxBlockInput
    static let headerBytes = 4

    private let stream: UnsafeMutablePointer<LZ4_stream_t>
    private let ring: UnsafeMutableRawBufferPointer
    private var position = 0
    /// Bytes given, and bytes written (headers included).
    private(set) var bytesIn = 0
    private(set) var bytesOut = 0

    init() {
        // LZ4_createStream only fails when malloc does.
        guard let stream = LZ4_createStream() else { fatalError("LZ4_createStream: out of memory") }
        self.stream = stream
        ring = .allocate(byteCount: Self.ringBytes, alignment: 16)
    }

    deinit {
        LZ4_freeStream(stream)
        ring.deallocate()
    }

    /// Appends `input`, compressed, to `output`: as many framed blocks as it takes (none for no input).
    func compress(_ input: ByteBuffer, into output: inout ByteBuffer) {
        input.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count {
                let count = min(Self.maxBlockInput, bytes.count - start)
                compressBlock(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)]), into: &output)
                start += count
            }
        }
    }

    private func compressBlock(_ block: UnsafeRawBufferPointer, into output: inout ByteBuffer) {
        if position + block.count > Self.ringBytes { position = 0 }
        let source = ring.baseAddress! + position
        source.copyMemory(from: block.baseAddress!, byteCount: block.count)
        let bound = Int(LZ4_compressBound(Int32(block.count)))
        let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.headerBytes + bound) { target in
            let size = Int(LZ4_compress_fast_continue(stream, source.assumingMemoryBound(to: CChar.self),
                                                      (target.baseAddress! + Self.headerBytes).assumingMemoryBound(to: CChar.self),
                                                      Int32(block.count), Int32(bound), 1))
            // With room for the bound, LZ4 cannot fail; the bound fits the header's 14 bits.
            precondition(size > 0 && size < 1 << 14, "LZ4_compress_fast_continue returned \(size)")
            target[0] = 0xFA
            target[1] = 0x80 | UInt8(size & 0x7F)
            target[2] = 0x80 | UInt8((size >> 7) & 0x7F)
            target[3] = 0x0A
            return Self.headerBytes + size
        }
        position += block.count
        bytesIn += block.count
        bytesOut += written
    }
}
