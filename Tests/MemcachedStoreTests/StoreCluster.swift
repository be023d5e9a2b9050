import Crypto
import Foundation
import Logging
import MemcachedStore
import NIOPosix
import RedisStore
import Replication
import SessionCore
import StoreShell
import TestSupport

/// Three real store nodes (memcached or redis-server) and a store over them, torn down by PID.
final class StoreCluster: @unchecked Sendable {
    let dir = TempDir("store")
    let backend: StoreBackend
    let servers: [any StoreServer]
    let store: ReplicatedRecordStore
    let manager: SessionManager
    let threadPool: NIOThreadPool
    let nodes: [String]

    init(_ backend: StoreBackend = .memcached, nodes count: Int = 3, pollTimeoutMs: Int = 200, budgetMs: Int = 1000,
         keyring: SessionKeyring? = nil, durable: Bool = false) throws {
        let dir = self.dir
        self.backend = backend
        servers = try startStoreServers(backend, count: count, dir: dir, durable: durable)
        nodes = servers.map(\.address)
        threadPool = NIOThreadPool(numberOfThreads: 8)
        threadPool.start()
        let ring = try keyring ?? SessionKeyring(keys: [SymmetricKey(size: .bits256)])
        var logger = Logger(label: "store-test")
        logger.logLevel = .critical
        switch backend {
        case .memcached:
            let config = MemcachedStoreConfig(nodes: nodes, replicas: 2, connectTimeoutMs: 200, pollTimeoutMs: pollTimeoutMs,
                                              retryIntervalMs: 500, operationBudgetMs: budgetMs, threads: 8)
            store = try ReplicatedRecordStore.memcached(config: config, sealing: RecordSealer(keyring: ring), threadPool: threadPool, logger: logger)
        case .redis:
            let config = RedisStoreConfig(nodes: nodes, replicas: 2, connectTimeoutMs: 200, ioTimeoutMs: pollTimeoutMs,
                                          retryIntervalMs: 500, operationBudgetMs: budgetMs, threads: 8)
            store = try ReplicatedRecordStore.redis(config: config, sealing: RecordSealer(keyring: ring), threadPool: threadPool, logger: logger)
        }
        manager = SessionManager(storage: store, policy: SessionPolicy(), now: { Int64(Date().timeIntervalSince1970 * 1000) })
    }

    /// Indices of the servers holding a copy of `id`.
    func holders(of id: SessionID) -> [Int] {
        servers.indices.filter { servers[$0].rawGet(id.storageKey) != nil }
    }

    /// The two nodes a session lives on when all are up.
    func preference(of id: SessionID) -> [Int] {
        PlacementRing(nodes: nodes).preferenceList(for: id.storageKey, count: 2)
    }

    deinit {
        for s in servers { s.kill() }
        try? threadPool.syncShutdownGracefully()
    }
}

func counterData(_ n: Int) -> JSONValue { .object(["n": .int(Int64(n)), "pad": .string(String(repeating: "x", count: 200))]) }

func counter(_ view: SessionView) -> Int {
    guard case .object(let m) = try? JSONValue.parse(view.record.data), case .int(let n)? = m["n"] else { return -1 }
    return Int(n)
}
