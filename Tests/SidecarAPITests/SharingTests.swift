import Foundation
import SessionMeshClient
import Synchronization
import Testing
import TestSupport

@Suite(.serialized) struct SharingTests {
    @Test(arguments: StoreBackend.allCases) func aSessionStartedOnOneHostContinuesOnTheOthers(_ backend: StoreBackend) async throws {
        let cluster = try SidecarCluster(backend, sidecars: 3)
        let a = cluster.clients[0], b = cluster.clients[1], c = cluster.clients[2]
        let s = try await a.create(Cart(user: "alice"))
        let _: Session<Cart> = try await b.patch(s.id, ["items": ["sku-1"]], ifMatch: 1)
        let onC: Session<Cart> = try await c.get(s.id)
        #expect(onC.data.items == ["sku-1"] && onC.version == 2)
        try await c.delete(s.id)
        await #expect(throws: SessionMeshError.notFound) { let _: Session<Cart> = try await a.get(s.id) }
    }

    @Test(arguments: StoreBackend.allCases) func fiftyClientsTwentyIncrementsEachThroughThreeSidecarsMakeExactly1000(_ backend: StoreBackend) async throws {
        let cluster = try SidecarCluster(backend, sidecars: 3)
        let s = try await cluster.clients[0].create(Counter(n: 0))
        let clients = cluster.clients
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<50 {
                group.addTask {
                    let client = clients[worker % 3]
                    for _ in 0..<20 {
                        _ = try await client.update(s.id, as: Counter.self) { current in ["n": current.n + 1] }
                    }
                }
            }
            try await group.waitForAll()
        }
        for client in clients {
            let final: Session<Counter> = try await client.get(s.id)
            #expect(final.data.n == 1000)
            #expect(final.version == 1001)
        }
    }
}
