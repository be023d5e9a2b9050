import CLibMemcached
import Logging
import NIOPosix
import SessionCore
import Synchronization

/// Sessions on a memcached cluster, with placement and replication owned by the sidecar
/// (libmemcached's own replication copies only set/delete, fire-and-forget; see the reference).
///
/// - Placement: `PlacementRing`; a session's copies live on the first `replicas` live nodes clockwise.
/// - Writes: CAS on the first live node (the primary), then conditional writes to the others.
///   Acknowledged only when `writeQuorum` copies hold the record or a newer one.
/// - Reads: `gets` on all `replicas` nodes in one pipelined round trip; the newest copy wins
///   and stale or missing copies are repaired in the background.
/// - A POLL_TIMEOUT is "outcome unknown": the node is re-read and the write retried by version.
///
/// Every libmemcached call runs on `threadPool` (writes, repairs) or on the read coalescer's
/// threads (reads), never on an event loop.
public final class ReplicatedSessionStore: SessionStorage {
    public let config: MemcachedStoreConfig
    private let ring: PlacementRing
    private let pools: [MemcachedHandlePool]
    private let health: NodeHealth
    private let sealer: RecordSealer
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let metrics = StoreMetrics()
    private let repairsInFlight = Atomic<Int>(0)
    private static let maxRepairsInFlight = 256
    private let reads = ReadCoalescer<Result<SessionRecord?, SessionError>>(
        maxBatch: maxReadBatch, stoppedReply: .failure(shuttingDown))
    private static let shuttingDown = SessionError.unavailable("the store is shutting down", retryAfterSeconds: 1)
    /// The most reads one multi-key `gets` carries.
    static let maxReadBatch = 64

    public init(config: MemcachedStoreConfig, sealer: RecordSealer, threadPool: NIOThreadPool, logger: Logger) throws {
        if let problem = config.validate() { throw StoreConfigError(message: problem) }
        self.config = config
        self.ring = PlacementRing(nodes: config.nodes)
        self.pools = try config.nodes.map { node in
            try MemcachedHandlePool(address: MemcachedAddress(node)!, size: config.threads + config.readThreads,
                                    connectTimeoutMs: config.connectTimeoutMs, pollTimeoutMs: config.pollTimeoutMs)
        }
        self.health = NodeHealth(nodeCount: config.nodes.count, retryIntervalMs: config.retryIntervalMs)
        self.sealer = sealer
        self.threadPool = threadPool
        self.logger = logger
        reads.start(threads: config.readThreads) { [weak self] keys in
            guard let self else { return keys.map { _ in .failure(Self.shuttingDown) } }
            return self.loadBatchBlocking(keys)
        }
    }

    deinit { reads.stop() }

    /// Stops the read threads; reads after this answer 503. Writes stop with `threadPool`.
    public func shutdown() { reads.stop() }

    /// Nodes not currently marked down.
    public func liveNodeCount() -> Int {
        health.liveNodes(now: MonotonicTime.nanos()).filter { $0 }.count
    }

    /// True when a write could reach its quorum right now.
    public var hasWriteQuorum: Bool { liveNodeCount() >= config.writeQuorum }

    // MARK: SessionStorage

    public func load(storageKey: String) async throws(SessionError) -> SessionRecord? {
        let start = MonotonicTime.nanos()
        defer { metrics.loadLatency.recordNanoseconds(Int64(MonotonicTime.nanos() - start)) }
        metrics.loads.increment()
        return try await reads.read(storageKey).get()
    }

    public func write(_ record: SessionRecord, storageKey: String, expected: SessionRecord?) async throws(SessionError) -> WriteOutcome {
        let start = MonotonicTime.nanos()
        defer { metrics.writeLatency.recordNanoseconds(Int64(MonotonicTime.nanos() - start)) }
        metrics.writes.increment()
        let outcome = try await offload { () throws(SessionError) -> WriteOutcome in
            try self.writeBlocking(record, key: storageKey, expected: expected)
        }
        if outcome == .conflict { metrics.conflicts.increment() }
        return outcome
    }

