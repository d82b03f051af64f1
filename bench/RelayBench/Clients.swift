// The benchmark's synthetic children: 1.37-style STREAM requests, then BEGIN/SET/END text.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import StreamConfig
import Synchronization

enum Children {
    static let childKey = "11111111-2222-4333-8444-555555555555"
    static let promptPrefix = Array(StreamAnswer.promptPrefix.utf8)

    /// A 1.37.1 child's request (protocol.md 1.2), with a distinct hostname and machine GUID, as
    /// long as a real one: a real 1.37.1 child also sends its host's `NETDATA_SYSTEM_*` and
    /// `NETDATA_CONTAINER_*` facts (1,399 bytes in `../shared/lab/captures`), and the request's
    /// length decides how the relay reads it (and which read buffer an idle child keeps).
    /// `ver=5`: the children speak the uncompressed text protocol.
    static func request(index: Int, echo: Bool = false) -> [UInt8] {
        let name = (echo ? "echo-" : "bench-") + String(index)
        let guid = "00000000-0000-4000-8000-" + String(String(index, radix: 16).reversed()).padding(toLength: 12, withPad: "0", startingAt: 0)
        let text = "STREAM key=\(childKey)&hostname=\(name)&registry_hostname=\(name)&machine_guid=\(guid)"
            + "&update_every=1&os=linux&timezone=Etc/UTC&abbrev_timezone=UTC&utc_offset=0&hops=1&ml_capable=1"
            + "&ml_enabled=0&mc_version=1&tags=&ver=5" + hostFacts + "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
            + "User-Agent: Netdata/v1.37.1\r\nAccept: */*\r\n\r\n"
        return Array(text.utf8)
    }

    /// The host facts a 1.37.1 child appends to its request (values from a lab container).
    static let hostFacts = [
        "NETDATA_INSTANCE_CLOUD_TYPE=unknown", "NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE=unknown",
        "NETDATA_INSTANCE_CLOUD_INSTANCE_REGION=unknown", "NETDATA_SYSTEM_OS_NAME=unknown", "NETDATA_SYSTEM_OS_ID=unknown",
        "NETDATA_SYSTEM_OS_ID_LIKE=unknown", "NETDATA_SYSTEM_OS_VERSION=unknown", "NETDATA_SYSTEM_OS_VERSION_ID=unknown",
        "NETDATA_SYSTEM_OS_DETECTION=unknown", "NETDATA_HOST_IS_K8S_NODE=false", "NETDATA_SYSTEM_KERNEL_NAME=Linux",
        "NETDATA_SYSTEM_KERNEL_VERSION=6.18.44-fc-v657", "NETDATA_SYSTEM_ARCHITECTURE=x86_64", "NETDATA_SYSTEM_VIRTUALIZATION=kvm",
        "NETDATA_SYSTEM_VIRT_DETECTION=systemd-detect-virt", "NETDATA_SYSTEM_CONTAINER=docker",
        "NETDATA_SYSTEM_CONTAINER_DETECTION=systemd-detect-virt", "NETDATA_CONTAINER_OS_NAME=Debian GNU/Linux",
        "NETDATA_CONTAINER_OS_ID=debian", "NETDATA_CONTAINER_OS_ID_LIKE=unknown", "NETDATA_CONTAINER_OS_VERSION=12 (bookworm)",
        "NETDATA_CONTAINER_OS_VERSION_ID=12", "NETDATA_CONTAINER_OS_DETECTION=/etc/os-release",
        "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=2", "NETDATA_SYSTEM_CPU_FREQ=2.299e+09", "NETDATA_SYSTEM_TOTAL_RAM=25276510208",
        "NETDATA_SYSTEM_TOTAL_DISK_SIZE=274877906944",
    ].map { "&" + $0 }.joined()

