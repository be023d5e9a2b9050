/// Carries out the replication core's decisions (`ReplicationDecisions`) against a cluster's nodes:
/// which nodes to read, which to write, in what order, within what budget. Synchronous: every
/// call blocks on `NodeIO`, so the shell runs it on threads of its own. It has no clock, no
/// randomness and no I/O of its own, so its tests run against an in-memory `NodeIO` and a manual clock.
///
/// - Placement: a record's copies live on the first `replicas` live nodes of its preference list.
/// - Reads: those nodes, in one round trip; a node that fails is replaced by the next live one.
/// - Writes: CAS on the first live node (the primary), then "set if newer" on the next ones,
///   acknowledged once `writeQuorum` copies hold the record. A timeout is "outcome unknown": the
///   node is read again and the write id tells whether it landed.
public struct ReplicaDriver: Sendable {
    public let io: any NodeIO
    public let ring: PlacementRing
    public let health: NodeHealth
    public let settings: ReplicationSettings
    public let sealing: any RecordSealing
    public let clock: any StoreClock
    public let observer: any ReplicationObserver
    /// The highest versions seen of recently used records: copies older than those are refused.
    public let seen: SeenVersions?
    /// Bounds every retry loop even when the clock does not move (a manual clock in tests).
    static let maxAttemptsPerNode = 8

    public init(io: any NodeIO, ring: PlacementRing, health: NodeHealth, settings: ReplicationSettings,
                sealing: any RecordSealing, clock: any StoreClock, observer: any ReplicationObserver,
                seen: SeenVersions? = nil) {
        precondition(ring.nodeCount == io.nodeCount, "the ring and the node I/O must list the same nodes")
        self.io = io
        self.ring = ring
        self.health = health
        self.settings = settings
        self.sealing = sealing
        self.clock = clock
        self.observer = observer
        self.seen = seen
    }

    /// What a read found.
    public struct ReadOutcome: Equatable, Sendable {
        /// The newest copy (tombstones and expired records included), nil when none exists.
        public var loaded: LoadedRecord?
        /// Nodes to repair with `loaded.record` (missing, undecodable or older copies).
        public var repair: [Int]
    }

    /// Nodes not currently marked down.
    public func liveNodeCount() -> Int {
        health.liveNodes(now: clock.monotonicNanos()).filter { $0 }.count
    }

    // MARK: Reads

    /// Reads one record: its first `replicas` live nodes, replacing any that fail with the next live one.
    public func read(_ key: String) throws(StoreUnavailable) -> ReadOutcome {
        let deadline = budgetDeadline()
        let floor = seen?.floor(of: key)
        let order = ring.preferenceList(for: key, count: ring.nodeCount)
        var next = order.makeIterator()
        var copies = [NodeCopy]()
        var toRead = [Int]()
        while copies.count < settings.replicas {
            toRead.removeAll()
            let now = clock.monotonicNanos()
            while copies.count + toRead.count < settings.replicas, let node = next.next() {
                if health.isLive(node, now: now) { toRead.append(node) }
            }
            if toRead.isEmpty || now >= deadline { break }
            let answers = io.gets(toRead.map { _ in [key] }, on: toRead)
            let opened = open(answers.map { (try? $0.get())?[key] }, key: key, nodes: toRead)
            for (i, node) in toRead.enumerated() {
                switch answers[i] {
                case .success: copies.append(NodeCopy(node: node, state: opened[i]))
                case .failure(let failure): nodeFailed(node, failure.outcome)
                }
            }
        }
        guard !copies.isEmpty else { throw StoreUnavailable("no store node answered") }
        if case .conflict = verdict(copies, order: order) {
            // Siblings of one version: read every other node too; the acknowledged one is held by a write quorum.
            let rest = order.filter { node in !copies.contains { $0.node == node } }
            let answers = io.gets(rest.map { _ in [key] }, on: rest)
            let opened = open(answers.map { (try? $0.get())?[key] }, key: key, nodes: rest)
            for (i, node) in rest.enumerated() where (try? answers[i].get()) != nil { copies.append(NodeCopy(node: node, state: opened[i])) }
        }
        return try outcome(of: copies, key: key, order: order, floor: floor)
    }

