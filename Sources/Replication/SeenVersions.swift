import Synchronization

/// The highest acknowledged version this sidecar has seen of each recently used record (written by
/// it, or read from a write quorum of copies), so that copies rolled
/// back on the nodes (older sealed bytes written back over every copy: they still open, because
/// sealing cannot tell an old valid copy from the current one) are refused as the newest.
///
/// Bounded: two generations of at most `capacity` records each; when the young one fills, it becomes
/// the old one and the old one is dropped. A record used within the last `capacity` distinct records
/// is always remembered.
/// The access time is not compared: a copy whose only difference is an older access time is harmless.
public final class SeenVersions: Sendable {
    public struct Floor: Equatable, Sendable {
        public var version: UInt64
        public var isTombstone: Bool

        public init(version: UInt64, isTombstone: Bool) {
            self.version = version
            self.isTombstone = isTombstone
        }

        /// Whether `order` is older than this floor.
        public func isAbove(_ order: RecordOrder) -> Bool {
            if order.version != version { return order.version < version }
            return isTombstone && !order.isTombstone
        }
    }

    /// Keyed by a 64-bit hash of the store key (8 bytes a record, not the key's 47).
    private let generations: Mutex<(young: [UInt64: Floor], old: [UInt64: Floor])>
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        generations = Mutex(([:], [:]))
    }

    /// Raises the floor of `key` to `order` (it never goes down) and keeps it young.
    public func saw(_ order: RecordOrder, key: String) {
        let seen = Floor(version: order.version, isTombstone: order.isTombstone)
        let h = PlacementRing.hash(Array(key.utf8))
        generations.withLock { g in
            let floor = (g.young[h] ?? g.old[h]).map { $0.isAbove(order) ? $0 : seen } ?? seen
            if g.young[h] == floor { return }
            g.young[h] = floor
            if g.young.count >= capacity {
                g.old = g.young
                g.young = [:]
            }
        }
    }

    /// The highest version seen of `key`, if it is remembered.
    public func floor(of key: String) -> Floor? {
        let h = PlacementRing.hash(Array(key.utf8))
        return generations.withLock { $0.young[h] ?? $0.old[h] }
    }
}
