import NIOCore
import StreamConfig
import Synchronization

/// Which parent answered a node's `stream_info` pre-flight, so that the node's STREAM request
/// goes to the same parent.
///
/// A 2.x child decides from the `stream_info` answer whether and when to connect (how recent
/// the parent's copy of its data is, whether the parent is itself, a loop): those decisions
/// are about the parent whose answer the relay forwarded. Its STREAM request that follows is
/// sent to that parent first; the others stay behind it as failover.
///
/// Keyed by the child's address and machine GUID (another host cannot steer this node's
/// choice), kept for `lifetime` (the child connects within seconds of its pre-flight), and
/// bounded: at `capacity`, expired entries go first, then the oldest.
final class StreamInfoPairings: Sendable {
    struct Key: Hashable {
        var peer: String
        var machineGUID: String
    }

    private struct Entry {
        var destination: String
        var expires: NIODeadline
    }

    let capacity: Int
    let lifetime: TimeAmount
    private let entries = Mutex<[Key: Entry]>([:])

    init(capacity: Int = 16_384, lifetime: TimeAmount = .seconds(60)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// `destination` (as configured, `Destination.raw`) answered this node's pre-flight.
    func remember(_ key: Key, destination: String, now: NIODeadline) {
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value.expires < $1.value.expires })?.key {
                    entries.removeValue(forKey: oldest)
                }
            }
            entries[key] = Entry(destination: destination, expires: now + lifetime)
        }
    }

    /// The destination that answered this node's pre-flight, if it is still fresh (taken: a
    /// pre-flight pairs with one STREAM request).
    func take(_ key: Key, now: NIODeadline) -> String? {
        entries.withLock { entries in
            guard let entry = entries.removeValue(forKey: key), entry.expires > now else { return nil }
            return entry.destination
        }
    }

    var count: Int { entries.withLock { $0.count } }

    /// `destinations` with the one named `preferred` moved to the front (unchanged when it is
    /// not among them: the configuration changed since the pre-flight).
    static func ordered(_ destinations: [Destination], preferring preferred: String) -> [Destination]? {
        guard let index = destinations.firstIndex(where: { $0.raw == preferred }) else { return nil }
        var reordered = destinations
        let chosen = reordered.remove(at: index)
        reordered.insert(chosen, at: 0)
        return reordered
    }
}
