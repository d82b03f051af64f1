#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import StreamConfig
import Synchronization

/// One real STREAM handshake with a parent, as a child would do it, for `doctor`: connect
/// (with a timeout), TLS when asked, send the request, read the answer, close. Never streams.
public enum StreamProbe {
    public struct TLSSettings: Sendable {
        public var verify: Bool
        public var caFile: String?
        public var caPath: String?

        public init(verify: Bool, caFile: String?, caPath: String?) {
            self.verify = verify
            self.caFile = caFile
            self.caPath = caPath
        }
    }

    public struct Result: Sendable {
        public var outcome: ProbeOutcome
        /// The local address of the connection: what the parent sees as the child's address.
        public var localAddress: String?
        /// With TLS, the certificate the parent presented (DER), once the handshake completed.
        public var peerCertificate: [UInt8]? = nil
    }

    /// A parent that refuses closes at once; when part of the request is still unread on its side
    /// the close becomes a TCP reset, and the answer can be lost with it. So a connection closed
    /// without an answer is tried again (up to 3 times, each over in milliseconds) before it
    /// counts as "closed without an answer". A parent that stays silent costs one `timeout`.
    public static func run(destination: Destination, defaultPort: Int, request: [UInt8], tls: TLSSettings,
                           timeout: TimeAmount, group: EventLoopGroup) async -> Result {
        var result = await attempt(destination: destination, defaultPort: defaultPort, request: request, tls: tls, timeout: timeout, group: group)
        for _ in 1..<3 where result.outcome == .noAnswer {
            result = await attempt(destination: destination, defaultPort: defaultPort, request: request, tls: tls, timeout: timeout, group: group)
        }
        return result
    }

    static func attempt(destination: Destination, defaultPort: Int, request: [UInt8], tls: TLSSettings,
                        timeout: TimeAmount, group: EventLoopGroup) async -> Result {
        let context: NIOSSLContext?
        if destination.tls {
            do {
                context = try makeContext(tls)
            } catch {
                return Result(outcome: .tlsFailed("cannot use the CA settings: \(error)"), localAddress: nil)
            }
        } else {
            context = nil
        }
        // Each connection's handler, kept here rather than looked up in the pipeline afterwards: a
        // parent that fails the handshake at once closes the channel, and its handlers are gone
        // before a lookup would run. Keyed by channel (happy eyeballs may try several).
        let handlers = ProbeHandlers()
        let serverName = destination.tls && !destination.host.contains(":") && destination.host.first.map({ !$0.isNumber }) == true ? destination.host : nil
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                do {
                    let sync = channel.pipeline.syncOperations
                    var recorder: FirstBytesRecorder?
                    if let context {
                        // Below TLS: what the parent sent, for a parent that answers in plaintext.
                        let first = FirstBytesRecorder()
                        try sync.addHandler(first)
                        try sync.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                        recorder = first
                    }
                    let probe = ProbeHandler(request: request, timeout: timeout, rawBytes: recorder)
                    try sync.addHandler(probe)
                    handlers.byChannel.withLock { $0[ObjectIdentifier(channel)] = probe }
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let channel: Channel
        do {
            switch destination.transport {
            case .unix:
                channel = try await bootstrap.connect(unixDomainSocketPath: destination.host).get()
            case .tcp, .udp:
                let port = destination.numericPort ?? (destination.port == nil || destination.port == "" ? defaultPort : -1)
                guard port > 0, port < 65536 else {
                    return Result(outcome: .resolveFailed("the port `\(destination.port ?? "")` is not a number (service names are not resolved here)"), localAddress: nil)
                }
                guard !destination.host.isEmpty else { return Result(outcome: .resolveFailed("no host in the destination"), localAddress: nil) }
                channel = try await bootstrap.connect(host: destination.host, port: port).get()
            }
        } catch {
            return Result(outcome: classifyConnectError(error, timeout: timeout), localAddress: nil)
        }
        let local = channel.localAddress?.ipAddress
        do {
            guard let handler = handlers.byChannel.withLock({ $0[ObjectIdentifier(channel)] }) else {
                try? await channel.close()
                return Result(outcome: .noAnswer, localAddress: local)
            }
            let outcome = try await channel.eventLoop.flatSubmit { handler.outcome }.get()
            let certificate = try? await channel.eventLoop.submit { handler.peerCertificate }.get()
            let started = try? await channel.eventLoop.submit { handler.localAddress }.get()
            try? await channel.close()
            return Result(outcome: outcome, localAddress: local ?? started ?? nil, peerCertificate: certificate ?? nil)
        } catch {
            try? await channel.close()
            return Result(outcome: .noAnswer, localAddress: local)
        }
    }

    static func makeContext(_ settings: TLSSettings) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        // Netdata checks the chain only, not the host name.
        configuration.certificateVerification = settings.verify ? .noHostnameVerification : .none
        var extra: [NIOSSLAdditionalTrustRoots] = []
        if let file = settings.caFile, !file.isEmpty { extra.append(.file(file)) }
        if let directory = settings.caPath, !directory.isEmpty {
            extra.append(.certificates(try certificates(in: directory)))
        }
        configuration.additionalTrustRoots = extra
        return try NIOSSLContext(configuration: configuration)
    }

