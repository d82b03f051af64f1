import NIOCore

/// Many deadlines behind one periodic tick: a hashed timer wheel (`buckets` slots of `tick`
/// each; a deadline goes into the slot of the tick it falls in, modulo the wheel).
///
/// Inserting and removing are O(1) and allocate nothing once the entry table has grown to the
/// number of live entries; `expire` visits only the slots of the ticks that passed (and leaves
/// in them the entries that are a whole turn or more away). An entry fires at the first
/// `expire` whose `now` is at or past the end of its deadline's tick: at most one tick late
/// when `expire` runs every tick, never early.
///
/// Plain bookkeeping (no clock, no event loop), so every rule is tested on its own; the relay
/// drives one wheel per event loop (`IdleTimeouts`) instead of one scheduled task per channel.
struct TimerWheel<Value> {
    /// Names an entry until it is removed or expires. A handle of an entry that is gone (its
    /// place reused since) is recognised and ignored.
    struct Handle: Hashable, Sendable {
        fileprivate let index: Int32
        fileprivate let generation: UInt32
    }

    private struct Entry {
        var value: Value?
        var deadline: Int64 = 0
        var generation: UInt32 = 0
        /// Doubly linked list of a slot; -1 ends it. `next` also links the free list.
        var previous: Int32 = -1
        var next: Int32 = -1
        var slot: Int32 = -1
    }

    let tick: Int64
    private let origin: Int64
    private var heads: [Int32]
    private var entries: [Entry] = []
    private var freeHead: Int32 = -1
    /// The last tick whose slot `expire` has visited.
    private var processedTick: Int64
    private(set) var count = 0

    /// `tick` and the times passed later are nanoseconds on one clock; `start` is now.
    init(tick: TimeAmount, buckets: Int, start: NIODeadline) {
        precondition(tick.nanoseconds > 0 && buckets > 0 && buckets < Int(Int32.max))
        self.tick = tick.nanoseconds
        self.origin = Int64(start.uptimeNanoseconds)
        self.heads = Array(repeating: -1, count: buckets)
        self.processedTick = 0
    }

    var isEmpty: Bool { count == 0 }

    var tickAmount: TimeAmount { .nanoseconds(tick) }

    /// Places in the entry table (live entries and free ones for reuse).
    var capacity: Int { entries.count }

    /// The end of the tick `now` falls in: when the next `expire` has something to visit.
    func nextTickEnd(after now: NIODeadline) -> NIODeadline {
        let time = Int64(clamping: now.uptimeNanoseconds)
        return .uptimeNanoseconds(UInt64(origin + (tickEnded(by: time) + 1) * tick))
    }

    /// The tick whose end is at or after `time` (a deadline fires once its tick has ended).
    private func tickEnding(atOrAfter time: Int64) -> Int64 {
        let offset = time - origin
        if offset <= 0 { return 0 }
        return offset / tick + (offset % tick == 0 ? 0 : 1)  // no overflow near distantFuture
    }

    /// The last tick that has ended by `time`.
    private func tickEnded(by time: Int64) -> Int64 {
        let offset = time - origin
        return offset <= 0 ? 0 : offset / tick
    }

    mutating func insert(_ value: Value, deadline: NIODeadline) -> Handle {
        let time = Int64(clamping: deadline.uptimeNanoseconds)
        let index: Int32
        if freeHead >= 0 {
            index = freeHead
            freeHead = entries[Int(index)].next
        } else {
            index = Int32(entries.count)
            entries.append(Entry())
        }
        // A deadline already past goes into the next slot to visit.
        let due = max(tickEnding(atOrAfter: time), processedTick + 1)
        let slot = Int32(due % Int64(heads.count))
        entries[Int(index)].value = value
        entries[Int(index)].deadline = time
        entries[Int(index)].slot = slot
        entries[Int(index)].previous = -1
        entries[Int(index)].next = heads[Int(slot)]
        if heads[Int(slot)] >= 0 { entries[Int(heads[Int(slot)])].previous = index }
        heads[Int(slot)] = index
        count += 1
        return Handle(index: index, generation: entries[Int(index)].generation)
    }

    /// Takes the entry out; nil if it already expired or was removed.
    @discardableResult
    mutating func remove(_ handle: Handle) -> Value? {
        let index = Int(handle.index)
        guard index < entries.count, entries[index].generation == handle.generation, entries[index].slot >= 0 else { return nil }
        return unlink(handle.index)
    }

    private mutating func unlink(_ index: Int32) -> Value? {
        let entry = entries[Int(index)]
        if entry.previous >= 0 {
            entries[Int(entry.previous)].next = entry.next
        } else {
            heads[Int(entry.slot)] = entry.next
        }
        if entry.next >= 0 { entries[Int(entry.next)].previous = entry.previous }
        let value = entry.value
        entries[Int(index)].value = nil
        entries[Int(index)].slot = -1
        entries[Int(index)].previous = -1
        entries[Int(index)].generation &+= 1
        entries[Int(index)].next = freeHead
        freeHead = index
        count -= 1
        return value
    }

    /// Removes and returns the entries whose deadline is at or before `now`, in no particular
    /// order, visiting the slots of every tick that ended since the last call (each slot once
    /// when more than a whole turn passed).
    mutating func expire(now: NIODeadline) -> [Value] {
        let time = Int64(clamping: now.uptimeNanoseconds)
        let last = tickEnded(by: time)
        guard last > processedTick else { return [] }
        var expired: [Value] = []
        let turns = min(last - processedTick, Int64(heads.count))
        for step in 0..<turns {
            let slot = Int((last - step) % Int64(heads.count))
            var index = heads[slot]
            while index >= 0 {
                let next = entries[Int(index)].next
                if entries[Int(index)].deadline <= time, let value = unlink(index) {
                    expired.append(value)
                }
                index = next
            }
        }
        processedTick = last
        return expired
    }
}
