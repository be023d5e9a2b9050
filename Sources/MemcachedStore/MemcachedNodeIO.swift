import CLibMemcached
import Replication

/// `NodeIO` over memcached nodes through libmemcached: one handle pool per node, ASCII protocol,
/// CAS ids on. The only user of `CLibMemcached` besides its own helpers in this module.
///
/// memcached cannot compare sealed records, so "set if newer" is `cas` over the older copy the
/// caller read (or `add` where it read none): if anything changed since, it is `.notStored` and
/// the caller reads again. A connection-level failure is retried once at once: after a memcached
/// restart every pooled handle holds a dead socket, and its next call reconnects.
public final class MemcachedNodeIO: NodeIO {
    private let pools: [MemcachedHandlePool]
    private let clock: any StoreClock

    /// - Parameter handlesPerNode: one per thread that may call at once (the pool never makes a caller wait).
    public init(config: MemcachedStoreConfig, handlesPerNode: Int, clock: any StoreClock) throws {
        if let problem = config.validate() { throw StoreConfigError(message: problem) }
        self.pools = try config.nodes.map { node in
            try MemcachedHandlePool(address: MemcachedAddress(node)!, size: handlesPerNode,
                                    connectTimeoutMs: config.connectTimeoutMs, pollTimeoutMs: config.pollTimeoutMs)
        }
        self.clock = clock
    }

    public var nodeCount: Int { pools.count }

    public func gets(_ keys: [[String]], on nodes: [Int]) -> [Result<[String: StoredItem], NodeFailure>] {
        var results = withHandles(nodes) { MemcachedCommands.getsMany(keys, handles: $0) }
        for (i, node) in nodes.enumerated() {
            guard case .failure(let failure) = results[i], case .failed = failure.outcome else { continue }
            pools[node].resetConnections()
            results[i] = withHandles([node]) { MemcachedCommands.getsMany([keys[i]], handles: $0) }[0]
        }
        return results
    }

    public func cas(_ copy: SealedCopy, key: String, on node: Int, cas: UInt64) -> NodeOutcome {
        let ttl = memcachedTTL(copy.expiresAt)
        return storeOne(on: node) { MemcachedCommands.cas($0, key: key, value: copy.value, ttl: ttl, cas: cas) }
    }

    public func add(_ copy: SealedCopy, key: String, on node: Int) -> NodeOutcome {
        let ttl = memcachedTTL(copy.expiresAt)
        return storeOne(on: node) { MemcachedCommands.add($0, key: key, value: copy.value, ttl: ttl) }
    }

    public func setIfNewer(_ copy: SealedCopy, key: String, on node: Int, replacingCAS: UInt64?) -> NodeOutcome {
        replacingCAS.map { cas(copy, key: key, on: node, cas: $0) } ?? add(copy, key: key, on: node)
    }

    public func delete(key: String, on node: Int) -> NodeOutcome {
        storeOne(on: node) { MemcachedCommands.delete($0, key: key) }
    }

    /// memcached drops a copy when the record would have expired anyway, a second late at most.
    /// Relative seconds up to 30 days; beyond that memcached wants an absolute Unix time.
    func memcachedTTL(_ expiresAt: Int64) -> Int {
        guard expiresAt != Record.never else { return 0 }
        let now = clock.wallMillis()
        let seconds = max(1, Int((expiresAt - now + 999) / 1000) + 1)
        return seconds <= 30 * 86_400 ? seconds : Int(now / 1000) + seconds
    }

    /// One command on one node, retried once after a connection-level failure.
    private func storeOne(on node: Int, _ command: (UnsafeMutablePointer<memcached_st>) -> MemcachedOutcome) -> NodeOutcome {
        var outcome = pools[node].withHandle(command) ?? .failed("handle pool exhausted")
        if case .failed = outcome {
            pools[node].resetConnections()
            outcome = pools[node].withHandle(command) ?? .failed("handle pool exhausted")
        }
        return outcome.nodeOutcome
    }

    /// Checks out one handle per node (in order), runs `body`, returns them.
    private func withHandles<T>(_ nodes: [Int], _ body: ([UnsafeMutablePointer<memcached_st>]) -> [Result<T, NodeFailure>]) -> [Result<T, NodeFailure>] {
        func go(_ i: Int, _ acc: [UnsafeMutablePointer<memcached_st>]) -> [Result<T, NodeFailure>] {
            if i == nodes.count { return body(acc) }
            return pools[nodes[i]].withHandle { go(i + 1, acc + [$0]) }
                ?? nodes.map { _ in .failure(NodeFailure(.failed("handle pool exhausted"))) }
        }
        return go(0, [])
    }
}

public struct StoreConfigError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
