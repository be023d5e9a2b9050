import Replication
import Synchronization

/// `NodeIO` over independent Redis nodes through hiredis: one connection pool per node, blocking
/// calls with connect and I/O deadlines. The only user of `CHiredis` besides its own helpers here.
///
/// Copies are hashes (`RedisCopyLayout`); every conditional write is one EVALSHA of one Lua
/// script, so the comparison and the write are atomic on the node and cost one round trip.
/// Reads are one pipelined HMGET per key, every node's commands sent before any reply is read.
public final class RedisNodeIO: NodeIO {
    private let pools: [RedisConnectionPool]
    private let clock: any StoreClock
    /// The script's SHA1, per node, once SCRIPT LOAD answered (a restarted node forgets it: NOSCRIPT → EVAL).
    private let scriptSHAs: Mutex<[[UInt8]?]>
    private static let script = Array(RedisCopyLayout.writeScript.utf8)

    /// - Parameter connectionsPerNode: idle connections kept per node (one per thread that may call at once).
    public init(config: RedisStoreConfig, connectionsPerNode: Int, clock: any StoreClock) throws {
        if let problem = config.validate() { throw RedisConfigError(message: problem) }
        self.pools = config.nodes.map { node in
            RedisConnectionPool(address: RedisAddress(node)!, connectTimeoutMs: config.connectTimeoutMs,
                                ioTimeoutMs: config.ioTimeoutMs, password: config.password, maxIdle: connectionsPerNode)
        }
        self.scriptSHAs = Mutex(config.nodes.map { _ in nil })
        self.clock = clock
    }

    public var nodeCount: Int { pools.count }

    // MARK: Reads

    public func gets(_ keys: [[String]], on nodes: [Int]) -> [Result<[String: StoredItem], NodeFailure>] {
        var results = readMany(keys, on: nodes, fresh: false)
        // A reused connection may have died with its node (restarted since): once more on a new one.
        for (i, node) in nodes.enumerated() {
            guard case .failure(let failure) = results[i], case .failed = failure.outcome else { continue }
            results[i] = readMany([keys[i]], on: [node], fresh: true)[0]
        }
        return results
    }

    private func readMany(_ keys: [[String]], on nodes: [Int], fresh: Bool) -> [Result<[String: StoredItem], NodeFailure>] {
        var leases = [RedisConnectionPool.Lease?](repeating: nil, count: nodes.count)
        var results = [Result<[String: StoredItem], NodeFailure>](repeating: .success([:]), count: nodes.count)
        // 1. Every node's commands out.
        for (i, node) in nodes.enumerated() {
            switch pools[node].checkout(fresh: fresh) {
            case .failure(let e):
                results[i] = .failure(NodeFailure(.failed(e.message)))
            case .success(let lease):
                leases[i] = lease
                for key in keys[i] {
                    lease.connection.append([Array("HMGET".utf8), Array(key.utf8), RedisCopyLayout.valueField, RedisCopyLayout.casField])
                }
                if let e = lease.connection.flush() { results[i] = .failure(NodeFailure(.failed(e.message))) }
            }
        }
        // 2. The replies, node by node.
        for (i, node) in nodes.enumerated() {
            guard let lease = leases[i] else { continue }
            defer { pools[node].checkin(lease) }
            guard case .success = results[i] else { continue }
            results[i] = readItems(keys[i], on: lease.connection, node: node)
            // A reply left unread would answer the next command on this connection.
            if case .failure = results[i] { lease.connection.markBroken() }
        }
        return results
    }

    /// The replies to one HMGET per key, in order.
    private func readItems(_ keys: [String], on connection: RedisConnection, node: Int) -> Result<[String: StoredItem], NodeFailure> {
        var items = [String: StoredItem]()
        for key in keys {
            switch connection.readReply() {
            case .failure(let e):
                return .failure(NodeFailure(e.timedOut ? .timedOut : .failed(e.message)))
            case .success(.array(let fields)) where fields.count == 2 && fields[0] == .null:
                break
            case .success(.array(let fields)) where fields.count == 2:
                guard case .string(let value) = fields[0], case .string(let cas) = fields[1],
                      let id = UInt64(String(decoding: cas, as: UTF8.self)) else {
                    return .failure(NodeFailure(.failed("HMGET \(pools[node].address): a copy without a valid CAS id")))
                }
                items[key] = StoredItem(value: value, cas: id)
            case .success(let other):
                return .failure(NodeFailure(.failed("HMGET \(pools[node].address): unexpected \(other.summary)")))
            }
        }
        return .success(items)
    }

    // MARK: Writes

    public func cas(_ copy: SealedCopy, key: String, on node: Int, cas: UInt64) -> NodeOutcome {
        write("cas", copy, key: key, on: node, expected: String(cas), replacing: "")
    }

