/// The operations the replication core needs from the nodes of one store cluster (memcached,
/// Redis). Every method blocks until the node answered or its I/O deadline passed: callers run
/// them on threads of their own, never on an event loop. Nodes are indices into the cluster's
/// node list, the same list the placement ring was built from.
public protocol NodeIO: Sendable {
    var nodeCount: Int { get }

    /// One multi-key read per listed node (`keys[i]` on `nodes[i]`), all sent before any reply is
    /// read, so a batch costs about one round trip. A key without a copy is absent from its node's
    /// dictionary.
    func gets(_ keys: [[String]], on nodes: [Int]) -> [Result<[String: StoredItem], NodeFailure>]

    /// Stores `copy` only if the node's copy still has CAS id `cas`.
    func cas(_ copy: SealedCopy, key: String, on node: Int, cas: UInt64) -> NodeOutcome

    /// Stores `copy` only if the node holds no copy.
    func add(_ copy: SealedCopy, key: String, on node: Int) -> NodeOutcome

    /// Stores `copy` only if the node's copy is older than `copy.order` or absent. `replacingCAS`
    /// is the CAS id of the (older) copy the caller last read there, nil where it read none: a
    /// driver without a server-side comparison writes with `cas` over it, or `add`.
    /// `.notStored` means the node holds something at least as new, or changed since it was read.
    func setIfNewer(_ copy: SealedCopy, key: String, on node: Int, replacingCAS: UInt64?) -> NodeOutcome

    /// Removes the node's copy (`.notStored` when there was none).
    func delete(key: String, on node: Int) -> NodeOutcome
}

/// One copy as read from a node: the stored bytes and the node's CAS id for them.
public struct StoredItem: Equatable, Sendable {
    public var value: [UInt8]
    public var cas: UInt64

    public init(value: [UInt8], cas: UInt64) {
        self.value = value
        self.cas = cas
    }
}

/// A record as written to nodes: sealed once, so every copy holds the same bytes.
public struct SealedCopy: Equatable, Sendable {
    public var value: [UInt8]
    /// When the node may drop the copy (ms since the Unix epoch; `Record.never` for never).
    public var expiresAt: Int64
    /// The record's position among its copies, for drivers that compare on the server.
    public var order: RecordOrder

    public init(value: [UInt8], expiresAt: Int64, order: RecordOrder) {
        self.value = value
        self.expiresAt = expiresAt
        self.order = order
    }
}

/// The result of one write on one node, reduced to what the core distinguishes.
public enum NodeOutcome: Equatable, Sendable {
    case ok
    /// The condition failed: `add` found a copy, `cas` found another CAS id or no copy,
    /// `setIfNewer` found one at least as new.
    case notStored
    /// The node is unreachable or refused; nothing was written.
    case failed(String)
    /// The deadline passed after the request was sent: it may or may not have been applied.
    case timedOut
}

/// A read that got no answer from its node.
public struct NodeFailure: Error, Equatable, Sendable {
    public var outcome: NodeOutcome
    public init(_ outcome: NodeOutcome) { self.outcome = outcome }
}
