import Synchronization

/// Which store nodes this sidecar currently treats as down. Shared by every operation (a node
/// driver keeps failure state per connection, so every connection would rediscover a dead
/// node on its own). A node that fails is skipped for `retryInterval`, then tried again.
public final class NodeHealth: Sendable {
    private let downUntil: Mutex<[UInt64]>
    private let retryIntervalNanos: UInt64

    public init(nodeCount: Int, retryIntervalMs: Int) {
        downUntil = Mutex([UInt64](repeating: 0, count: nodeCount))
        retryIntervalNanos = UInt64(retryIntervalMs) * 1_000_000
    }

    public func isLive(_ node: Int, now: UInt64) -> Bool {
        downUntil.withLock { now >= $0[node] }
    }

    public func liveNodes(now: UInt64) -> [Bool] {
        downUntil.withLock { $0.map { now >= $0 } }
    }

    /// Returns true if the node was live until now (a new failover).
    @discardableResult
    public func markFailed(_ node: Int, now: UInt64) -> Bool {
        downUntil.withLock { state in
            let wasLive = now >= state[node]
            state[node] = now + retryIntervalNanos
            return wasLive
        }
    }
}
