// TLS for the benchmark's TLS scenario (`relay-bench --tls`): OpenSSL 3 contexts for the
// children (verifying the peer with the CA files, chain only, as Netdata children do) and for
// the sink, and `Link`, one connection with or without TLS.
#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// An `SSL_CTX *` made once before any worker thread starts and never changed afterwards.
struct TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
}

enum BenchTLS {
    /// The children's context; nil in the plaintext scenario. Set once in `main` before threads start.
    nonisolated(unsafe) static var client: TLSContext?

    /// OpenSSL's error queue as text (emptied).
    static func errorText() -> String {
        var parts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.isEmpty ? "no OpenSSL error" : parts.joined(separator: "; ")
    }

    /// A client context that verifies the server's chain against `caFiles` (no name check).
    static func clientContext(caFiles: [String]) throws -> TLSContext {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw BenchError("SSL_CTX_new: \(errorText())") }
        for file in caFiles where SSL_CTX_load_verify_locations(context, file, nil) != 1 {
            throw BenchError("CA file \(file): \(errorText())")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        return TLSContext(pointer: context)
    }

    static func serverContext(certificate: String, key: String) throws -> TLSContext {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw BenchError("SSL_CTX_new: \(errorText())") }
        guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1,
              SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            throw BenchError("certificate \(certificate), key \(key): \(errorText())")
        }
        return TLSContext(pointer: context)
    }

    /// The negotiated protocol and cipher of `ssl`, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
    static func describe(_ ssl: OpaquePointer) -> String {
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "?"
        let cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)).map { String(cString: $0) } ?? "?"
        return "\(version) \(cipher)"
    }
}

/// One blocking connection of a synthetic child: the socket and, in the TLS scenario, its `SSL *`.
struct Link: @unchecked Sendable {
    let fd: Int32
    let ssl: OpaquePointer?

    /// Connects to 127.0.0.1:port (TCP_NODELAY, receive timeout) and, when `BenchTLS.client` is
    /// set, completes a TLS handshake verifying the server's certificate.
    static func connect(port: Int) throws -> Link {
        let fd = try Socket.connect(port: port)
        guard let context = BenchTLS.client else { return Link(fd: fd, ssl: nil) }
        guard let ssl = SSL_new(context.pointer) else {
            Glibc.close(fd)
            throw BenchError("SSL_new: \(BenchTLS.errorText())")
        }
        SSL_set_fd(ssl, fd)
        guard SSL_connect(ssl) == 1 else {
            let text = BenchTLS.errorText()
            SSL_free(ssl)
            Glibc.close(fd)
            throw BenchError("TLS handshake with 127.0.0.1:\(port): \(text)")
        }
        return Link(fd: fd, ssl: ssl)
    }

    /// Writes all of `bytes`; false when the peer went away.
    @discardableResult
    func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let ssl else { return Socket.writeAll(fd, bytes) }
        var offset = 0
        while offset < bytes.count {
            // SSL_write takes an Int32 length; 1 MiB at most per call.
            let n = SSL_write(ssl, bytes.baseAddress! + offset, Int32(min(bytes.count - offset, 1 << 20)))
            if n <= 0 { return false }
            offset += Int(n)
        }
        return true
    }

    @discardableResult
    func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll($0) }
    }

    /// Reads until `isComplete` holds (blocking, bounded by the receive timeout and `limit`).
    func read(limit: Int = 8192, until isComplete: ([UInt8]) -> Bool) throws -> [UInt8] {
        guard let ssl else { return try Socket.read(fd, limit: limit, until: isComplete) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while !isComplete(received) {
            guard received.count < limit else { throw BenchError("answer over \(limit) bytes") }
            let n = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 {
                throw BenchError("TLS read after \(received.count) bytes: \(BenchTLS.errorText()) (errno \(errnoText()))")
            }
            received += chunk[0..<Int(n)]
        }
        return received
    }

    /// Sends close_notify (without waiting for the peer's) and closes.
    func close() {
        if let ssl {
            SSL_shutdown(ssl)
            SSL_free(ssl)
        }
        Glibc.close(fd)
    }
}
