import StreamConfig

/// The parent's answer to a `STREAM` request (protocol.md 1.5, 1.6): bare bytes with no
/// terminator. The relay collects exactly the answer, no more, so it can hand it to the child
/// in one write and keep whatever follows for later.
public struct ParentAnswer: Sendable, Equatable {
    public let bytes: [UInt8]
    public let kind: Kind

    public enum Kind: Sendable, Equatable {
        /// `Hit me baby, ...`: the session starts.
        case prompt
        /// One of Netdata's fixed refusal sentences.
        case refusal
        /// Anything else (e.g. an HTTP 400); passed through verbatim, then both sides close.
        case unknown
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var isPrompt: Bool { kind == .prompt }

    /// The number of a prompt with a version (`...version=N`): a legacy version or a
    /// capabilities bitmap (protocol.md 1.4, 1.5); nil for the fixed V1/V2 prompts and the rest.
    public var version: UInt64? {
        let prefix = ParentAnswerScanner.promptPrefix
        guard kind == .prompt, bytes.count > prefix.count, bytes.starts(with: prefix) else { return nil }
        return UInt64(String(decoding: bytes[prefix.count...], as: UTF8.self))
    }

    /// The parent chose LZ4: legacy version 5, or bit 10 of a bitmap.
    public var choseLZ4: Bool {
        guard let version else { return false }
        return version < 8 ? version == 5 : version & StreamRequest.lz4Bit != 0
    }

    /// The same prompt offering no compression, for a child whose stream the relay compresses
    /// itself: the child intersects the answer with its own offer and sends plain text.
    public func withoutCompression() -> ParentAnswer {
        guard let version else { return self }
        return ParentAnswer(bytes: ParentAnswerScanner.promptPrefix + Array("\(StreamRequest.withoutCompression(version))".utf8), kind: .prompt)
    }

    /// The code Netdata logs for this answer (spec 1.6 and 6.4); 400 = not understood.
    public var responseCode: Int {
        if kind == .prompt { return 200 }
        return StreamAnswer.fixedSentences.first { Array($0.text.utf8) == bytes }?.code ?? 400
    }

    /// What a 1.37 child logs for this answer (spec 1.6), for the relay's own log.
    public var childReaction: String {
        switch text {
        case _ where kind == .prompt: return "established link"
        case StreamAnswer.notPermitted: return "remote server denied access, probably we don't have the right API key?"
        case StreamAnswer.alreadyStreaming: return "remote server rejected this stream, the host we are trying to stream is already streamed to it"
        case StreamAnswer.sameLocalhost: return "remote server rejected this stream, the host we are trying to stream is its localhost"
        case StreamAnswer.sameVnode: return "remote server rejected this stream, the vnode is collected locally on that server"
        case StreamAnswer.tooBusy: return "remote server is currently busy, we should try later"
        case StreamAnswer.internalError: return "remote server is encountered an internal error, we should try later"
        case StreamAnswer.initializing: return "remote server is initializing, we should try later"
        default: return "remote node response is not understood, is it Netdata?"
        }
    }
}

/// Decides when the bytes received from the parent form a complete answer.
public enum ParentAnswerScanner {
    /// A child reads at most this much (1.37: one `recv` of 8192 bytes).
    public static let maxAnswerBytes = 8192
    /// u32 in decimal.
    static let maxVersionDigits = 10

    static let promptPrefix = Array(StreamAnswer.promptPrefix.utf8)
    static let sentences: [(bytes: [UInt8], kind: ParentAnswer.Kind)] =
        StreamAnswer.fixedSentences.map { (Array($0.text.utf8), $0.code == 200 ? ParentAnswer.Kind.prompt : .refusal) }

    public enum Result: Sendable, Equatable {
        /// Wait for more bytes (or for `final`).
        case needMore
        /// The first `length` bytes are the answer; the rest came after it.
        case complete(ParentAnswer)
    }

    /// The prompt and at least one version digit, with nothing after the digits: complete if no
    /// more bytes are on the way (the end of a read cycle), since the digits have no terminator.
    public static func isPromptWithVersion(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > promptPrefix.count, bytes.starts(with: promptPrefix) else { return false }
        return bytes[promptPrefix.count...].allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// `final`: no more bytes will be waited for (EOF, a quiet period passed, or the cap).
    public static func scan(_ bytes: [UInt8], final: Bool) -> Result {
        if bytes.isEmpty { return .needMore }
        if bytes.starts(with: promptPrefix) {
            let digits = bytes[promptPrefix.count...].prefix { $0 >= 48 && $0 <= 57 }.count
            let end = promptPrefix.count + digits
            if digits > 0, end < bytes.count || digits == maxVersionDigits || final {
                return .complete(ParentAnswer(bytes: Array(bytes[..<end]), kind: .prompt))
            }
            return final ? .complete(ParentAnswer(bytes: bytes, kind: .unknown)) : .needMore
        }
        for sentence in sentences where bytes.starts(with: sentence.bytes) {
            return .complete(ParentAnswer(bytes: sentence.bytes, kind: sentence.kind))
        }
        if final || bytes.count >= maxAnswerBytes {
            return .complete(ParentAnswer(bytes: Array(bytes.prefix(maxAnswerBytes)), kind: .unknown))
        }
        return .needMore
    }
}