    /// Reads many records with one multi-key `gets` per node, all sent before any reply is read.
    /// A key whose nodes did not all answer is read again on its own by `read`.
    public func readBatch(_ keys: [String]) -> [Result<ReadOutcome, StoreUnavailable>] {
        let live = health.liveNodes(now: clock.monotonicNanos())
        var homes = [[Int]]()
        var targets = [[Int]]()
        homes.reserveCapacity(keys.count)
        targets.reserveCapacity(keys.count)
        var keysOfNode = [[String]](repeating: [], count: ring.nodeCount)
        // A key asked for twice in one batch is sent once to each of its nodes.
        var firstIndex = [String: Int](minimumCapacity: keys.count)
        for (i, key) in keys.enumerated() {
            let order = ring.preferenceList(for: key, count: ring.nodeCount)
            var nodes = [Int]()
            nodes.reserveCapacity(settings.replicas)
            for node in order where live[node] {
                nodes.append(node)
                if nodes.count == settings.replicas { break }
            }
            homes.append(Array(order.prefix(settings.replicas)))
            targets.append(nodes)
            if firstIndex.updateValue(i, forKey: key) == nil {
                for node in nodes { keysOfNode[node].append(key) }
            }
        }
        let involved = keysOfNode.indices.filter { !keysOfNode[$0].isEmpty }
        let floors = keys.map { seen?.floor(of: $0) }
        var itemsOfNode = [[String: StoredItem]?](repeating: nil, count: ring.nodeCount)
        if !involved.isEmpty {
            for (node, result) in zip(involved, io.gets(involved.map { keysOfNode[$0] }, on: involved)) {
                switch result {
                case .success(let items): itemsOfNode[node] = items
                case .failure(let failure): nodeFailed(node, failure.outcome)
                }
            }
        }
        let now = clock.wallMillis()
        return keys.indices.map { i in
            let key = keys[i], nodes = targets[i]
            guard nodes.count == settings.replicas, nodes.allSatisfy({ itemsOfNode[$0] != nil }) else {
                return Result { () throws(StoreUnavailable) in try read(key) }
            }
            let states = open(nodes.map { itemsOfNode[$0]![key] }, key: key, nodes: nodes)
            let copies = zip(nodes, states).map { NodeCopy(node: $0, state: $1) }
            let verdict = ReplicationDecisions.resolve(copies, home: homes[i], settings: settings, now: now)
            if case .conflict = verdict {
                return Result { () throws(StoreUnavailable) in try read(key) }
            }
            return Result { () throws(StoreUnavailable) in
                try outcome(of: verdict, copies: copies, key: key, floor: floors[i])
            }
        }
    }

    private func verdict(_ copies: [NodeCopy], order: [Int]) -> ReplicationDecisions.ReadVerdict {
        ReplicationDecisions.resolve(copies, home: Array(order.prefix(settings.replicas)), settings: settings, now: clock.wallMillis())
    }

    /// - Parameter floor: the highest acknowledged version known before the read was sent (a write
    ///   acknowledged while the read was in flight may or may not be in what it read).
    private func outcome(of copies: [NodeCopy], key: String, order: [Int], floor: SeenVersions.Floor?) throws(StoreUnavailable) -> ReadOutcome {
        let home = Array(order.prefix(settings.replicas))
        let verdict = ReplicationDecisions.resolve(copies, home: home, settings: settings, now: clock.wallMillis())
        return try outcome(of: verdict, copies: copies, key: key, floor: floor)
    }

    private func outcome(of verdict: ReplicationDecisions.ReadVerdict, copies: [NodeCopy], key: String,
                         floor: SeenVersions.Floor?) throws(StoreUnavailable) -> ReadOutcome {
        switch verdict {
        case .found(let record, let repair):
            if let floor, floor.isAbove(record.order) {
                observer.refusedOlderThanSeen(version: record.version, seen: floor.version)
                throw StoreUnavailable("every copy heard is older than version \(floor.version), which this sidecar has seen: rolled back or lost")
            }
            // Remembered only once a write quorum of copies holds it: a version seen on fewer may
            // be a write still in flight (or one that failed), which the next read may not see.
            if let seen, copies.count(where: { $0.state.record.map { !record.isNewer(than: $0) } ?? false }) >= settings.writeQuorum {
                seen.saw(record.order, key: key)
            }
            return ReadOutcome(loaded: LoadedRecord(record: record, token: ReadToken(copies: copies)), repair: repair)
        case .absent:
            return ReadOutcome(loaded: nil, repair: [])
        case .unknown(let heard, let needed):
            throw StoreUnavailable("heard \(heard) of the \(needed) home replicas needed to answer")
        case .conflict:
            throw StoreUnavailable("copies of one version disagree and no write quorum holds either; retry")
        }
    }

