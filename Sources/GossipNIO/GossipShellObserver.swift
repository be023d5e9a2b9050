import Gossip

/// What the gossip shell reports for metrics. Called on the shell's actor: keep it quick.
public protocol GossipShellObserver: Sendable {
    /// A probe (a bare memberlist ping) went out.
    func probeSent()
    /// A member joined, changed status or changed Meta; `members` is the whole list after it.
    func memberChanged(_ member: GossipMember, members: [GossipMember])
    /// The node's counters after a timer round, with the suspicions open now.
    func statsUpdated(_ stats: GossipStats, suspicions: Int)
    /// Inbound gossip dropped before the node saw it (`decompress_budget`: a compressed stream
    /// over the per-second budget).
    func inputRejected(reason: String, count: Int)
}
