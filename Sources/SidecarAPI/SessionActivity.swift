import SessionCore
import Synchronization

/// Distinct sessions this host served recently: the seed's Sᵢ ("sessions per server").
/// Memory is bounded: at most `capacity` sessions are tracked; beyond that the count saturates.
public final class SessionActivity: Sendable {
    private let lastSeen = Mutex<[Int: Int64]>([:])
    public let windowMs: Int64
    public let capacity: Int

    public init(windowMs: Int64 = 60_000, capacity: Int = 200_000) {
        self.windowMs = windowMs
        self.capacity = capacity
    }

    public func touch(_ id: SessionID, now: Int64) {
        let key = id.rawValue.hashValue
        lastSeen.withLock { map in
            if map.count < capacity || map[key] != nil { map[key] = now }
        }
    }

    public func forget(_ id: SessionID) {
        _ = lastSeen.withLock { $0.removeValue(forKey: id.rawValue.hashValue) }
    }

    /// Prunes what fell out of the window and returns how many remain.
    public func activeCount(now: Int64) -> Int {
        lastSeen.withLock { map in
            let cutoff = now - windowMs
            map = map.filter { $0.value >= cutoff }
            return map.count
        }
    }
}