    private func offload<T: Sendable>(_ body: @escaping @Sendable () throws(SessionError) -> T) async throws(SessionError) -> T {
        let result: Result<T, SessionError>
        do {
            result = try await threadPool.runIfActive {
                do throws(SessionError) { return .success(try body()) } catch { return .failure(error) }
            }
        } catch {
            throw Self.shuttingDown
        }
        return try result.get()
    }

    // MARK: Reads

    private func loadBlocking(_ key: String) throws(SessionError) -> SessionRecord? {
        let deadline = MonotonicTime.nanos() + UInt64(config.operationBudgetMs) * 1_000_000
        let order = ring.preferenceList(for: key, count: ring.nodeCount)
        var next = order.makeIterator()
        var copies = [(node: Int, record: SessionRecord?)]()
        var toRead = [Int]()
        // Read `replicas` reachable nodes: start with the first live ones, replace any that fail.
        while copies.count < config.replicas {
            toRead.removeAll()
            let now = MonotonicTime.nanos()
            while copies.count + toRead.count < config.replicas, let node = next.next() {
                if health.isLive(node, now: now) { toRead.append(node) }
            }
            if toRead.isEmpty || now >= deadline { break }
            for (node, result) in zip(toRead, readCopies(key, from: toRead)) {
                switch result {
                case .success(let record): copies.append((node, record))
                case .failure(let failure): nodeFailed(node, failure.outcome)
                }
            }
        }
        guard !copies.isEmpty else {
            metrics.unavailable.increment()
            throw .unavailable("no memcached node answered", retryAfterSeconds: 1)
        }
        return newest(of: copies, key: key)
    }

    /// The newest copy; older or missing copies are repaired in the background.
    private func newest(of copies: [(node: Int, record: SessionRecord?)], key: String) -> SessionRecord? {
        let best = copies.compactMap(\.record).max { !$0.isNewer(than: $1) && $0 != $1 }
        if let best {
            let stale = copies.filter { copy in copy.record.map { best.isNewer(than: $0) } ?? true }.map(\.node)
            if !stale.isEmpty { scheduleRepair(best, key: key, nodes: stale) }
        }
        return best
    }

    /// Reads a batch of sessions (see `ReadCoalescer`): each key's first `replicas` live nodes, with
    /// one multi-key `gets` per node, all sent before any reply is read. A key whose nodes did not
    /// all answer, or that has fewer live nodes than `replicas`, is read again on its own by
    /// `loadBlocking`, which replaces failed nodes with the next live ones.
    private func loadBatchBlocking(_ keys: [String]) -> [Result<SessionRecord?, SessionError>] {
        let now = MonotonicTime.nanos()
        var targets = [[Int]]()
        targets.reserveCapacity(keys.count)
        var keysOfNode = [[String]](repeating: [], count: pools.count)
        for key in keys {
            let nodes = liveReplicaNodes(for: key, now: now)
            targets.append(nodes)
            for node in nodes where !keysOfNode[node].contains(key) { keysOfNode[node].append(key) }
        }
        let involved = keysOfNode.indices.filter { !keysOfNode[$0].isEmpty }
        var itemsOfNode = [[String: MemcachedItem]?](repeating: nil, count: pools.count)
        if !involved.isEmpty {
            let fetched = withHandles(involved) { handles in
                MemcachedCommands.getsMany(involved.map { keysOfNode[$0] }, handles: handles)
            }
            for (node, result) in zip(involved, fetched) {
                switch result {
                case .success(let items): itemsOfNode[node] = items
                case .failure(let failure): nodeFailed(node, failure.outcome)
                }
            }
        }
        return zip(keys, targets).map { key, nodes in
            guard nodes.count == config.replicas, nodes.allSatisfy({ itemsOfNode[$0] != nil }) else {
                return Result { () throws(SessionError) in try loadBlocking(key) }
            }
            let records = openCopies(nodes.map { itemsOfNode[$0]![key] }, key: key)
            return .success(newest(of: zip(nodes, records).map { (node: $0, record: $1) }, key: key))
        }
    }

