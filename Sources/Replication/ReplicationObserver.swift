/// What the core reports to its shell (metrics, logs). Called on the thread that runs the operation.
public protocol ReplicationObserver: Sendable {
    /// A node failed a call. `newlyDown` is true when this marked a live node down (a failover).
    func nodeFailed(_ node: Int, outcome: NodeOutcome, newlyDown: Bool)
    /// A copy was present but did not open: it is treated as missing and repaired.
    func copyFailedToOpen(node: Int, error: any Error)
    /// The newest copy heard was older than a version this sidecar had seen: refused.
    func refusedOlderThanSeen(version: UInt64, seen: UInt64)
}

/// The error every store operation fails with when it cannot know or cannot reach its quorum:
/// the API answers 503 with `Retry-After`, the memcached front door `SERVER_ERROR`.
public struct StoreUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var retryAfterSeconds: Int

    public init(_ message: String, retryAfterSeconds: Int = 1) {
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }
}

public enum WriteOutcome: Equatable, Sendable {
    /// Acknowledged: at least the write quorum of copies hold the record (or a newer version).
    case written
    /// Another write got there first; nothing of this one was acknowledged.
    case conflict
}
