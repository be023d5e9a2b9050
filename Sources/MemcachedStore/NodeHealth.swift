import Synchronization

/// Which memcached nodes this sidecar currently treats as down. Shared by all handles of all
/// pools (libmemcached keeps failure state per handle, so every clone would rediscover a dead
/// node on its own). A node that fails is skipped for `retryInterval`, then tried again.
final class NodeHealth: Sendable {
    private let downUntil: Mutex<[UInt64]>
    private let retryIntervalNanos: UInt64

    init(nodeCount: Int, retryIntervalMs: Int) {
        downUntil = Mutex([UInt64](repeating: 0, count: nodeCount))
        retryIntervalNanos = UInt64(retryIntervalMs) * 1_000_000
    }

    func isLive(_ node: Int, now: UInt64) -> Bool {
        downUntil.withLock { now >= $0[node] }
    }

    func liveNodes(now: UInt64) -> [Bool] {
        downUntil.withLock { $0.map { now >= $0 } }
    }

    /// Returns true if the node was live until now (a new failover).
    @discardableResult
    func markFailed(_ node: Int, now: UInt64) -> Bool {
        downUntil.withLock { state in
            let wasLive = now >= state[node]
            state[node] = now + retryIntervalNanos
            return wasLive
        }
    }
}