    /// The first `replicas` live nodes of `key`'s preference list: where its copies are.
    private func liveReplicaNodes(for key: String, now: UInt64) -> [Int] {
        var nodes = [Int]()
        for node in ring.preferenceList(for: key, count: ring.nodeCount) where health.isLive(node, now: now) {
            nodes.append(node)
            if nodes.count == config.replicas { break }
        }
        return nodes
    }

    /// One pipelined `gets` per node; undecodable or tampered copies count as missing (and get repaired).
    private func readCopies(_ key: String, from nodes: [Int]) -> [Result<SessionRecord?, MemcachedFailure>] {
        let items = withHandles(nodes) { handles in MemcachedCommands.getsPipelined(key, handles: handles) }
        let records = openCopies(items.map { (try? $0.get()) ?? nil }, key: key)
        return zip(items, records).map { item, record in item.map { _ in record } }
    }

    /// Opens each copy. A write seals once and stores the same bytes on every node, so a copy
    /// equal to the one before it is not decrypted again.
    private func openCopies(_ items: [MemcachedItem?], key: String) -> [SessionRecord?] {
        var previous: (value: [UInt8], record: SessionRecord?)?
        return items.map { item in
            guard let item else { return nil }
            if let previous, previous.value == item.value { return previous.record }
            let record = open(item.value, key: key)
            previous = (item.value, record)
            return record
        }
    }