    /// The first `replicas` live nodes of `key`'s preference list: where its copies are.
    func liveReplicaNodes(for key: String, now: UInt64) -> [Int] {
        var nodes = [Int]()
        for node in ring.preferenceList(for: key, count: ring.nodeCount) where health.isLive(node, now: now) {
            nodes.append(node)
            if nodes.count == settings.replicas { break }
        }
        return nodes
    }

    /// Opens each copy. A write seals once and stores the same bytes on every node, so a copy
    /// equal to the one before it is not opened again.
    private func open(_ items: [StoredItem?], key: String, nodes: [Int]) -> [CopyState] {
        var previous: (value: [UInt8], record: Record?)?
        return zip(items, nodes).map { item, node in
            guard let item else { return .missing }
            if let previous, previous.value == item.value { return .present(cas: item.cas, record: previous.record) }
            let record = open(item.value, key: key, node: node)
            previous = (item.value, record)
            return .present(cas: item.cas, record: record)
        }
    }

    private func open(_ value: [UInt8], key: String, node: Int) -> Record? {
        do {
            return try sealing.open(value, storeKey: key)
        } catch {
            observer.copyFailedToOpen(node: node, error: error)
            return nil
        }
    }

    private func readOne(_ key: String, on node: Int) -> Result<CopyState, NodeFailure> {
        io.gets([[key]], on: [node])[0].map { items in
            open([items[key]], key: key, nodes: [node])[0]
        }
    }

    // MARK: Writes

    /// Writes `record` if the record still stands at `expected` (nil: no copy may exist).
    /// `.conflict` when another write got there first; `StoreUnavailable` when the write could not
    /// reach its quorum or its outcome stayed unknown.
    public func write(_ record: Record, key: String, expected: LoadedRecord?) throws(StoreUnavailable) -> WriteOutcome {
        let deadline = budgetDeadline()
        guard liveNodeCount() >= settings.writeQuorum else {
            throw StoreUnavailable("fewer live store nodes than the write quorum (\(settings.writeQuorum))")
        }
        let order = ring.preferenceList(for: key, count: ring.nodeCount)
        let copy = SealedCopy(value: sealing.seal(record, storeKey: key), expiresAt: record.effectiveExpiresAt, order: record.order)
        // What each target node holds: from the read this write is based on where it saw the node,
        // otherwise read now, all such nodes in one round trip.
        var known = [Int: CopyState]()
        for copy in expected?.token.copies ?? [] { known[copy.node] = copy.state }
        let unread = liveReplicaNodes(for: key, now: clock.monotonicNanos()).filter { known[$0] == nil }
        if !unread.isEmpty {
            let answers = io.gets(unread.map { _ in [key] }, on: unread)
            let opened = open(answers.map { (try? $0.get())?[key] }, key: key, nodes: unread)
            for (i, node) in unread.enumerated() where (try? answers[i].get()) != nil { known[node] = opened[i] }
        }
        var index = 0
        var primary: Int?
        // Nodes where a store timed out and was never confirmed: it may still land there later
        // (a frozen node applies what it had queued when it thaws).
        var uncertain = Set<Int>()
        // 1. CAS on the first live node that answers.
        while primary == nil, index < order.count, clock.monotonicNanos() < deadline {
            let node = order[index]
            index += 1
            guard health.isLive(node, now: clock.monotonicNanos()) else { continue }
            switch writePrimary(record, copy, key: key, expected: expected?.record, node: node, current: known[node], deadline: deadline,
                                uncertain: &uncertain) {
            case .written: primary = node
            case .conflict: return .conflict
            case .nodeDown: continue
            }
        }
        guard let primary else {
            throw StoreUnavailable("no store node accepted the write",
                                   unsettled: uncertain.isEmpty ? nil : .init(record: record, key: key, previous: expected?.record, nodes: uncertain.sorted()))
        }
        // 2. The other copies, on the next live nodes clockwise.
        var holders = [primary]
        var siblings = [(node: Int, cas: UInt64)]()
        while holders.count < settings.replicas, index < order.count, clock.monotonicNanos() < deadline {
            let node = order[index]
            index += 1
            guard node != primary, health.isLive(node, now: clock.monotonicNanos()) else { continue }
            switch replicate(record, copy, key: key, to: node, current: known[node], deadline: deadline, uncertain: &uncertain) {
            case .holds: holders.append(node)
            case .sibling(let cas): siblings.append((node, cas))
            case .notWritten: break
            }
        }
        guard ReplicationDecisions.quorumReached(acks: holders.count, settings: settings) else {
            // Not acknowledged: take it back where it landed, so that a write acknowledged meanwhile
            // on the other side of a partition (same version, other data) is not outranked by it
            // after the heal.
            let unanswered = withdraw(record, key: key, from: holders, restoring: expected?.record)
            let unsettled = uncertain.union(unanswered).sorted()
            throw StoreUnavailable("the write reached \(holders.count) of \(settings.writeQuorum) required copies; "
                                   + (unsettled.isEmpty ? "it was withdrawn" : "it is being withdrawn; its outcome is unknown until then"),
                                   unsettled: unsettled.isEmpty ? nil : .init(record: record, key: key, previous: expected?.record, nodes: unsettled))
        }
        replaceSiblings(siblings, with: copy, key: key)
        seen?.saw(record.order, key: key)
        return .written
    }

