#if canImport(Glibc)
import Glibc
#endif
import CLZ4
import NIOCore
import NIOEmbedded
import StreamConfig
import StreamConfigSystem
@testable import StreamRelay

/// The readers of untrusted bytes, each with the property it must keep for any input.
///
/// One binary holds every target (`FUZZ_TARGET` picks one): built with libFuzzer
/// (`scripts/fuzz.sh`: `-sanitize=fuzzer,address -DFUZZING`) it is a fuzzer; built plainly (as
/// every `swift build` does) it replays files given on the command line, so a crash kept in
/// fuzz/regressions stays a test.
enum FuzzTarget: String, CaseIterable {
    /// `Document`: rendering what was parsed gives back the same bytes.
    case document
    /// `Ini` and the linter: no crash, every finding inside the file.
    case lint
    /// The relay's first-request decoder and STREAM request parser, fed in arbitrary chunks.
    case handshake
    /// Doctor's reading of answers to STREAM and `stream_info`, and the relay's answer scan.
    case answers
    /// Destination lists (both Netdata lines) and simple patterns.
    case values
    /// The tar stream `docker cp` writes (`edit --container`): a `Problem` or an entry whose data
    /// lies within the input, never a crash.
    case tar
    /// The fleet file (our own YAML subset reader, `fleet check`): findings or hosts, never a
    /// crash, every finding inside the file.
    case fleet
    /// The relay's chart filter (`ChartStreamFilter`, and `ChartFilterHandler` in a pipeline) on
    /// a child's stream: no crash, never more out than in, and the same output whatever the reads;
    /// compressed toward the parent (`LZ4StreamEncoder`), framed blocks that decode to that output.
    case filter

    func run(_ bytes: [UInt8]) {
        switch self {
        case .document: Self.document(bytes)
        case .lint: Self.lint(bytes)
        case .handshake: Self.handshake(bytes)
        case .answers: Self.answers(bytes)
        case .values: Self.values(bytes)
        case .tar: Self.tar(bytes)
        case .fleet: Self.fleet(bytes)
        case .filter: Self.filter(bytes)
        }
    }

    /// The first byte picks the read size (1 to 32 bytes), the Netdata line and the pattern; the
    /// rest is the child's stream, filtered once whole and once in reads of that size.
    /// (scripts/fuzz.sh caps inputs at 4 KiB: a stream of 1-byte reads through a pipeline is slow
    /// to run, and the filter's bounds are set at 512 bytes here.)
    static func filter(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunk = Int(first % 32) + 1
        let target: NetdataTarget = first & 0x20 == 0 ? .v1_37 : .v2
        let patterns = ["!system.cpu system.* *.load", "a* !b*", "", "*.x\\ y !*"]
        let filter = ChartFilter(pattern: patterns[Int(first >> 6)], target: target)
        let body = Array(bytes.dropFirst())
        let cap = 512

        var whole = ChartStreamFilter(filter: filter, maxLineBytes: cap, maxCharts: 64)
        var wholeOutput = ByteBuffer()
        let wholeFailed = (try? whole.feed(ByteBuffer(bytes: body), into: &wholeOutput)) == nil
        precondition(wholeOutput.readableBytes <= body.count, "the filter made bytes up")

        var pieces = ChartStreamFilter(filter: filter, maxLineBytes: cap, maxCharts: 64)
        var piecesOutput = ByteBuffer()
        var piecesFailed = false
        var offset = 0
        while offset < body.count, !piecesFailed {
            let end = min(offset + chunk, body.count)
            piecesFailed = (try? pieces.feed(ByteBuffer(bytes: body[offset..<end]), into: &piecesOutput)) == nil
            offset = end
        }
        if !wholeFailed && !piecesFailed {
            precondition(wholeOutput == piecesOutput, "the output depends on how the stream was read")
            precondition(whole.replayRequests == pieces.replayRequests, "the replication answers depend on the reads")
        }

        // The same stream through the handler, the parent writing its half of the lines.
        let channel = EmbeddedChannel(handler: ChartFilterHandler(filter: filter, maxLineBytes: cap))
        offset = 0
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            if (try? channel.writeInbound(ByteBuffer(bytes: body[offset..<end]))) == nil { break }
            _ = try? channel.writeOutbound(ByteBuffer(bytes: body[offset..<end]))
            offset = end
        }
        _ = try? channel.finish()