    public func add(_ copy: SealedCopy, key: String, on node: Int) -> NodeOutcome {
        write("add", copy, key: key, on: node, expected: "", replacing: "")
    }

    /// Compares orders on the node (`RedisCopyLayout.writeScript`); `replacingCAS` lets an
    /// unreadable copy that did not change since it was read be replaced.
    public func setIfNewer(_ copy: SealedCopy, key: String, on node: Int, replacingCAS: UInt64?) -> NodeOutcome {
        write("newer", copy, key: key, on: node, expected: "", replacing: replacingCAS.map { String($0) } ?? "")
    }

    public func delete(key: String, on node: Int) -> NodeOutcome {
        let reply = exchange(on: node) { c in c.command([Array("DEL".utf8), Array(key.utf8)]) }
        switch reply {
        case .success(.integer(1)): return .ok
        case .success(.integer(0)): return .notStored
        case .success(let other): return .failed("DEL \(pools[node].address): unexpected \(other.summary)")
        case .failure(let e): return outcome(of: e)
        }
    }

    /// The PEXPIREAT argument: absolute ms, at least a second ahead (as over memcached, a copy
    /// written is still there to be read back); "0" for never.
    func expiryArgument(_ expiresAt: Int64) -> String {
        guard expiresAt != Record.never else { return "0" }
        return String(max(expiresAt, clock.wallMillis() + 1000))
    }

    private func write(_ mode: String, _ copy: SealedCopy, key: String, on node: Int, expected: String, replacing: String) -> NodeOutcome {
        let args: [[UInt8]] = [Array("1".utf8), Array(key.utf8), Array(mode.utf8), copy.value,
                               Array(RedisCopyLayout.orderText(copy.order).utf8), Array(expiryArgument(copy.expiresAt).utf8),
                               Array(expected.utf8), Array(replacing.utf8)]
        let reply = exchange(on: node) { c in
            if let sha = scriptSHAs.withLock({ $0[node] }) {
                let first = c.command([Array("EVALSHA".utf8), sha] + args)
                guard case .success(.error(let e)) = first, e.hasPrefix("NOSCRIPT") else { return first }
            }
            // The node does not have the script (first use, or restarted): EVAL caches it there too.
            return c.command([Array("EVAL".utf8), Self.script] + args)
        }
        switch reply {
        case .success(.integer(1)): return .ok
        case .success(.integer(0)): return .notStored
        case .success(.error(let e)): return .failed("\(pools[node].address): \(e.prefix(200))")
        case .success(let other): return .failed("\(pools[node].address): unexpected \(other.summary)")
        case .failure(let e): return outcome(of: e)
        }
    }

    /// One exchange on a connection of `node`'s pool. The first one on a node loads the script.
    /// A reused connection that could not even send (its node restarted since) is replaced by a
    /// new one once: nothing reached the node, so nothing can be applied twice.
    private func exchange(on node: Int, _ body: (RedisConnection) -> Result<RedisReply, RedisIOError>) -> Result<RedisReply, RedisIOError> {
        var fresh = false
        while true {
            let lease: RedisConnectionPool.Lease
            switch pools[node].checkout(fresh: fresh) {
            case .success(let l): lease = l
            case .failure(let e): return .failure(e)
            }
            let reply = exchange(on: node, lease, body)
            pools[node].checkin(lease)
            if case .failure(let e) = reply, e.phase != .receive, !lease.isFresh, !fresh {
                fresh = true
                continue
            }
            return reply
        }
    }

    private func exchange(on node: Int, _ lease: RedisConnectionPool.Lease,
                          _ body: (RedisConnection) -> Result<RedisReply, RedisIOError>) -> Result<RedisReply, RedisIOError> {
        if scriptSHAs.withLock({ $0[node] == nil }) {
            switch lease.connection.command([Array("SCRIPT".utf8), Array("LOAD".utf8), Self.script]) {
            case .success(.string(let sha)) where sha.count == 40: scriptSHAs.withLock { $0[node] = sha }
            case .success(.error): break  // EVAL below says what is wrong
            case .success(let other):
                lease.connection.markBroken()
                return .success(other)
            case .failure(var e):
                e.phase = .setup
                return .failure(e)
            }
        }
        let reply = body(lease.connection)
        switch reply {
        case .success(.integer), .success(.error), .failure: break
        // Not what Redis answers to these commands: whatever is there is out of step or not Redis.
        case .success: lease.connection.markBroken()
        }
        return reply
    }

    /// What the core distinguishes: not sent at all is `.failed` (the node is down); sent but not
    /// answered is `.timedOut` (outcome unknown: the core reads again and decides).
    private func outcome(of error: RedisIOError) -> NodeOutcome {
        switch error.phase {
        case .setup, .send: .failed(error.message)
        case .receive: .timedOut
        }
    }
}