    /// Once this write holds a write quorum, a copy of another write of the same version that it
    /// passed over cannot be acknowledged too: when two write quorums cannot be disjoint
    /// (2 × writeQuorum > nodes), every acknowledged write of a version holds a majority of copies,
    /// and a node holds one of them at a time. The sibling is then replaced (CAS over the copy seen),
    /// so no replica is left holding a refused write at an acknowledged version. Best effort: a
    /// node that changed meanwhile is left to the read rules.
    private func replaceSiblings(_ siblings: [(node: Int, cas: UInt64)], with copy: SealedCopy, key: String) {
        guard !siblings.isEmpty, 2 * settings.writeQuorum > ring.nodeCount else { return }
        for sibling in siblings {
            let outcome = io.cas(copy, key: key, on: sibling.node, cas: sibling.cas)
            switch outcome {
            case .ok, .notStored: break
            case .timedOut: nodeFailed(sibling.node, outcome, markDown: false)
            case .failed: nodeFailed(sibling.node, outcome)
            }
        }
    }

    /// Writes `record` to each of `nodes` that does not already hold it or something newer.
    /// Returns how many nodes were written. Used by read repair.
    public func repair(_ record: Record, key: String, nodes: [Int]) -> Int {
        let deadline = budgetDeadline()
        let copy = SealedCopy(value: sealing.seal(record, storeKey: key), expiresAt: record.effectiveExpiresAt, order: record.order)
        var uncertain = Set<Int>()
        return nodes.filter { node in
            if case .holds = replicate(record, copy, key: key, to: node, current: nil, deadline: deadline, uncertain: &uncertain) { return true }
            return false
        }.count
    }

    /// Takes a write that missed its quorum back from `nodes`, where they hold it: the record it
    /// replaced is put back (CAS over the write's copy), or the copy is removed for a create.
    /// Returns the nodes that could not be settled (no answer): the caller tries them again later.
    public func withdraw(_ record: Record, key: String, from nodes: [Int], restoring previous: Record?) -> [Int] {
        let restore = previous.map { SealedCopy(value: sealing.seal($0, storeKey: key), expiresAt: $0.effectiveExpiresAt, order: $0.order) }
        var unanswered = [Int]()
        for node in nodes {
            switch readOne(key, on: node) {
            case .failure: unanswered.append(node)
            case .success(.present(let cas, let held?)) where held.writeID == record.writeID:
                let outcome = restore.map { io.cas($0, key: key, on: node, cas: cas) } ?? io.delete(key: key, on: node)
                if outcome != .ok && outcome != .notStored { unanswered.append(node) }
            case .success: break  // not there (never landed, or overwritten since): settled
            }
        }
        return unanswered
    }

