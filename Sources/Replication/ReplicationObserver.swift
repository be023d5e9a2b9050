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
    /// A write that missed its quorum and could not yet be withdrawn everywhere (a node did not
    /// answer, or a store to it timed out and may still land): the shell keeps withdrawing it.
    public var unsettled: Unsettled?

    public struct Unsettled: Equatable, Sendable {
        public var record: Record
        public var key: String
        /// What the write replaced (nil for a create): what a withdrawal puts back.
        public var previous: Record?
        public var nodes: [Int]

        public init(record: Record, key: String, previous: Record?, nodes: [Int]) {
            self.record = record
            self.key = key
            self.previous = previous
            self.nodes = nodes
        }
    }

    public init(_ message: String, retryAfterSeconds: Int = 1, unsettled: Unsettled? = nil) {
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.unsettled = unsettled
    }

    public var description: String { message }
}

public enum WriteOutcome: Equatable, Sendable {
    /// Acknowledged: at least the write quorum of copies hold the record (or a newer version).
    case written
    /// Another write got there first; nothing of this one was acknowledged.
    case conflict
}
