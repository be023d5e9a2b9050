import Foundation
import SessionCore
import Synchronization
import Testing
import TestSupport
@testable import MemcachedStore

/// Reads made on an event loop go over the loop's own memcached connections (`MemcachedLoopReads`):
/// the same answers as the read threads give, under concurrency, across writes and node failures.
@Suite(.serialized) struct LoopReadTests {
    @Test func concurrentReadsOnTheLoopEachGetTheirOwnSessionAndFollowEveryWrite() async throws {
        let cluster = try StoreCluster(.memcached)
        var ids = [SessionID]()
        for i in 0..<300 { ids.append(try await cluster.manager.create(data: counterData(i)).id) }
        let all = ids
        // All at once: they share batches (one multi-key gets per node), and each gets its own.
        let seen = try await cluster.onLoop {
            try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for (i, id) in all.enumerated() {
                    group.addTask(executorPreference: cluster.executor) { (i, counter(try await cluster.manager.read(id))) }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
            }
        }
        #expect(seen.count == 300)
        #expect(seen.allSatisfy { $0.key == $0.value })
        // Writes made on the loop are read back on the loop, and off it (the read threads).
        for (i, id) in all.prefix(50).enumerated() {
            try await cluster.onLoop {
                let current = try await cluster.manager.read(id)
                _ = try await cluster.manager.patch(id, patch: counterData(1000 + i), ifMatch: current.record.version)
                #expect(counter(try await cluster.manager.read(id)) == 1000 + i)
            }
            #expect(counter(try await cluster.manager.read(id)) == 1000 + i)
        }
        // Deleted on the loop: gone everywhere.
        let last = ids[299]
        try await cluster.onLoop { try await cluster.manager.delete(last) }
        await #expect(throws: SessionError.self) { try await cluster.onLoop { try await cluster.manager.read(last) } }
        #expect(cluster.store.readsServedOnLoops >= 300 + 100)
    }

    @Test func aNodeRestartedEmptyIsReadAroundAndTheLoopReconnects() async throws {
        let cluster = try StoreCluster(.memcached)
        var ids = [SessionID]()
        for i in 0..<60 { ids.append(try await cluster.manager.create(data: counterData(i)).id) }
        let all = ids
        func readAllOnLoop() async throws -> [Int] {
            try await cluster.onLoop {
                var out = [Int]()
                for id in all { out.append(counter(try await cluster.manager.read(id))) }
                return out
            }
        }
        #expect(try await readAllOnLoop() == Array(0..<60))
        // The loop's connection to node 1 dies with it: the keys it held are read on the others.
        cluster.servers[1].kill()
        #expect(try await readAllOnLoop() == Array(0..<60))
        try cluster.servers[1].restart()
        try await Task.sleep(for: .milliseconds(700))  // past the retry interval (500 ms)
        #expect(try await readAllOnLoop() == Array(0..<60))
    }
}