    /// Connects (over TLS in the TLS scenario), sends the request and reads the prompt.
    /// Returns the connection.
    static func handshake(port: Int, index: Int, echo: Bool = false) throws -> Link {
        let fd = try Link.connect(port: port)
        do {
            guard fd.writeAll(request(index: index, echo: echo)) else { throw BenchError("write: \(errnoText())") }
            let answer = try fd.read { $0.count > promptPrefix.count || !promptPrefix.starts(with: $0) }
            guard answer.starts(with: promptPrefix) else {
                throw BenchError("not a prompt: \(String(decoding: answer, as: UTF8.self))")
            }
            return fd
        } catch {
            fd.close()
            throw error
        }
    }

    /// 1 MiB of chart updates as a 1.37 child sends them: BEGIN, ten SETs, END.
    static func payload() -> [UInt8] {
        var text = ""
        var chart = 0
        var value = 123_457
        while text.utf8.count < 1 << 20 {
            text += "BEGIN bench.chart\(chart) 1000000\n"
            for dimension in 0..<10 {
                value = (value &* 1_103_515_245 &+ 12345) & 0x7FFFFF
                text += "SET d\(dimension) = \(value)\n"
            }
            text += "END\n"
            chart = (chart + 1) % 1000
        }
        return Array(text.utf8)
    }
}

/// Connections shared by worker threads.
final class DescriptorBag: Sendable {
    private let fds = Mutex<[Link]>([])
    private let failures = Mutex<[String]>([])

    func add(_ fd: Link) { fds.withLock { $0.append(fd) } }
    func fail(_ text: String) { failures.withLock { $0.append(text) } }
    var count: Int { fds.withLock { $0.count } }
    var firstFailure: String? { failures.withLock { $0.first } }
    var failureCount: Int { failures.withLock { $0.count } }

    func closeAll() {
        let all = fds.withLock { list -> [Link] in
            defer { list = [] }
            return list
        }
        for fd in all { fd.close() }
    }
}

enum Workload {
    /// Opens `count` children (indices from `firstIndex`) with `workers` threads; each child
    /// handshakes and sends one chart update, then stays open in `bag`.
    static func openIdle(port: Int, count: Int, firstIndex: Int, workers: Int, bag: DescriptorBag) {
        let update = Array("BEGIN bench.idle 1000000\nSET d0 = 1\nEND\n".utf8)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = firstIndex + worker
            while index < firstIndex + count {
                do {
                    let fd = try Children.handshake(port: port, index: index)
                    fd.writeAll(update)
                    bag.add(fd)
                } catch {
                    bag.fail("child \(index): \(error)")
                }
                index += workers
            }
        }
    }

    /// `streams` children that send `payload` as fast as they can for `seconds`.
    /// `measure` runs once every stream is past its handshake.
    static func stream(port: Int, streams: Int, payload: [UInt8], measure: () throws -> Void) throws {
        let stop = StopFlag()
        let ready = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let bag = DescriptorBag()
        let shared = Payload(payload)
        for index in 0..<streams {
            let worker = StreamWorker(port: port, index: 900_000 + index, payload: shared, bag: bag, ready: ready, done: done)
            Thread.detachNewThread { worker.run(stopping: stop) }
        }
        for _ in 0..<streams { ready.wait() }
        defer {
            stop.flag.store(true, ordering: .relaxed)
            for _ in 0..<streams { _ = done.wait(timeout: .now() + 30) }
            bag.closeAll()
        }
        if let failure = bag.firstFailure { throw BenchError(failure) }
        try measure()
    }

    /// Connect, handshake, close, as fast as `workers` threads can for `seconds`.
    static func handshakes(port: Int, workers: Int, seconds: Double) -> (count: Int, failures: Int, firstFailure: String?) {
        let counter = Atomic<Int>(0)
        let bag = DescriptorBag()
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = 2_000_000 + worker * 100_000
            while monotonicNanoseconds() < deadline {
                do {
                    let fd = try Children.handshake(port: port, index: index)
                    fd.close()
                    counter.add(1, ordering: .relaxed)
                } catch {
                    bag.fail("\(error)")
                    if bag.failureCount > 100 { return }
                }
                index += 1
            }
        }
        return (counter.load(ordering: .relaxed), bag.failureCount, bag.firstFailure)
    }

    /// One child sending like a busy Netdata child: `sendsPerSecond` separate small sends
    /// (one chart update each), in bursts every millisecond. Runs `measure` meanwhile.
    static func paced(port: Int, sendsPerSecond: Int, measure: () throws -> Void) throws {
        let fd = try Children.handshake(port: port, index: 4_000_000)
        let stop = StopFlag()
        let done = DispatchSemaphore(value: 0)
        let sender = PacedSender(fd: fd, perMillisecond: max(1, sendsPerSecond / 1000))
        Thread.detachNewThread {
            sender.run(stopping: stop)
            done.signal()
        }
        defer {
            stop.flag.store(true, ordering: .relaxed)
            done.wait()
            fd.close()
        }
        try measure()
    }

    /// Round trips of one small line through an echoing parent; nanoseconds per trip.
    static func latency(port: Int, warmup: Int, samples: Int) throws -> [UInt64] {
        let fd = try Children.handshake(port: port, index: 3_000_000, echo: true)
        defer { fd.close() }
        let line = Array("SET latency = 1234567890123\n".utf8)
        var times: [UInt64] = []
        times.reserveCapacity(samples)
        for round in 0..<(warmup + samples) {
            let start = monotonicNanoseconds()
            guard fd.writeAll(line) else { throw BenchError("latency write: \(errnoText())") }
            _ = try fd.read(limit: 1 << 16) { $0.count >= line.count }
            if round >= warmup { times.append(monotonicNanoseconds() - start) }
        }
        return times
    }
}

