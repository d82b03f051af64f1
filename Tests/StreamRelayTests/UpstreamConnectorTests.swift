import Logging
import NIOCore
import NIOEmbedded
import StreamConfig
import Testing
@testable import StreamRelay

#if canImport(Glibc)
import Glibc
#endif

/// Failover and back-off of `UpstreamConnector` on `EmbeddedEventLoop`: the dial is the test's,
/// every timer is driven by `advanceTime`.
@Suite struct UpstreamConnectorTests {
    /// Records each dial and lets the test complete it.
    final class Dialler {
        let loop: EmbeddedEventLoop
        var dialled: [String] = []
        var pending: [String: EventLoopPromise<UpstreamConnection>] = [:]

        init(loop: EmbeddedEventLoop) { self.loop = loop }

        func dial(_ destination: Destination, _ deadline: NIODeadline) -> EventLoopFuture<UpstreamConnection> {
            dialled.append(destination.raw)
            let promise = loop.makePromise(of: UpstreamConnection.self)
            pending[destination.raw] = promise
            return promise.futureResult
        }

        func refuse(_ raw: String) {
            pending.removeValue(forKey: raw)?.fail(IOError(errnoCode: ECONNREFUSED, reason: "connect"))
        }

        /// Answers with a prompt on a fresh embedded channel; returns the channel.
        @discardableResult
        func answer(_ raw: String, destination: Destination) throws -> EmbeddedChannel {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "10.0.0.1", port: 19999)).wait()
            let answer = ParentAnswer(bytes: Array("Hit me baby, push them over with the version=16320".utf8), kind: .prompt)
            pending.removeValue(forKey: raw)?.succeed(UpstreamConnection(channel: channel, reply: .answer(answer), destination: destination))
            return channel
        }
    }

    let records = LogRecords()
    let metrics = RelayMetrics()

    func destinations(_ text: String) -> [Destination] { DestinationList.parse(text, target: .v2) }

    func connector(_ loop: EmbeddedEventLoop, _ destinations: [Destination], backoff: DestinationBackoff, budget: TimeAmount = .seconds(20),
                   waitForBackoff: Bool = true, dialler: Dialler) -> UpstreamConnector {
        UpstreamConnector(eventLoop: loop, target: .init(destinations: destinations, defaultPort: 19999, upstreamAPIKey: parentKey),
                          exchange: .stream(request: Array(streamRequest().utf8)), tlsContext: nil, backoff: backoff,
                          limits: RelayLimits(), deadline: loop.now + budget, waitForBackoff: waitForBackoff,
                          log: ConnectionLog(logger: records.logger, peer: nil), metrics: metrics, dial: dialler.dial)
    }

    /// The connector's result once its future completed (nil: still running).
    final class Outcome {
        var done = false
        var connection: UpstreamConnection?
    }

    func run(_ connector: UpstreamConnector) -> Outcome {
        let outcome = Outcome()
        connector.run().whenSuccess { connection in
            outcome.done = true
            outcome.connection = connection
        }
        return outcome
    }

    @Test func aRefusedDestinationIsPostponedAndTheNextOneServes() throws {
        let loop = EmbeddedEventLoop()
        let backoff = DestinationBackoff(base: .milliseconds(500), maximum: .seconds(15))
        let dialler = Dialler(loop: loop)
        let list = destinations("10.0.0.1:19999 10.0.0.2:19999")
        let outcome = run(connector(loop, list, backoff: backoff, dialler: dialler))
        #expect(dialler.dialled == ["10.0.0.1:19999"])
        dialler.refuse("10.0.0.1:19999")
        #expect(dialler.dialled == ["10.0.0.1:19999", "10.0.0.2:19999"], "failover to the next in order")
        #expect(!outcome.done)
        try dialler.answer("10.0.0.2:19999", destination: list[1])
        #expect(outcome.done && outcome.connection?.destination.raw == "10.0.0.2:19999")
        #expect(backoff.postponedUntil("10.0.0.1:19999", now: loop.now) == loop.now + .milliseconds(500))
        #expect(backoff.postponedUntil("10.0.0.2:19999", now: loop.now) == nil, "a success clears its back-off")
        #expect(records.contains("can't connect to a parent, last error: connection refused - will not retry it for 0.5s"), "\(records.lines)")
        #expect(metrics.prometheusText().contains("10.0.0.1:19999"))

        // The next child skips the postponed parent until its time comes.
        let next = Dialler(loop: loop)
        _ = run(connector(loop, list, backoff: backoff, dialler: next))
        #expect(next.dialled == ["10.0.0.2:19999"])
        loop.advanceTime(by: .milliseconds(500))
        let later = Dialler(loop: loop)
        _ = run(connector(loop, list, backoff: backoff, dialler: later))
        #expect(later.dialled == ["10.0.0.1:19999"], "tried again once its postponement ended")
    }

    @Test func whenEveryParentIsPostponedTheConnectorWaitsForTheFirstToComeBack() throws {
        let loop = EmbeddedEventLoop()
        let backoff = DestinationBackoff(base: .milliseconds(500), maximum: .seconds(15))
        let dialler = Dialler(loop: loop)
        let list = destinations("10.0.0.1:19999 10.0.0.2:19999")
        let outcome = run(connector(loop, list, backoff: backoff, dialler: dialler))
        dialler.refuse("10.0.0.1:19999")
        dialler.refuse("10.0.0.2:19999")
        #expect(dialler.dialled.count == 2 && !outcome.done)
        loop.advanceTime(by: .milliseconds(499))
        #expect(dialler.dialled.count == 2, "not before the earliest postponement ends")
        loop.advanceTime(by: .milliseconds(1))
        #expect(dialler.dialled == ["10.0.0.1:19999", "10.0.0.2:19999", "10.0.0.1:19999"])
        // A second failure doubles that parent's delay; the other one's time has come too.
        dialler.refuse("10.0.0.1:19999")
        #expect(backoff.postponedUntil("10.0.0.1:19999", now: loop.now) == loop.now + .seconds(1))
        #expect(dialler.dialled == ["10.0.0.1:19999", "10.0.0.2:19999", "10.0.0.1:19999", "10.0.0.2:19999"])
        #expect(!outcome.done)
        try dialler.answer("10.0.0.2:19999", destination: list[1])
        #expect(outcome.done && outcome.connection?.destination.raw == "10.0.0.2:19999")
    }

    @Test func theBudgetEndsTheWaitWithTheLastError() throws {
        let loop = EmbeddedEventLoop()
        let backoff = DestinationBackoff(base: .seconds(2), maximum: .seconds(15))
        let dialler = Dialler(loop: loop)
        let connector = connector(loop, destinations("10.0.0.1:19999"), backoff: backoff, budget: .seconds(1), dialler: dialler)
        let outcome = run(connector)
        dialler.refuse("10.0.0.1:19999")
        #expect(outcome.done && outcome.connection == nil, "the parent's next turn (2 s) is past the 1 s budget")
        #expect(connector.failureSummary == "10.0.0.1:19999: connection refused")
    }

    @Test func delaysDoubleUpToTheMaximum() {
        let backoff = DestinationBackoff(base: .milliseconds(500), maximum: .seconds(3))
        let now = NIODeadline.uptimeNanoseconds(0)
        #expect([1, 2, 3, 4, 5].map { _ in backoff.recordFailure("p", now: now) }
            == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3)])
        backoff.recordSuccess("p")
        #expect(backoff.recordFailure("p", now: now) == .milliseconds(500))
    }

    @Test func withoutWaitingAPostponedListEndsAtOnce() throws {
        let loop = EmbeddedEventLoop()
        let backoff = DestinationBackoff(base: .milliseconds(500), maximum: .seconds(15))
        backoff.recordFailure("10.0.0.1:19999", now: loop.now)
        let dialler = Dialler(loop: loop)
        let outcome = run(connector(loop, destinations("10.0.0.1:19999"), backoff: backoff, waitForBackoff: false, dialler: dialler))
        #expect(outcome.done && outcome.connection == nil)
        #expect(dialler.dialled.isEmpty)
    }

    @Test func aCancelledConnectorEndsAtOnceAndClosesALateAnswer() throws {
        let loop = EmbeddedEventLoop()
        let backoff = DestinationBackoff(base: .milliseconds(500), maximum: .seconds(15))
        let dialler = Dialler(loop: loop)
        let list = destinations("10.0.0.1:19999 10.0.0.2:19999")
        let connector = connector(loop, list, backoff: backoff, dialler: dialler)
        let outcome = run(connector)
        connector.cancel()
        #expect(outcome.done && outcome.connection == nil)
        let late = try dialler.answer("10.0.0.1:19999", destination: list[0])
        #expect(!late.isActive, "the answer that came after the child left is closed")
        #expect(dialler.dialled == ["10.0.0.1:19999"], "no further parent is tried")
    }
}
