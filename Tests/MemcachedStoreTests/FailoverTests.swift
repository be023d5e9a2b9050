import Foundation
import SessionCore
import Synchronization
import Testing
import TestSupport
@testable import MemcachedStore

/// The newest acknowledged version of each session, kept by the load generator.
final class AckLog: Sendable {
    let acked = Mutex<[SessionID: Int]>([:])
    /// The highest value each session was ever sent in a write, acknowledged or not.
    let attempted = Mutex<[SessionID: Int]>([:])
    let failures = Atomic<Int>(0)
    let maxLatencyMs = Atomic<Int>(0)
    func ack(_ id: SessionID, _ n: Int) { acked.withLock { $0[id] = max($0[id] ?? 0, n) } }
    func attempt(_ id: SessionID, _ n: Int) { attempted.withLock { $0[id] = max($0[id] ?? 0, n) } }
    func latency(_ ms: Int) { _ = maxLatencyMs.max(ms, ordering: .relaxed) }
}

/// Mixed read/write load: each worker owns some sessions and increments their counter.
func mixedLoad(_ cluster: StoreCluster, ids: [SessionID], log: AckLog, until deadline: Date) async {
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<8 {
            let mine = ids.enumerated().filter { $0.offset % 8 == worker }.map(\.element)
            group.addTask {
                var i = 0
                while Date() < deadline {
                    let id = mine[i % mine.count]
                    i += 1
                    let start = Date()
                    do {
                        if i % 3 == 0 {
                            let current = try await cluster.manager.read(id)
                            log.attempt(id, counter(current) + 1)
                            let next = try await cluster.manager.patch(id, patch: counterData(counter(current) + 1), ifMatch: current.record.version)
                            log.ack(id, counter(next))
                        } else {
                            let v = try await cluster.manager.read(id)
                            // A read may never go back behind an acknowledged write.
                            let acked = log.acked.withLock { $0[id] ?? 0 }
                            if counter(v) < acked { Issue.record("read \(counter(v)) after ack \(acked)") }
                        }
                    } catch {
                        _ = log.failures.add(1, ordering: .relaxed)
                    }
                    log.latency(Int(Date().timeIntervalSince(start) * 1000))
                }
            }
        }
    }
}

@Suite(.serialized) struct FailoverTests {
    @Test(arguments: StoreBackend.allCases) func killingOneOfThreeNodesUnderLoadLosesNoAcknowledgedWrite(_ backend: StoreBackend) async throws {
        let cluster = try StoreCluster(backend)
        let log = AckLog()
        var ids = [SessionID]()
        for _ in 0..<64 {
            let s = try await cluster.manager.create(data: counterData(0))
            ids.append(s.id)
            log.ack(s.id, 0)
        }
        let killer = Task {
            try await Task.sleep(for: .milliseconds(700))
            cluster.servers[1].kill()
        }
        await mixedLoad(cluster, ids: ids, log: log, until: Date().addingTimeInterval(2.5))
        try await killer.value
        let acked = log.acked.withLock { $0 }
        #expect(acked.values.reduce(0, +) > 100, "the load did too little to mean anything")
        for id in ids {
            #expect(counter(try await cluster.manager.read(id)) == acked[id]!)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aFrozenNodeCostsAtMostTheBudgetAndLosesNothingAfterItResumes(_ backend: StoreBackend) async throws {
        let budgetMs = 1000
        let cluster = try StoreCluster(backend, pollTimeoutMs: 200, budgetMs: budgetMs)
        let log = AckLog()
        var ids = [SessionID]()
        for _ in 0..<64 {
            let s = try await cluster.manager.create(data: counterData(0))
            ids.append(s.id)
            log.ack(s.id, 0)
        }
        cluster.servers[2].freeze()
        await mixedLoad(cluster, ids: ids, log: log, until: Date().addingTimeInterval(2.5))
        cluster.servers[2].resume()
        // Every call (a read, or a read plus a write) stayed within two operation budgets and some scheduling slack.
        #expect(log.maxLatencyMs.load(ordering: .relaxed) <= 2 * budgetMs + 500)
        try await Task.sleep(for: .milliseconds(600))
        let acked = log.acked.withLock { $0 }
        #expect(acked.values.reduce(0, +) > 50)
        for id in ids {
            #expect(counter(try await cluster.manager.read(id)) == acked[id]!)
        }
    }

    @Test(arguments: StoreBackend.allCases) func logoutStaysLoggedOutWhenAFrozenReplicaComesBackWithOldCopies(_ backend: StoreBackend) async throws {
        let cluster = try StoreCluster(backend)
        var ids = [SessionID]()
        for i in 0..<60 { ids.append(try await cluster.manager.create(data: counterData(i)).id) }
        let frozen = 0
        let affected = ids.filter { cluster.preference(of: $0).contains(frozen) }
        #expect(affected.count > 10)
        cluster.servers[frozen].freeze()
        for id in affected { try await cluster.manager.delete(id) }
        cluster.servers[frozen].resume()
        // The resumed node still holds the old live copies.
        #expect(affected.contains { cluster.servers[frozen].rawGet($0.storageKey) != nil })
        try await Task.sleep(for: .milliseconds(600))
        for id in affected { await #expect(throws: SessionError.loggedOut) { try await cluster.manager.read(id) } }
        // After read repair the old copies are gone for good (replaced by tombstones): still 404.
        try await Task.sleep(for: .milliseconds(300))
        for id in affected { await #expect(throws: SessionError.loggedOut) { try await cluster.manager.read(id) } }
        let loaded = try await cluster.store.load(affected[0].storageKey)
        #expect(loaded?.record.isTombstone == true)
    }
}
