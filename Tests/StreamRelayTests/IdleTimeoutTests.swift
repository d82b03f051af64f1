import NIOCore
import NIOEmbedded
import Testing
@testable import StreamRelay

// Idle splices hold no timer of their own: one timer wheel per event loop (issue 19, item 2).

@Suite struct TimerWheelTests {
    typealias Wheel = TimerWheel<String>
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }

    @Test func testEntriesExpireAtTheEndOfTheirTickNeverBefore() {
        var wheel = Wheel(tick: .milliseconds(10), buckets: 8, start: start)
        _ = wheel.insert("a", deadline: at(25))
        _ = wheel.insert("b", deadline: at(30))
        _ = wheel.insert("c", deadline: at(31))
        #expect(wheel.count == 3)
        #expect(wheel.expire(now: at(24)).isEmpty, "nothing is due before its deadline")
        #expect(wheel.expire(now: at(29)).isEmpty, "a's tick (20-30 ms) has not ended")
        #expect(Set(wheel.expire(now: at(30))) == ["a", "b"], "both are due by the end of the 20-30 ms tick")
        #expect(wheel.expire(now: at(39)).isEmpty)
        #expect(wheel.expire(now: at(40)) == ["c"])
        #expect(wheel.isEmpty)
    }

    @Test func testDeadlinesBeyondOneTurnWaitForTheirTurn() {
        // 8 slots of 10 ms: one turn is 80 ms; 205 ms is two and a half turns away.
        var wheel = Wheel(tick: .milliseconds(10), buckets: 8, start: start)
        _ = wheel.insert("far", deadline: at(205))
        _ = wheel.insert("near", deadline: at(5))
        for milliseconds in stride(from: Int64(10), through: 200, by: 10) {
            let expired = wheel.expire(now: at(milliseconds))
            #expect(expired == (milliseconds == 10 ? ["near"] : []), "at \(milliseconds) ms")
        }
        #expect(wheel.expire(now: at(210)) == ["far"])
    }

    @Test func testALongGapVisitsEverySlotOnce() {
        var wheel = Wheel(tick: .milliseconds(10), buckets: 4, start: start)
        for index in 0..<20 { _ = wheel.insert("e\(index)", deadline: at(Int64(index) * 7)) }
        _ = wheel.insert("late", deadline: at(10_000))
        let expired = wheel.expire(now: at(1_000))
        #expect(expired.count == 20, "far past the wheel's turn, everything due is found")
        #expect(wheel.count == 1)
        #expect(wheel.expire(now: at(10_000)) == ["late"])
    }

    @Test func testPastDeadlinesFireAtTheNextTick() {
        var wheel = Wheel(tick: .milliseconds(10), buckets: 8, start: start)
        #expect(wheel.expire(now: at(50)).isEmpty)
        _ = wheel.insert("past", deadline: at(12))
        #expect(wheel.expire(now: at(55)).isEmpty, "the 50-60 ms tick has not ended")
        #expect(wheel.expire(now: at(60)) == ["past"])
    }

    @Test func testRemoveTakesOutOnlyThatEntryAndStaleHandlesAreIgnored() {
        var wheel = Wheel(tick: .milliseconds(10), buckets: 8, start: start)
        let a = wheel.insert("a", deadline: at(15))
        let b = wheel.insert("b", deadline: at(15))
        let c = wheel.insert("c", deadline: at(15))
        #expect(wheel.remove(b) == "b")
        #expect(wheel.remove(b) == nil, "removing twice is harmless")
        #expect(wheel.count == 2)
        // b's place is reused: its old handle must not remove the new entry.
        let d = wheel.insert("d", deadline: at(15))
        #expect(wheel.remove(b) == nil)
        #expect(Set(wheel.expire(now: at(20))) == ["a", "c", "d"])
        #expect(wheel.remove(a) == nil && wheel.remove(c) == nil && wheel.remove(d) == nil, "expired entries are gone")
        #expect(wheel.isEmpty)
    }

    @Test func testADistantDeadlineStaysUntilRemoved() {
        var wheel = Wheel(tick: .milliseconds(10), buckets: 8, start: start)
        let never = wheel.insert("never", deadline: .distantFuture)
        #expect(wheel.expire(now: at(1_000_000)).isEmpty)
        #expect(wheel.remove(never) == "never")
    }

    @Test func testEntryTableIsReusedUnderChurn() {
        var wheel = Wheel(tick: .milliseconds(10), buckets: 16, start: start)
        var live: [Wheel.Handle] = []
        for round in 0..<1_000 {
            live.append(wheel.insert("r\(round)", deadline: at(Int64(round % 100))))
            if live.count > 10 { wheel.remove(live.removeFirst()) }
        }
        #expect(wheel.count == 10)
        #expect(wheel.capacity <= 11, "removed entries' places are reused")
    }
}

/// A connection the idle timeouts watch, with its activity set by the test.
final class FakeWatched: IdleWatched {
    var lastActivity: NIODeadline
    var idleHandle: TimerWheel<any IdleWatched>.Handle?
    var timedOutAt: NIODeadline?
    let loop: EmbeddedEventLoop

    init(loop: EmbeddedEventLoop) {
        self.loop = loop
        lastActivity = loop.now
    }

    func idleTimedOut() { timedOutAt = loop.now }
}