        // With LZ4 toward the parent: the blocks decode to exactly what the filter passed.
        let compressing = EmbeddedChannel(handler: ChartFilterHandler(filter: filter, compressUpstream: true, maxLineBytes: cap))
        var framed: [UInt8] = []
        var compressingFailed = false
        offset = 0
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            if (try? compressing.writeInbound(ByteBuffer(bytes: body[offset..<end]))) == nil { compressingFailed = true; break }
            while let out = try? compressing.readInbound(as: ByteBuffer.self) { framed += Array(buffer: out) }
            offset = end
        }
        _ = try? compressing.finish()
        if !compressingFailed && !piecesFailed {
            precondition(decodeLZ4Blocks(framed, capacity: body.count + 64) == Array(buffer: piecesOutput), "the LZ4 blocks decode to other bytes")
        }
    }

    /// Netdata's block framing (protocol.md 3.2) checked as a 2.11 parent checks it, each block
    /// decoded in order into one buffer (the history stays in place).
    static func decodeLZ4Blocks(_ framed: [UInt8], capacity: Int) -> [UInt8] {
        let decoder = LZ4_createStreamDecode()!
        defer { LZ4_freeStreamDecode(decoder) }
        var output = [UInt8](repeating: 0, count: capacity)
        var written = 0
        var index = 0
        while index < framed.count {
            precondition(framed.count - index >= 4 && framed[index] == 0xFA && framed[index + 1] & 0x80 != 0
                         && framed[index + 2] & 0x80 != 0 && framed[index + 3] == 0x0A, "no block header at \(index)")
            let size = Int(framed[index + 1] & 0x7F) | Int(framed[index + 2] & 0x7F) << 7
            precondition(size <= 16_255 && index + 4 + size <= framed.count, "a block of \(size) bytes at \(index)")
            let decoded = framed[(index + 4)..<(index + 4 + size)].withUnsafeBytes { source in
                output.withUnsafeMutableBytes { target in
                    LZ4_decompress_safe_continue(decoder, source.baseAddress!.assumingMemoryBound(to: CChar.self),
                                                 (target.baseAddress! + written).assumingMemoryBound(to: CChar.self), Int32(size), Int32(capacity - written))
                }
            }
            precondition(decoded >= 0, "LZ4 refused the block at \(index)")
            written += Int(decoded)
            index += 4 + size
        }
        return Array(output[..<written])
    }

    static func document(_ bytes: [UInt8]) {
        let rendered = Document(bytes: bytes).render()
        precondition(rendered == bytes, "Document round trip changed \(bytes.count) bytes")
    }

    static func lint(_ bytes: [UInt8]) {
        let document = Document(bytes: bytes)
        let lines = document.lines.count
        for target in [NetdataTarget.v1_37, .v2] {
            let report = Linter.lint(document: document, file: "fuzz.conf", options: LintOptions(target: target))
            for finding in report.diagnostics {
                precondition(finding.line >= 0 && finding.line <= lines + 1, "finding at line \(finding.line) of \(lines)")
                precondition(finding.column >= 0, "finding at column \(finding.column)")
            }
        }
    }

    /// The first byte picks the chunk size; the decoder must never hold more than its cap and
    /// never emit a message after rejecting.
    static func handshake(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunk = Int(first % 64) + 1
        let body = Array(bytes.dropFirst())
        let channel = EmbeddedChannel()
        let maxBytes = 512
        try! channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HandshakeDecoder(maxRequestBytes: maxBytes)))
        var offset = 0
        var rejected = false
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            _ = try? channel.writeInbound(ByteBuffer(bytes: body[offset..<end]))
            offset = end
            while let message = try? channel.readInbound(as: HandshakeMessage.self) {
                if case .rejected = message { rejected = true } else if case .bytes = message {} else {
                    precondition(!rejected, "a message after a rejection")
                }
            }
        }
        _ = try? channel.finish()
        if body.starts(with: Array("STREAM ".utf8)) { _ = try? StreamRequest(bytes: body) }
        _ = HTTPRequestHead(bytes: body)
    }

    static func answers(_ bytes: [UInt8]) {
        _ = AnswerDiagnosis.diagnose(.answered(bytes), destination: "fuzz:19999", usedTLS: false, peerAddress: "10.0.0.1")
        _ = StreamInfoDiagnosis.diagnose(.answered(bytes), destination: "fuzz:19999", childIsV2: true)
        _ = HTTPResponseScan.isComplete(bytes)
        _ = HTTPResponseScan.isUsableStreamInfo(bytes)
        _ = ParentAnswerScanner.scan(bytes, final: true)
        _ = ParentAnswerScanner.scan(bytes, final: false)
    }

    static func tar(_ bytes: [UInt8]) {
        guard let entry = try? TarReader.single(bytes) else { return }
        precondition(entry.data.count <= bytes.count, "an entry larger than its archive")
    }

    static func fleet(_ bytes: [UInt8]) {
        let fleet = FleetLoader.load(fleetPath: "fuzz/fleet.yaml", bytes: bytes) { _ in Array("[stream]\n    enabled = no\n".utf8) }
        let lines = Document(bytes: bytes).lines.count
        for finding in fleet.loadFindings where finding.file == "fuzz/fleet.yaml" {
            precondition(finding.line >= 0 && finding.line <= lines + 1, "fleet finding at line \(finding.line) of \(lines)")
        }
        _ = FleetChecker.check(fleet)
    }

    static func values(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for target in [NetdataTarget.v1_37, .v2] {
            for destination in DestinationList.parse(text, target: target) {
                precondition(destination.offset >= 0 && destination.offset <= text.utf8.count, "destination offset out of range")
            }
        }
        let pattern = SimplePattern(text)
        _ = pattern.matches(text)
        _ = pattern.matches("localhost")
        _ = DestinationList.v1GlobalTLS(text)
    }
}

#if FUZZING
/// SwiftPM links an executable target's entry point under the name `<module>_main` (and points
/// `main` at it), so libFuzzer's own `main` is not used: this one hands over to libFuzzer's
/// driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("stream_config_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
}

/// The target, read once from `FUZZ_TARGET`.
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if selected == nil {
        let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
        }
        selected = target
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected!.run(bytes)
    return 0
}
#else
/// Replays inputs: `stream-config-fuzz TARGET FILE...` (a directory replays every file in it).
@main
struct FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: stream-config-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE|DIR...")
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let bytes = read(file) else {
                    print("cannot read \(file)")
                    exit(66)
                }
                target.run(bytes)
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs replayed, no failure")
    }

    static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }
}
#endif