    private func open(_ value: [UInt8], key: String) -> SessionRecord? {
        do {
            return try sealer.open(value, storageKey: key)
        } catch {
            metrics.integrityFailures.increment()
            logger.error("session copy failed integrity check; not served", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// `gets` on one node. A connection-level failure is retried once at once: after a memcached
    /// restart every pooled handle holds a dead socket, and its next call reconnects.
    private func getsOne(_ key: String, on node: Int) -> Result<MemcachedItem?, MemcachedFailure> {
        var result = withHandles([node]) { MemcachedCommands.getsPipelined(key, handles: $0) }[0]
        if case .failure(let f) = result, case .failed = f.outcome {
            pools[node].resetConnections()
            result = withHandles([node]) { MemcachedCommands.getsPipelined(key, handles: $0) }[0]
        }
        return result
    }

    /// One store command on one node, retried once after a connection-level failure (see `getsOne`).
    private func storeOne(on node: Int, _ command: (UnsafeMutablePointer<memcached_st>) -> MemcachedOutcome) -> MemcachedOutcome {
        var outcome = pools[node].withHandle(command) ?? .failed("handle pool exhausted")
        if case .failed = outcome {
            pools[node].resetConnections()
            outcome = pools[node].withHandle(command) ?? .failed("handle pool exhausted")
        }
        return outcome
    }

    /// Checks out one handle per node (in order), runs `body`, returns them.
    private func withHandles<T>(_ nodes: [Int], _ body: ([UnsafeMutablePointer<memcached_st>]) -> [Result<T, MemcachedFailure>]) -> [Result<T, MemcachedFailure>] {
        func go(_ i: Int, _ acc: [UnsafeMutablePointer<memcached_st>]) -> [Result<T, MemcachedFailure>] {
            if i == nodes.count { return body(acc) }
            return pools[nodes[i]].withHandle { go(i + 1, acc + [$0]) }
                ?? nodes.map { _ in .failure(MemcachedFailure(.failed("handle pool exhausted"))) }
        }
        return go(0, [])
    }

    // MARK: Writes

    private func writeBlocking(_ record: SessionRecord, key: String, expected: SessionRecord?) throws(SessionError) -> WriteOutcome {
        let deadline = MonotonicTime.nanos() + UInt64(config.operationBudgetMs) * 1_000_000
        guard liveNodeCount() >= config.writeQuorum else {
            metrics.unavailable.increment()
            throw .unavailable("fewer live memcached nodes than the write quorum (\(config.writeQuorum))", retryAfterSeconds: 1)
        }
        let order = ring.preferenceList(for: key, count: ring.nodeCount)
        // Sealed once: every copy holds the same bytes.
        let copy = SealedCopy(value: sealer.seal(record, storageKey: key), ttl: memcachedTTL(record))
        // The current copies on the first `replicas` live nodes, in one pipelined round trip, so
        // the CAS on the primary and on the replica each need no `gets` of their own.
        let prefetched = prefetch(key, nodes: liveReplicaNodes(for: key, now: MonotonicTime.nanos()))
        var index = 0
        var primary: Int?
        // 1. CAS on the first live node that answers.
        while primary == nil, index < order.count, MonotonicTime.nanos() < deadline {
            let node = order[index]
            index += 1
            guard health.isLive(node, now: MonotonicTime.nanos()) else { continue }
            switch casPrimary(record, copy, key: key, expected: expected, node: node, current: prefetched[node], deadline: deadline) {
            case .written: primary = node
            case .conflict: return .conflict
            case .nodeDown: continue
            }
        }
        guard let primary else {
            metrics.unavailable.increment()
            throw .unavailable("no memcached node accepted the write", retryAfterSeconds: 1)
        }
        // 2. The other copies, on the next live nodes clockwise.
        var acks = 1
        while acks < config.replicas, index < order.count, MonotonicTime.nanos() < deadline {
            let node = order[index]
            index += 1
            guard node != primary, health.isLive(node, now: MonotonicTime.nanos()) else { continue }
            if replicate(record, copy, key: key, to: node, current: prefetched[node], deadline: deadline) { acks += 1 }
        }
        guard acks >= config.writeQuorum else {
            metrics.unavailable.increment()
            throw .unavailable("the write reached \(acks) of \(config.writeQuorum) required copies; its outcome is unknown", retryAfterSeconds: 1)
        }
        return .written
    }

    private enum PrimaryOutcome { case written, conflict, nodeDown }

    /// A record as stored: sealed value and memcached expiry.
    private struct SealedCopy {
        var value: [UInt8]
        var ttl: Int
    }

    /// `gets` of `key` on each of `nodes` in one pipelined round trip: node → its item (nil: no
    /// copy). Nodes that failed are left out; the write then reads them on its own (`getsOne`).
    private func prefetch(_ key: String, nodes: [Int]) -> [Int: MemcachedItem?] {
        guard !nodes.isEmpty else { return [:] }
        var items = [Int: MemcachedItem?]()
        for (node, result) in zip(nodes, withHandles(nodes) { MemcachedCommands.getsPipelined(key, handles: $0) }) {
            if case .success(let item) = result { items[node] = item }
        }
        return items
    }

    /// gets + cas (or add) on one node, retried by version while the outcome is unknown.
    /// `current`, when given, is the node's copy as just read and stands in for the first `gets`.
    private func casPrimary(_ record: SessionRecord, _ copy: SealedCopy, key: String, expected: SessionRecord?, node: Int,
                            current prefetched: MemcachedItem??, deadline: UInt64) -> PrimaryOutcome {
        var prefetched = prefetched
        var unknown = false
        while MonotonicTime.nanos() < deadline {
            let read = prefetched.take().map { .success($0) } ?? getsOne(key, on: node)
            let item: MemcachedItem?
            switch read {
            case .failure(let failure):
                nodeFailed(node, failure.outcome)
                return .nodeDown
            case .success(let i): item = i
            }
            let current = item.flatMap { open($0.value, key: key) }
            if let current, unknown, current.writeID == record.writeID, current.version == record.version {
                return .written  // the timed-out attempt had landed
            }
            if let current {
                let acceptable = expected.map { current == $0 || $0.isNewer(than: current) } ?? false
                if !acceptable { return .conflict }
            } else if item != nil, expected == nil {
                // An undecodable copy exists where a new session should go: never overwrite blindly.
                return .conflict
            }
            let outcome = store(copy, key: key, on: node, replacing: item)
            switch outcome {
            case .ok: return .written
            case .notStored, .miss: return .conflict
            case .timedOut:
                unknown = true  // re-read and decide: it may have been applied
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
    /// `current` as in `casPrimary`.
    private func replicate(_ record: SessionRecord, _ copy: SealedCopy, key: String, to node: Int,
                           current prefetched: MemcachedItem?? = nil, deadline: UInt64) -> Bool {
        var prefetched = prefetched
        for _ in 0..<8 where MonotonicTime.nanos() < deadline {
            let read = prefetched.take().map { .success($0) } ?? getsOne(key, on: node)
            guard case .success(let item) = read else {
                if case .failure(let f) = read { nodeFailed(node, f.outcome) }
                return false
            }
            if let item, item.value == copy.value || open(item.value, key: key).map({ !record.isNewer(than: $0) }) == true {
                return true
            }
            let outcome = store(copy, key: key, on: node, replacing: item)
            switch outcome {
            case .ok: return true
            case .notStored, .miss: continue  // raced with another writer: look again
            case .timedOut: nodeFailed(node, outcome, markDown: false); continue
            case .failed: nodeFailed(node, outcome); return false
            }
        }
        return false
    }

    private func scheduleRepair(_ record: SessionRecord, key: String, nodes: [Int]) {
        guard repairsInFlight.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maxRepairsInFlight else {
            repairsInFlight.wrappingSubtract(1, ordering: .relaxed)
            metrics.repairsDropped.increment()
            return
        }
        threadPool.submit { state in
            defer { self.repairsInFlight.wrappingSubtract(1, ordering: .relaxed) }
            guard case .active = state else { return }
            let deadline = MonotonicTime.nanos() + UInt64(self.config.operationBudgetMs) * 1_000_000
            let copy = SealedCopy(value: self.sealer.seal(record, storageKey: key), ttl: self.memcachedTTL(record))
            for node in nodes where self.replicate(record, copy, key: key, to: node, deadline: deadline) {
                self.metrics.readRepairs.increment()
            }
        }
    }

    /// `cas` over `item` (or `add` where there is none), retried once after a connection failure.
    private func store(_ copy: SealedCopy, key: String, on node: Int, replacing item: MemcachedItem?) -> MemcachedOutcome {
        storeOne(on: node) { handle in
            item.map { MemcachedCommands.cas(handle, key: key, value: copy.value, ttl: copy.ttl, cas: $0.cas) }
                ?? MemcachedCommands.add(handle, key: key, value: copy.value, ttl: copy.ttl)
        }
    }

    /// memcached drops a copy when the session would have expired anyway.
    /// Relative seconds up to 30 days; beyond that memcached wants an absolute Unix time.
    private func memcachedTTL(_ record: SessionRecord) -> Int {
        let now = MonotonicTime.wallMillis()
        let seconds = max(1, Int((record.expiresAt - now + 999) / 1000) + 1)
        return seconds <= 30 * 86_400 ? seconds : Int(now / 1000) + seconds
    }

    private func nodeFailed(_ node: Int, _ outcome: MemcachedOutcome, markDown: Bool = true) {
        metrics.nodeErrors.increment()
        guard markDown else { return }
        if health.markFailed(node, now: MonotonicTime.nanos()) {
            metrics.failovers.increment()
            logger.warning("memcached node marked down", metadata: ["node": "\(config.nodes[node])", "outcome": "\(outcome)"])
        }
    }
}

public struct StoreConfigError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