    static func certificates(in directory: String) throws -> [NIOSSLCertificate] {
        var result: [NIOSSLCertificate] = []
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.hasPrefix(".") else { continue }
            if let certificates = try? NIOSSLCertificate.fromPEMFile("\(directory)/\(name)") { result += certificates }
        }
        return result
    }

    static func classifyConnectError(_ error: Error, timeout: TimeAmount) -> ProbeOutcome {
        if case ChannelError.connectTimeout = error { return .connectTimedOut(seconds: Int(timeout.nanoseconds / 1_000_000_000)) }
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return .resolveFailed("\(connection.dnsAError ?? connection.dnsAAAAError!)")
            }
            if connection.connectionErrors.contains(where: { "\($0.error)".contains("refused") || "\($0.error)".contains("ECONNREFUSED") }) {
                return .connectRefused
            }
            if connection.connectionErrors.contains(where: { if case ChannelError.connectTimeout = $0.error { return true } else { return false } }) {
                return .connectTimedOut(seconds: Int(timeout.nanoseconds / 1_000_000_000))
            }
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("ECONNREFUSED") { return .connectRefused }
        if text.lowercased().contains("timed out") || text.contains("connectTimeout") { return .connectTimedOut(seconds: Int(timeout.nanoseconds / 1_000_000_000)) }
        return .resolveFailed(text)
    }
}