    private enum PrimaryResult { case written, conflict, nodeDown }

    /// The node's copy: `known` (the copy last read there) the first time, a fresh read after that.
    /// Nil when the node did not answer (it is then marked down).
    private func copyState(_ key: String, on node: Int, known: inout CopyState?) -> CopyState? {
        if let state = known.take() { return state }
        switch readOne(key, on: node) {
        case .success(let state): return state
        case .failure(let failure):
            nodeFailed(node, failure.outcome)
            return nil
        }
    }

    /// CAS (or add) on one node, read again and retried while the outcome is unknown.
    /// `current`, when known, is the node's copy as last read and stands in for the first read.
    private func writePrimary(_ record: Record, _ copy: SealedCopy, key: String, expected: Record?, node: Int,
                              current: CopyState?, deadline: UInt64, uncertain: inout Set<Int>) -> PrimaryResult {
        var current = current
        var unknown = false
        for _ in 0..<Self.maxAttemptsPerNode where clock.monotonicNanos() < deadline {
            guard let state = copyState(key, on: node, known: &current) else { return .nodeDown }
            let outcome: NodeOutcome
            switch ReplicationDecisions.primaryStep(current: state, writing: record, expected: expected, outcomeWasUnknown: unknown) {
            case .alreadyWritten:
                uncertain.remove(node)
                return .written
            case .conflict: return .conflict
            case .store(let cas?): outcome = io.cas(copy, key: key, on: node, cas: cas)
            case .store(nil): outcome = io.add(copy, key: key, on: node)
            }
            switch outcome {
            case .ok:
                uncertain.remove(node)
                return .written
            case .notStored: return .conflict
            case .timedOut:
                unknown = true  // read again and decide: it may have been applied
                uncertain.insert(node)
                nodeFailed(node, outcome, markDown: false)
            case .failed:
                nodeFailed(node, outcome)
                return .nodeDown
            }
        }
        nodeFailed(node, .timedOut)
        return .nodeDown
    }

    /// Writes `record` to `node` unless it already holds it or something newer. True once it holds.
    private enum ReplicaResult {
        /// The node holds the write (or a newer one).
        case holds
        /// The node holds another write of the same version, with this CAS id.
        case sibling(cas: UInt64)
        /// The node did not answer, or the deadline passed.
        case notWritten
    }

    private func replicate(_ record: Record, _ copy: SealedCopy, key: String, to node: Int,
                           current: CopyState?, deadline: UInt64, uncertain: inout Set<Int>) -> ReplicaResult {
        var current = current
        for _ in 0..<Self.maxAttemptsPerNode where clock.monotonicNanos() < deadline {
            guard let state = copyState(key, on: node, known: &current) else { return .notWritten }
            switch ReplicationDecisions.replicaStep(state, record) {
            case .holds:
                uncertain.remove(node)
                return .holds
            case .sibling:
                guard let cas = state.casID else { return .notWritten }
                return .sibling(cas: cas)
            case .store: break
            }
            let outcome = io.setIfNewer(copy, key: key, on: node, replacingCAS: state.casID)
            switch outcome {
            case .ok:
                uncertain.remove(node)
                return .holds
            case .notStored: continue  // raced with another writer: look again
            case .timedOut:
                uncertain.insert(node)
                nodeFailed(node, outcome, markDown: false)
            case .failed:
                nodeFailed(node, outcome)
                return .notWritten
            }
        }
        return .notWritten
    }

    private func budgetDeadline() -> UInt64 {
        clock.monotonicNanos() + UInt64(settings.operationBudgetMs) * 1_000_000
    }

    private func nodeFailed(_ node: Int, _ outcome: NodeOutcome, markDown: Bool = true) {
        let newlyDown = markDown && health.markFailed(node, now: clock.monotonicNanos())
        observer.nodeFailed(node, outcome: outcome, newlyDown: newlyDown)
    }
}
