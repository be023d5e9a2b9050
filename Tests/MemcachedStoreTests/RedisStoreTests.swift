import Crypto
import Foundation
import Logging
import NIOPosix
import Replication
import SessionCore
import StoreShell
import Synchronization
import Testing
import TestSupport
@testable import RedisStore

/// What only the Redis driver has: durability across a restart of every node, AUTH, expiry on
/// every copy, and its answer to a node that does not speak Redis.
@Suite(.serialized) struct RedisStoreTests {
    @Test func aFullRestartOfEveryNodeUnderLoadLosesNoAcknowledgedWriteAndNoDeleteComesBack() async throws {
        let cluster = try StoreCluster(.redis, durable: true)
        let log = AckLog()
        var ids = [SessionID]()
        for _ in 0..<48 {
            let s = try await cluster.manager.create(data: counterData(0))
            ids.append(s.id)
            log.ack(s.id, 0)
        }
        var doomed = [SessionID]()
        for _ in 0..<24 { doomed.append(try await cluster.manager.create(data: counterData(7)).id) }
        let deleted = IDSet()
        // Logouts while the load runs; only acknowledged ones are expected to stay deleted.
        let deleter = Task {
            for id in doomed {
                if (try? await cluster.manager.delete(id)) != nil { deleted.insert(id) }
                try? await Task.sleep(for: .milliseconds(40))
            }
        }
        let killer = Task {
            try await Task.sleep(for: .milliseconds(800))
            for s in cluster.servers { s.kill() }
        }
        await mixedLoad(cluster, ids: ids, log: log, until: Date().addingTimeInterval(1.6))
        try await killer.value
        await deleter.value
        for s in cluster.servers { try s.restart() }
        try await Task.sleep(for: .milliseconds(600))  // past the retry interval of nodes marked down
        let acked = log.acked.withLock { $0 }
        let gone = deleted.all
        #expect(acked.values.reduce(0, +) > 30, "the load did too little to mean anything")
        #expect(gone.count > 5, "too few logouts were acknowledged before the kill")
        // Every acknowledged write is there. A write whose outcome was unknown when the nodes died
        // (503 to the caller) may have landed too: never more than the last value sent.
        let attempted = log.attempted.withLock { $0 }
        for id in ids {
            let n = counter(try await cluster.manager.read(id))
            #expect(n >= acked[id]! && n <= max(acked[id]!, attempted[id] ?? 0), "read \(n), acknowledged \(acked[id]!), last sent \(attempted[id] ?? 0)")
        }
        for id in gone {
            await #expect(throws: SessionError.loggedOut) { try await cluster.manager.read(id) }
        }
    }

    @Test func everyCopyExpiresOnItsNodeWithTheRecord() async throws {
        let cluster = try StoreCluster(.redis)
        let s = try await cluster.manager.create(data: counterData(1), idleSeconds: 60)
        for h in cluster.holders(of: s.id) {
            let pttl = try #require((cluster.servers[h] as! RedisServer).rawPTTL(s.id.storageKey))
            #expect(pttl > 55_000 && pttl <= 61_000, "PTTL \(pttl)")
        }
    }

    @Test func authIsSentOnEveryConnectionAndAWrongPasswordIsACleanFailure() throws {
        let dir = TempDir("redis-auth")
        let server = try RedisServer(dir: dir, password: "s3cret-pass")
        let copy = SealedCopy(value: Array("sealed".utf8), expiresAt: Record.never, order: RecordOrder(version: 1, isTombstone: false, touchedAt: 0))
        let good = try RedisNodeIO(config: RedisStoreConfig(nodes: [server.address], password: "s3cret-pass", replicas: 1),
                                   connectionsPerNode: 2, clock: SystemStoreClock())
        #expect(good.add(copy, key: "k1", on: 0) == .ok)
        #expect(try good.gets([["k1"]], on: [0])[0].get()["k1"]?.value == Array("sealed".utf8))
        for password in [nil, "wrong"] as [String?] {
            let bad = try RedisNodeIO(config: RedisStoreConfig(nodes: [server.address], password: password, replicas: 1),
                                      connectionsPerNode: 2, clock: SystemStoreClock())
            guard case .failed = bad.add(copy, key: "k2", on: 0) else { Issue.record("write without the password was not refused"); continue }
            guard case .failure(let f) = bad.gets([["k1"]], on: [0])[0], case .failed = f.outcome else { Issue.record("read without the password"); continue }
        }
        #expect(server.rawKeys() == ["k1"])
    }

