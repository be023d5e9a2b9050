import Gossip

/// What the gossip shell publishes whenever the mesh changes: an immutable picture of the
/// members (status, address, Meta) and each member's latest load, decoded once on arrival.
public struct GossipView<Load: Sendable & Equatable>: Sendable, Equatable {
    /// Bumped on every publication.
    public var version: UInt64 = 0
    /// Bumped when `members` changed (a load-only change keeps it): readers that derive
    /// something from the members alone can keep it across load updates.
    public var membersVersion: UInt64 = 0
    /// Every known member, self included, sorted by name.
    public var members: [GossipMember] = []
    /// Each member's latest load (self included); none for dead or left members.
    public var loads: [String: Load] = [:]
    /// This node's name.
    public var localName: String = ""
    /// True once this node has a peer (or had no seeds to join).
    public var joined = false

    public init() {}
}