/// Sends the request when the channel is active (NIOSSL holds it until the handshake is done)
/// and completes with the parent's answer: bounded, with a deadline.
final class ProbeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let request: [UInt8]
    private let timeout: TimeAmount
    private var received: [UInt8] = []
    private var promise: EventLoopPromise<ProbeOutcome>?
    private var timer: Scheduled<Void>?
    private(set) var outcome: EventLoopFuture<ProbeOutcome>!
    /// Set on the event loop when the TLS handshake completes (read it there too).
    private(set) var peerCertificate: [UInt8]?
    /// This end's address, taken when the connection starts: once the parent has answered
    /// and closed, the channel no longer knows it (read it on the event loop).
    private(set) var localAddress: String?
    /// With TLS: whether the handshake completed.
    private var handshakeDone = false

    private let rawBytes: FirstBytesRecorder?

    init(request: [UInt8], timeout: TimeAmount, rawBytes: FirstBytesRecorder? = nil) {
        self.request = request
        self.timeout = timeout
        self.rawBytes = rawBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: ProbeOutcome.self)
        self.promise = promise
        outcome = promise.futureResult
        if context.channel.isActive { start(context) }
    }

    /// A connection that fails after the handler was added still completes the outcome.
    func handlerRemoved(context: ChannelHandlerContext) {
        finish(final: true)
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        localAddress = context.channel.localAddress?.ipAddress
        var buffer = context.channel.allocator.buffer(capacity: request.count)
        buffer.writeBytes(request)
        context.writeAndFlush(NIOAny(buffer), promise: nil)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.timedOut()
        }
    }

    /// The deadline passed: whatever came is the answer; nothing at all is silence (the
    /// connection is still open: not the same as a parent that closed without answering).
    private func timedOut() {
        guard promise != nil else { return }
        if received.isEmpty, plaintextAnswer() == nil {
            complete(.silent(seconds: Int(timeout.nanoseconds / 1_000_000_000), handshakeDone: rawBytes == nil || handshakeDone))
        } else {
            finish(final: true)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if received.count < ParentAnswerScanner.maxAnswerBytes, let bytes = buffer.readBytes(length: min(buffer.readableBytes, ParentAnswerScanner.maxAnswerBytes - received.count)) {
            received += bytes
        }
        finish(final: received.count >= ParentAnswerScanner.maxAnswerBytes || Self.isWholeHTTPResponse(received))
    }

    /// The end of a read cycle: a prompt with its version digits is the whole answer (a parent
    /// that accepts sends nothing more until the child streams), so the probe ends now instead
    /// of waiting for the deadline.
    func channelReadComplete(context: ChannelHandlerContext) {
        if ParentAnswerScanner.isPromptWithVersion(received) { finish(final: true) }
        context.fireChannelReadComplete()
    }

    /// An HTTP answer (the `stream_info` pre-flight, an HTTP 400) whose headers and
    /// `Content-Length` body have all arrived.
    static func isWholeHTTPResponse(_ bytes: [UInt8]) -> Bool {
        guard bytes.starts(with: Array("HTTP/".utf8)) else { return false }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }) else { return false }
        let headers = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n")
        guard let field = headers.first(where: { $0.lowercased().hasPrefix("content-length:") }),
              let length = Int(String(field.dropFirst("content-length:".count).filter { $0 != " " && $0 != "\t" })) else { return false }
        return bytes.count - (end + 4) >= length
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(final: true)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            handshakeDone = true
            if let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self) {
                peerCertificate = try? tls.peerCertificate?.toDERBytes()
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !received.isEmpty {
            // The answer came over the connection; how the connection ended after it (a TLS
            // parent that closes without close_notify) does not change it: a plain and a TLS
            // probe of the same answer get the same diagnosis.
            finish(final: true)
        } else if error is NIOSSLError || error is BoringSSLError || "\(type(of: error))".contains("SSL") {
            complete(plaintextAnswer() ?? .tlsFailed(Self.shortTLSReason("\(error)")))
        } else {
            finish(final: true)
        }
        context.close(promise: nil)
    }

    /// With TLS: what the parent sent when it is not TLS (0x15 / 0x16 start a TLS alert or
    /// handshake record), whichever way the connection ended (an error, a close, the deadline).
    private func plaintextAnswer() -> ProbeOutcome? {
        guard let raw = rawBytes?.bytes, let first = raw.first, first != 0x15, first != 0x16 else { return nil }
        return .plaintextAnswerToTLS(raw)
    }

    private func finish(final: Bool) {
        guard promise != nil else { return }
        if final, received.isEmpty, let plaintext = plaintextAnswer() {
            complete(plaintext)
            return
        }
        if case .complete(let answer) = ParentAnswerScanner.scan(received, final: final) {
            complete(.answered(answer.bytes))
        } else if final {
            complete(received.isEmpty ? .noAnswer : .answered(received))
        }
    }

    /// BoringSSL's reason (`WRONG_VERSION_NUMBER`, `CERTIFICATE_VERIFY_FAILED`...) without the
    /// library's source paths.
    static func shortTLSReason(_ text: String) -> String {
        guard let marker = text.firstRange(of: "OPENSSL_internal:") else { return text }
        let reason = text[marker.upperBound...].prefix { $0 != " " && $0 != "]" && $0 != ")" }
        let extra = text.firstRange(of: "verify")
        return extra == nil ? String(reason) : String(reason) + " (certificate verification)"
    }

    private func complete(_ outcome: ProbeOutcome) {
        timer?.cancel()
        promise?.succeed(outcome)
        promise = nil
    }
}

/// The probe handler of each connection a bootstrap opened.
final class ProbeHandlers: Sendable {
    let byChannel = Mutex<[ObjectIdentifier: ProbeHandler]>([:])
}

/// Keeps the first bytes the parent sent, before TLS reads them, and passes everything on.
final class FirstBytesRecorder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    static let limit = 512

    /// Read and written on the channel's event loop only.
    private(set) var bytes: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if bytes.count < Self.limit, let more = buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, Self.limit - bytes.count)) {
            bytes += more
        }
        context.fireChannelRead(data)
    }
}