    @Test func conditionalWritesCompareOnTheNode() throws {
        let dir = TempDir("redis-cas")
        let server = try RedisServer(dir: dir)
        let io = try RedisNodeIO(config: RedisStoreConfig(nodes: [server.address], replicas: 1), connectionsPerNode: 2, clock: SystemStoreClock())
        func copy(_ v: UInt64, tomb: Bool = false, touched: Int64 = 0) -> SealedCopy {
            SealedCopy(value: Array("v\(v)\(tomb)\(touched)".utf8), expiresAt: Record.never, order: RecordOrder(version: v, isTombstone: tomb, touchedAt: touched))
        }
        func read() throws -> StoredItem? { try io.gets([["k"]], on: [0])[0].get()["k"] }
        #expect(io.add(copy(1), key: "k", on: 0) == .ok)
        #expect(io.add(copy(2), key: "k", on: 0) == .notStored)
        let first = try #require(try read())
        #expect(io.cas(copy(2), key: "k", on: 0, cas: first.cas &+ 1) == .notStored)
        #expect(io.cas(copy(2), key: "k", on: 0, cas: first.cas) == .ok)
        let second = try #require(try read())
        #expect(second.cas > first.cas && second.value == copy(2).value)
        #expect(io.cas(copy(3), key: "k", on: 0, cas: first.cas) == .notStored)  // stale CAS id
        // Set-if-newer compares version, then tombstone, then access time; never goes back.
        #expect(io.setIfNewer(copy(1), key: "k", on: 0, replacingCAS: nil) == .notStored)
        #expect(io.setIfNewer(copy(2), key: "k", on: 0, replacingCAS: nil) == .notStored)
        #expect(io.setIfNewer(copy(2, touched: 5), key: "k", on: 0, replacingCAS: nil) == .ok)
        #expect(io.setIfNewer(copy(2, tomb: true), key: "k", on: 0, replacingCAS: nil) == .ok)
        #expect(io.setIfNewer(copy(2, touched: 9), key: "k", on: 0, replacingCAS: nil) == .notStored)
        #expect(io.setIfNewer(copy(1 << 60), key: "k", on: 0, replacingCAS: nil) == .ok)
        #expect(io.setIfNewer(copy((1 << 60) - 1), key: "k", on: 0, replacingCAS: nil) == .notStored)
        // ...unless the caller read that very copy (unreadable, so it must be replaced) and it did not change since.
        let current = try #require(try read())
        #expect(io.setIfNewer(copy(1), key: "k", on: 0, replacingCAS: current.cas &- 1) == .notStored)
        #expect(io.setIfNewer(copy(1), key: "k", on: 0, replacingCAS: current.cas) == .ok)
        #expect(io.setIfNewer(copy(5), key: "absent", on: 0, replacingCAS: nil) == .ok)
        #expect(io.delete(key: "absent", on: 0) == .ok)
        #expect(io.delete(key: "absent", on: 0) == .notStored)
        // A restarted node without the script cache: EVALSHA gets NOSCRIPT and falls back to EVAL.
        try server.restart()
        #expect(try read() == nil)
        #expect(io.add(copy(1), key: "k", on: 0) == .ok || io.add(copy(1), key: "k", on: 0) == .ok)
        #expect(try read()?.value == copy(1).value)
    }

    @Test(arguments: FakeRedisNode.Behaviour.allCases)
    func aNodeThatAnswersNonsenseIsACleanErrorNeverACrash(_ behaviour: FakeRedisNode.Behaviour) async throws {
        let fake = try FakeRedisNode(behaviour)
        defer { fake.stop() }
        let io = try RedisNodeIO(config: RedisStoreConfig(nodes: ["127.0.0.1:\(fake.port)"], replicas: 1, ioTimeoutMs: 200),
                                 connectionsPerNode: 2, clock: SystemStoreClock())
        let copy = SealedCopy(value: [1, 2, 3], expiresAt: Record.never, order: RecordOrder(version: 1, isTombstone: false, touchedAt: 0))
        for _ in 0..<3 {
            let read = io.gets([["a", "b"]], on: [0])[0]
            guard case .failure = read else { Issue.record("\(behaviour): a read from a fake node succeeded: \(read)"); continue }
            for outcome in [io.add(copy, key: "a", on: 0), io.cas(copy, key: "a", on: 0, cas: 1),
                            io.setIfNewer(copy, key: "a", on: 0, replacingCAS: nil), io.delete(key: "a", on: 0)] {
                switch outcome {
                case .failed, .timedOut: break
                case .ok, .notStored: Issue.record("\(behaviour): a write to a fake node got \(outcome)")
                }
            }
        }
        #expect(fake.connections.load(ordering: .relaxed) >= 1)
    }

    @Test func aStoreWithOneNonsenseNodeKeepsServingFromTheRealOnes() async throws {
        let dir = TempDir("redis-fake")
        let real = try (0..<2).map { _ in try RedisServer(dir: dir) }
        let fake = try FakeRedisNode(.garbage)
        defer { fake.stop() }
        var logger = Logger(label: "fake")
        logger.logLevel = .critical
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        let nodes = [real[0].address, "127.0.0.1:\(fake.port)", real[1].address]
        let store = try ReplicatedRecordStore.redis(config: RedisStoreConfig(nodes: nodes, replicas: 2, ioTimeoutMs: 200, retryIntervalMs: 60_000),
                                                    sealing: RecordSealer(keyring: SessionKeyring(keys: [SymmetricKey(size: .bits256)])),
                                                    threadPool: pool, logger: logger)
        let manager = SessionManager(storage: store, policy: SessionPolicy(), now: { Int64(Date().timeIntervalSince1970 * 1000) })
        var ids = [SessionID]()
        for i in 0..<20 {
            // The first writes that meet the fake node may be 503 (the core finds it out); none crash.
            if let s = try? await manager.create(data: counterData(i)) { ids.append(s.id) }
        }
        #expect(ids.count >= 15)
        for id in ids { #expect(counter(try await manager.read(id)) >= 0) }
        store.shutdown()
        try await pool.shutdownGracefully()
    }
}

/// Session ids, shared between tasks.
final class IDSet: Sendable {
    private let ids = Mutex<Set<SessionID>>([])
    func insert(_ id: SessionID) { _ = ids.withLock { $0.insert(id) } }
    var all: Set<SessionID> { ids.withLock { $0 } }
}