@Suite struct IdleTimeoutsTests {
    @Test func testTickIsASecondAtMostAndAFractionOfShortTimeouts() {
        #expect(IdleTimeouts.tick(for: .seconds(900)) == .seconds(1))
        #expect(IdleTimeouts.tick(for: .seconds(32)) == .milliseconds(500))
        #expect(IdleTimeouts.tick(for: .milliseconds(10)) == .milliseconds(1))
    }

    @Test func testIdleForTheWholeTimeoutClosesActivityPostpones() {
        let loop = EmbeddedEventLoop()
        let timeouts = IdleTimeouts(timeout: .seconds(64), loop: loop)
        let quiet = FakeWatched(loop: loop)
        let busy = FakeWatched(loop: loop)
        let start = loop.now
        timeouts.watch(quiet)
        timeouts.watch(busy)
        loop.advanceTime(by: .seconds(40))
        busy.lastActivity = loop.now
        loop.advanceTime(by: .milliseconds(23_900))
        #expect(quiet.timedOutAt == nil, "not before its timeout")
        loop.advanceTime(by: .seconds(1))
        #expect(quiet.timedOutAt.map { $0 - start >= .seconds(64) && $0 - start <= .seconds(65) } == true, "within a tick after it")
        #expect(busy.timedOutAt == nil, "moved bytes at 40 s: its time runs from then")
        #expect(timeouts.count == 1)
        loop.advanceTime(by: .seconds(40))
        #expect(busy.timedOutAt.map { $0 - start >= .seconds(104) && $0 - start <= .seconds(105) } == true)
        #expect(timeouts.count == 0)
    }

    @Test func testUnwatchedConnectionsNeverTimeOutAndTheTickStopsWhenNoneIsLeft() {
        let loop = EmbeddedEventLoop()
        let timeouts = IdleTimeouts(timeout: .seconds(2), loop: loop)
        let gone = FakeWatched(loop: loop)
        timeouts.watch(gone)
        timeouts.unwatch(gone)
        #expect(gone.idleHandle == nil && timeouts.count == 0)
        loop.advanceTime(by: .seconds(10))
        #expect(gone.timedOutAt == nil)
        // Watching again after the tick stopped starts it again.
        let next = FakeWatched(loop: loop)
        next.lastActivity = loop.now
        timeouts.watch(next)
        loop.advanceTime(by: .seconds(3))
        #expect(next.timedOutAt != nil)
    }
}

@Suite struct SpliceIdleTimeoutTests {
    /// A spliced pair on one embedded loop, with the idle timeouts the relay gives it.
    func spliced(timeout: TimeAmount) throws -> (EmbeddedEventLoop, EmbeddedChannel, EmbeddedChannel, SpliceHandler, IdleTimeouts) {
        let loop = EmbeddedEventLoop()
        let child = EmbeddedChannel(loop: loop)
        let parent = EmbeddedChannel(loop: loop)
        try child.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try parent.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let timeouts = IdleTimeouts(timeout: timeout, loop: loop)
        let (childHalf, parentHalf) = SpliceHandler.pair(parentLeftover: nil, metrics: RelayMetrics(), idle: timeouts)
        try child.pipeline.syncOperations.addHandler(childHalf)
        try parent.pipeline.syncOperations.addHandler(parentHalf)
        child.read()
        parent.read()
        return (loop, child, parent, childHalf, timeouts)
    }

    @Test func testAnIdleSpliceClosesBothSidesWithTheReason() throws {
        let (loop, child, parent, childHalf, timeouts) = try spliced(timeout: .seconds(10))
        #expect(timeouts.count == 1, "the child side is watched")
        loop.advanceTime(by: .milliseconds(9_900))
        #expect(child.isActive && parent.isActive)
        loop.advanceTime(by: .milliseconds(300))
        #expect(!child.isActive && !parent.isActive)
        #expect(childHalf.closeReason == "idle timeout")
        #expect(timeouts.count == 0)
    }

    @Test func testBytesEitherWayKeepASpliceOpen() throws {
        let (loop, child, parent, _, timeouts) = try spliced(timeout: .seconds(10))
        loop.advanceTime(by: .seconds(6))
        try child.writeInbound(ByteBuffer(string: "BEGIN a\n"))
        #expect(try parent.writes() == ["BEGIN a\n"])
        loop.advanceTime(by: .seconds(6))
        #expect(child.isActive, "the child sent at 6 s")
        child.read()
        parent.read()
        try parent.writeInbound(ByteBuffer(string: "REPLAY_CHART \"a\"\n"))
        #expect(try child.writes() == ["REPLAY_CHART \"a\"\n"])
        loop.advanceTime(by: .seconds(9))
        #expect(child.isActive && parent.isActive, "the parent sent at 12 s")
        loop.advanceTime(by: .seconds(2))
        #expect(!child.isActive && !parent.isActive)
        #expect(timeouts.count == 0)
    }

    @Test func testAClosedSpliceLeavesTheWheel() throws {
        let (loop, child, parent, childHalf, timeouts) = try spliced(timeout: .seconds(10))
        try parent.close().wait()
        #expect(!child.isActive)
        #expect(timeouts.count == 0)
        #expect(childHalf.closeReason == "parent closed the connection")
        loop.advanceTime(by: .seconds(20))
        #expect(childHalf.closeReason == "parent closed the connection", "no idle timeout after the close")
    }
}
