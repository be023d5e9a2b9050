/// The decisions of the replication core, as pure functions of what was read: which copy is the
/// newest, which copies need repair, whether silence is an answer, what a write does on each node.
/// No I/O, no clock: `ReplicaDriver` feeds them what the nodes said and carries out what they decide.
public enum ReplicationDecisions {
    /// The result of reading a record's copies.
    public enum ReadVerdict: Equatable, Sendable {
        /// The newest copy (possibly a tombstone or expired: the caller decides what is live),
        /// and the nodes whose copy is missing, undecodable or older, to be repaired with it.
        case found(Record, repair: [Int])
        /// No copy exists: enough home replicas were heard that no acknowledged write can hide elsewhere.
        case absent
        /// Too few home replicas were heard to know.
        case unknown(heardHome: Int, needed: Int)
        /// Copies of one version with different contents, none held by a write quorum of the copies
        /// heard: the other nodes must be read to find the acknowledged one.
        case conflict
    }

    /// Resolves the copies read from the nodes that answered. `home` is the record's home replicas
    /// (the first `replicas` nodes of its preference list, live or not).
    ///
    /// A tombstone is final wherever it is found: a record never lives again after one. Any other
    /// answer, a live copy or none, needs `settings.homeReplicasForAnswer` home replicas heard:
    /// a copy found only off its home nodes may be older than one on a home node that was not heard.
    public static func resolve(_ copies: [NodeCopy], home: [Int], settings: ReplicationSettings, now: Int64) -> ReadVerdict {
        var newest: Record?
        for copy in copies {
            if let record = copy.state.record, newest.map({ record.isNewer(than: $0) }) ?? true { newest = record }
        }
        let heardHome = copies.reduce(0) { $0 + (home.contains($1.node) ? 1 : 0) }
        let needed = settings.homeReplicasForAnswer
        guard let newest else {
            return heardHome >= needed ? .absent : .unknown(heardHome: heardHome, needed: needed)
        }
        guard newest.isTombstone || heardHome >= needed else { return .unknown(heardHome: heardHome, needed: needed) }
        // Two copies of the same version with different contents: one write was acknowledged, the
        // other missed its quorum and is being withdrawn (or a store of it that timed out landed
        // late). The acknowledged one is held by at least a write quorum of copies; if no content
        // is, nothing heard can tell which it is, so the answer waits (and nothing is repaired).
        let siblings = copies.compactMap(\.state.record).filter { $0.version == newest.version && $0.isTombstone == newest.isTombstone }
        if siblings.contains(where: { !$0.sameContent(as: newest) }) {
            let backed = siblings.filter { candidate in siblings.count { $0.sameContent(as: candidate) } >= settings.writeQuorum }
            guard let winner = backed.max(by: { $1.isNewer(than: $0) }) else { return .conflict }
            let repair = copies.filter { copy in copy.state.record.map { $0.version < winner.version } ?? true }.map(\.node)
            return .found(winner, repair: winner.isLive(at: now) || winner.isTombstone ? repair : [])
        }
        // An expired record is left to expire on every node; repairing it would only extend its life.
        let repairable = newest.isTombstone || newest.isLive(at: now)
        let repair = repairable ? copies.filter { copy in
            copy.state.record.map { newest.isNewer(than: $0) } ?? true
        }.map(\.node) : []
        return .found(newest, repair: repair)
    }

    /// What the first node of a write (the primary) does with the copy it holds.
    public enum PrimaryStep: Equatable, Sendable {
        /// Store with `cas` over the copy with this CAS id, or `add` where there is none.
        case store(replacingCAS: UInt64?)
        /// The write's own earlier attempt, whose outcome was unknown, had landed.
        case alreadyWritten
        /// Another write got there first: the caller reads again and decides.
        case conflict
    }

    /// The primary's step. `expected` is the record the write was based on (nil: none may exist).
    /// A copy older than `expected` is a stale node and may be overwritten; a newer or different one
    /// is a conflict. An undecodable copy is never overwritten by a create.
    public static func primaryStep(current: CopyState, writing record: Record, expected: Record?, outcomeWasUnknown: Bool) -> PrimaryStep {
        switch current {
        case .missing:
            return .store(replacingCAS: nil)
        case .present(let cas, nil):
            return expected == nil ? .conflict : .store(replacingCAS: cas)
        case .present(let cas, let found?):
            if outcomeWasUnknown, found.writeID == record.writeID, found.version == record.version { return .alreadyWritten }
            guard let expected, found == expected || expected.isNewer(than: found) else { return .conflict }
            return .store(replacingCAS: cas)
        }
    }

    /// What a write does with the copy a replica holds.
    public enum ReplicaStep: Equatable, Sendable {
        /// The replica holds this write (possibly touched since) or a newer version: it counts.
        case holds
        /// The replica holds nothing, an undecodable copy, an older version or an older touch of
        /// this write: store over it ("set if newer").
        case store
        /// The replica holds another write of the same version (a refused write whose store landed
        /// late, or a write through another primary): it neither counts as a copy of this write
        /// nor is overwritten, since it may be the acknowledged one. The write goes to the next node.
        case sibling
    }

    public static func replicaStep(_ current: CopyState, _ record: Record) -> ReplicaStep {
        guard let held = current.record else { return .store }
        if held.version != record.version { return held.version > record.version ? .holds : .store }
        guard held.sameContent(as: record) else { return .sibling }
        return record.isNewer(than: held) ? .store : .holds
    }

    /// Whether a write held by `acks` copies is acknowledged.
    public static func quorumReached(acks: Int, settings: ReplicationSettings) -> Bool {
        acks >= settings.writeQuorum
    }
}