final class PacedSender: Sendable {
    let fd: Link
    let perMillisecond: Int

    init(fd: Link, perMillisecond: Int) {
        self.fd = fd
        self.perMillisecond = perMillisecond
    }

    func run(stopping stop: StopFlag) {
        let updates = (0..<64).map { Array("BEGIN bench.paced\($0) 1000000\nSET d0 = \(100_000 + $0 * 7919)\nSET d1 = \($0 * 31)\nEND\n".utf8) }
        var next = timespec()
        clock_gettime(CLOCK_MONOTONIC, &next)
        var counter = 0
        while !stop.flag.load(ordering: .relaxed) {
            for _ in 0..<perMillisecond {
                if !fd.writeAll(updates[counter & 63]) { return }
                counter += 1
            }
            next.tv_nsec += 1_000_000
            if next.tv_nsec >= 1_000_000_000 {
                next.tv_nsec -= 1_000_000_000
                next.tv_sec += 1
            }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nil)
        }
    }
}

final class StopFlag: Sendable {
    let flag = Atomic<Bool>(false)
}

/// An immutable buffer shared by the writer threads.
final class Payload: @unchecked Sendable {
    let pointer: UnsafeMutableRawBufferPointer
    init(_ bytes: [UInt8]) {
        pointer = .allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { pointer.copyMemory(from: $0) }
    }
}

final class StreamWorker: Sendable {
    let port: Int
    let index: Int
    let payload: Payload
    let bag: DescriptorBag
    let ready: DispatchSemaphore
    let done: DispatchSemaphore

    init(port: Int, index: Int, payload: Payload, bag: DescriptorBag, ready: DispatchSemaphore, done: DispatchSemaphore) {
        self.port = port
        self.index = index
        self.payload = payload
        self.bag = bag
        self.ready = ready
        self.done = done
    }

    func run(stopping stop: StopFlag) {
        defer { done.signal() }
        let fd: Link
        do {
            fd = try Children.handshake(port: port, index: index)
        } catch {
            bag.fail("stream \(index): \(error)")
            ready.signal()
            return
        }
        bag.add(fd)
        ready.signal()
        let bytes = UnsafeRawBufferPointer(payload.pointer)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while !stop.flag.load(ordering: .relaxed) {
            if !fd.writeAll(bytes) { return }
        }
    }
}
