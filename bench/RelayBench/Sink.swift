// The benchmark's parent: answers every STREAM request with the 1.37 prompt, then discards what
// follows (or echoes it, for children whose hostname starts with "echo"). It runs as its own
// process (`relay-bench sink`) so its descriptors and CPU are not the harness's. Commands on
// stdin, one per line: `stats` prints the counters; EOF ends the process.
// `relay-bench sink --tls CERT KEY` serves TLS (OpenSSL, non-blocking, same epoll loop);
// `--port N` listens on that port (the storm restarts the sink where the proxies expect it).
#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import COpenSSL
import StreamConfig

final class SinkConnection {
    var request: [UInt8] = []
    var streaming = false
    var echo = false
    var gotData = false
    /// The connection's `SSL *` when the sink serves TLS.
    var ssl: OpaquePointer?
}

struct SinkCounters {
    var bytes = 0
    var handshakes = 0
    var streaming = 0
    var withData = 0
}

enum Sink {
    static let prompt = Array((StreamAnswer.promptPrefix + "5").utf8)
    static let headerEnd: [UInt8] = [13, 10, 13, 10]
    static let echoHost = Array("hostname=echo".utf8)

    /// `port` 0: any free port (printed as `port=N`); a restarted sink asks for its old one.
    static func run(tls: TLSContext?, port wanted: Int = 0) throws -> Never {
        _ = raiseDescriptorLimit()
        let (listener, port) = try Socket.listen(port: wanted)
        Socket.setNonBlocking(listener)
        print("port=\(port)")
        fflush(nil)

        // epoll: a reconnect storm has 10,000 connections arriving at once, where poll(2) would
        // scan every descriptor for each event.
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw BenchError("epoll_create1: \(errnoText())") }
        func watch(_ fd: Int32) {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = fd
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        }
        watch(listener)
        watch(0)
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        var connections = [SinkConnection?](repeating: nil, count: 65536)
        var counters = SinkCounters()
        let capacity = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        var command: [UInt8] = []
        var closed: [Int32] = []
        var unfreed: [OpaquePointer] = []  // SSL objects of dropped connections, freed with them

        func drop(_ fd: Int32) {
            guard let connection = connections[Int(fd)] else { return }
            if connection.streaming { counters.streaming -= 1 }
            if connection.gotData { counters.withData -= 1 }
            if let ssl = connection.ssl { unfreed.append(ssl) }
            connections[Int(fd)] = nil
            epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
            closed.append(fd)  // closed after this batch of events, so no number is reused in it
        }

        /// Sends a small answer (the prompt, an echo); loopback buffers take it at once.
        func answer(_ fd: Int32, _ connection: SinkConnection, _ bytes: UnsafeRawBufferPointer) {
            if let ssl = connection.ssl {
                _ = SSL_write(ssl, bytes.baseAddress, Int32(bytes.count))
            } else {
                _ = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            }
        }

        /// Counts (or echoes) `n` bytes read into `buffer`; answers a complete request.
        func consume(_ fd: Int32, _ connection: SinkConnection, _ n: Int) {
            if connection.streaming {
                counters.bytes += n
                if !connection.gotData {
                    connection.gotData = true
                    counters.withData += 1
                }
                if connection.echo {
                    answer(fd, connection, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                }
                return
            }
            connection.request += Array(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            guard let end = findBytes(headerEnd, in: connection.request) else {
                if connection.request.count > 16384 { drop(fd) }
                return
            }
            connection.echo = findBytes(echoHost, in: connection.request) != nil
            connection.streaming = true
            counters.handshakes += 1
            counters.streaming += 1
            let early = connection.request.count - (end + headerEnd.count)
            connection.request = []
            prompt.withUnsafeBytes { answer(fd, connection, $0) }
            if early > 0 {
                counters.bytes += early
                connection.gotData = true
                counters.withData += 1
            }
        }

        while true {
            let ready = epoll_wait(epoll, &events, Int32(events.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BenchError("epoll_wait: \(errnoText())")
            }
            for index in 0..<Int(ready) {
                let fd = events[index].data.fd
                if fd == listener {
                    while true {
                        let client = accept(listener, nil, nil)
                        if client < 0 { break }
                        Socket.setNonBlocking(client)
                        Socket.setNoDelay(client)
                        let connection = SinkConnection()
                        if let tls {
                            connection.ssl = SSL_new(tls.pointer)
                            SSL_set_fd(connection.ssl, client)
                            SSL_set_accept_state(connection.ssl)
                        }
                        connections[Int(client)] = connection
                        watch(client)
                    }
                    continue
                }
                if fd == 0 {
                    let n = read(0, buffer.baseAddress, 4096)
                    if n <= 0 { exit(0) }
                    command += Array(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    while let newline = command.firstIndex(of: 10) {
                        let line = String(decoding: command[..<newline], as: UTF8.self)
                        command.removeSubrange(...newline)
                        if line == "stats" {
                            print("bytes=\(counters.bytes) handshakes=\(counters.handshakes) streaming=\(counters.streaming) withdata=\(counters.withData)")
                            fflush(nil)
                        }
                    }
                    continue
                }
                guard let connection = connections[Int(fd)] else { continue }
                guard let ssl = connection.ssl else {
                    let n = recv(fd, buffer.baseAddress, capacity, 0)
                    if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
                        drop(fd)
                        continue
                    }
                    if n > 0 { consume(fd, connection, n) }
                    continue
                }
                // TLS: read records until OpenSSL needs more bytes from the socket (the
                // handshake runs inside SSL_read).
                while true {
                    let n = SSL_read(ssl, buffer.baseAddress, Int32(capacity))
                    if n > 0 {
                        consume(fd, connection, Int(n))
                        if connections[Int(fd)] == nil { break }
                        continue
                    }
                    let error = SSL_get_error(ssl, n)
                    if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                        ERR_clear_error()
                        drop(fd)
                    }
                    break
                }
            }
            if !closed.isEmpty {
                for fd in closed { close(fd) }
                closed = []
                for ssl in unfreed { SSL_free(ssl) }
                unfreed = []
            }
        }
    }
}
