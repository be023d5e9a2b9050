import Foundation
import SessionCore
import Testing
import TestSupport
@testable import MemcachedStore

@Suite(.serialized) struct ReplicationTests {
    @Test(arguments: StoreBackend.allCases) func everySessionHasExactlyTwoSealedCopiesUnderAHashedKey(_ backend: StoreBackend) async throws {
        let cluster = try StoreCluster(backend)
        var ids = [SessionID]()
        for i in 0..<30 {
            ids.append(try await cluster.manager.create(data: .object(["user": .string("alice-\(i)"), "pan": .string("4111111111111111")])).id)
        }
        for id in ids {
            #expect(Set(cluster.holders(of: id)) == Set(cluster.preference(of: id)))
        }
        // A raw dump of every node: no plaintext, no raw id.
        let allKeys = cluster.servers.flatMap { $0.rawKeys() }
        #expect(!allKeys.isEmpty)
        for (server, key) in cluster.servers.flatMap({ s in s.rawKeys().map { (s, $0) } }) {
            let value = String(decoding: server.rawGet(key) ?? [], as: UTF8.self)
            #expect(!value.contains("alice") && !value.contains("4111111111111111"))
            #expect(!ids.contains { key.contains($0.rawValue) })
            // On Redis, every field of the copy's hash (sealed value, order, CAS id) is equally opaque.
            if let redis = server as? RedisServer {
                let hash = try #require(redis.rawHash(key))
                #expect(Set(hash.keys) == ["v", "o", "c"])
                for field in hash.values {
                    let text = String(decoding: field, as: UTF8.self)
                    #expect(!text.contains("alice") && !text.contains("4111111111111111") && !ids.contains { text.contains($0.rawValue) })
                }
            }
        }
    }

    @Test(arguments: StoreBackend.allCases) func aTamperedCopyIsNeverServedAndIsRepaired(_ backend: StoreBackend) async throws {
        let cluster = try StoreCluster(backend)
        let s = try await cluster.manager.create(data: .object(["user": .string("bob")]))
        let key = s.id.storageKey
        let holders = cluster.holders(of: s.id)
        // Swap in a validly sealed value from another session: authenticates under a different key only.
        let other = try await cluster.manager.create(data: .object(["user": .string("mallory")]))
        let foreign = cluster.servers[cluster.holders(of: other.id)[0]].rawGet(other.id.storageKey)!
        #expect(cluster.servers[holders[0]].rawReplace(key, foreign))
        // The other copy is still good: it must be the one served.
        let read = try await cluster.manager.read(s.id)
        #expect(String(decoding: read.record.data, as: UTF8.self).contains("bob"))
        // Read repair replaces the bad copy.
        #expect(waitUntil(seconds: 3) { cluster.servers[holders[0]].rawGet(key) != foreign })
        // Both copies bad: rejected, not served.
        for h in holders {
            var bad = cluster.servers[h].rawGet(key)!
            bad[bad.count - 5] ^= 0xFF
            #expect(cluster.servers[h].rawReplace(key, bad))
        }
        await #expect(throws: SessionError.notFound) { try await cluster.manager.read(s.id) }
    }

    @Test(arguments: StoreBackend.allCases) func fewerLiveNodesThanTheQuorumIsUnavailableNotAPartialWrite(_ backend: StoreBackend) async throws {
        let cluster = try StoreCluster(backend)
        let s = try await cluster.manager.create(data: counterData(1))
        let keep = cluster.preference(of: s.id)[0]
        for i in cluster.servers.indices where i != keep { cluster.servers[i].kill() }
        // The first write discovers the dead nodes; every write then fails with 503, and nothing is acknowledged.
        for _ in 0..<3 {
            do {
                _ = try await cluster.manager.patch(s.id, patch: counterData(2), ifMatch: nil)
                Issue.record("a write was acknowledged with one live node")
            } catch let error as SessionError {
                guard case .unavailable = error else { Issue.record("unexpected \(error)"); continue }
            }
        }
        #expect(!cluster.store.hasWriteQuorum)
        // Reads still work from the surviving copy.
        #expect(counter(try await cluster.manager.read(s.id)) >= 1)
    }

    @Test(arguments: StoreBackend.allCases) func aRestartedEmptyNodeGetsItsCopiesBackByReadRepair(_ backend: StoreBackend) async throws {
        let cluster = try StoreCluster(backend)
        var ids = [SessionID]()
        for i in 0..<40 { ids.append(try await cluster.manager.create(data: counterData(i)).id) }
        try cluster.servers[0].restart()
        #expect(ids.allSatisfy { cluster.servers[0].rawGet($0.storageKey) == nil })
        // Reads keep answering throughout, and repair the restarted node's copies as they go.
        var repaired = false
        for _ in 0..<30 where !repaired {
            for (i, id) in ids.enumerated() { #expect(counter(try await cluster.manager.read(id)) == i) }
            try await Task.sleep(for: .milliseconds(200))
            repaired = ids.allSatisfy { Set(cluster.holders(of: $0)).isSuperset(of: cluster.preference(of: $0)) }
        }
        #expect(repaired)
        #expect(ids.filter { cluster.servers[0].rawGet($0.storageKey) != nil }.count == ids.filter { cluster.preference(of: $0).contains(0) }.count)
    }
}
