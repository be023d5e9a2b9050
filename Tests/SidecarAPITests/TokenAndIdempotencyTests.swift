import Foundation
import SessionMeshClient
import Testing
import TestSupport

@Suite(.serialized) struct TokenAndIdempotencyTests {
    func unauthorizedCode(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch SessionMeshError.http(401, let code, _) {
            return code
        } catch {
            return "\(error)"
        }
    }

    @Test func aTokenIssuedThroughOneSidecarOpensThroughEveryOtherAndBadOnesAreRefusedEverywhere() async throws {
        let cluster = try SidecarCluster(sidecars: 3)
        let issued = try await cluster.clients[0].issueToken(Cart(user: "alice", items: ["sku-1"]), ttl: 600)
        #expect(issued.token.count <= 4096 && issued.token.utf8.allSatisfy { $0 < 128 && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "=") })
        for client in cluster.clients {
            let opened: OpenedToken<Cart> = try await client.openToken(issued.token)
            #expect(opened.data == Cart(user: "alice", items: ["sku-1"]) && opened.id == issued.id)
        }
        var tampered = Array(issued.token.utf8)
        tampered[60] = tampered[60] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let shortLived = try await cluster.clients[1].issueToken(Cart(user: "bob"), ttl: 1)
        try await Task.sleep(for: .milliseconds(1100))
        let revoked = try await cluster.clients[2].issueToken(Cart(user: "carol"), ttl: 600)
        try await cluster.clients[2].revokeToken(revoked.token)
        for client in cluster.clients {
            #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await client.openToken(String(decoding: tampered, as: UTF8.self)) } == "token_tampered")
            #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await client.openToken(String(issued.token.prefix(30))) } == "token_malformed")
            #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await client.openToken(shortLived.token) } == "token_expired")
            #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await client.openToken(revoked.token) } == "token_revoked")
        }
        // Refresh: a new id, the old token revoked everywhere.
        let fresh = try await cluster.clients[1].refreshToken(issued.token)
        #expect(fresh.id != issued.id)
        for client in cluster.clients {
            #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await client.openToken(issued.token) } == "token_revoked")
            let opened: OpenedToken<Cart> = try await client.openToken(fresh.token)
            #expect(opened.data.user == "alice")
        }
    }

    @Test func aRevocationMadeWhileAReplicaWasFrozenHoldsAfterItResumes() async throws {
        let cluster = try SidecarCluster(sidecars: 2)
        var tokens = [IssuedToken]()
        for i in 0..<12 { tokens.append(try await cluster.clients[0].issueToken(Cart(user: "u\(i)"), ttl: 600)) }
        cluster.nodes[1].freeze()
        for token in tokens { try await cluster.clients[0].revokeToken(token.token) }
        cluster.nodes[1].resume()
        try await Task.sleep(for: .milliseconds(700))
        for token in tokens {
            for client in cluster.clients {
                #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await client.openToken(token.token) } == "token_revoked")
            }
        }
    }

    @Test func aTokenSealedUnderARetiredPrimaryKeyStillOpens() async throws {
        let dir = TempDir("tokens")
        let memcached = try (0..<3).map { _ in try MemcachedServer(dir: dir) }
        defer { for m in memcached { m.kill() } }
        let old = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let new = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let before = dir.file("keyring-old"), after = dir.file("keyring-rotated")
        try old.write(toFile: before, atomically: true, encoding: .utf8)
        try "\(new)\n\(old)\n".write(toFile: after, atomically: true, encoding: .utf8)
        let a = try SidecarProcess(dir: dir, name: "old", memcached: memcached.map(\.address), keyring: before)
        let b = try SidecarProcess(dir: dir, name: "rotated", memcached: memcached.map(\.address), keyring: after)
        defer { a.process.killNow(); b.process.killNow() }
        let issued = try await SessionMeshClient(socketPath: a.socket).issueToken(Cart(user: "dave"), ttl: 600)
        let opened: OpenedToken<Cart> = try await SessionMeshClient(socketPath: b.socket).openToken(issued.token)
        #expect(opened.data.user == "dave")
    }

    /// Over either backend (a token's revocation check and an idempotency record are records like any other).
    @Test(arguments: StoreBackend.allCases)
    func twoHundredConcurrentReservationsThroughThreeSidecarsMakeExactlyOneStart(_ backend: StoreBackend) async throws {
        let cluster = try SidecarCluster(backend, sidecars: 3)
        let token = try await cluster.clients[0].issueToken(Cart(user: "erin"), ttl: 60)
        try await cluster.clients[1].revokeToken(token.token)
        #expect(await unauthorizedCode { let _: OpenedToken<Cart> = try await cluster.clients[2].openToken(token.token) } == "token_revoked")
        let key = "pay-" + UUID().uuidString
        let clients = cluster.clients
        let all = await withTaskGroup(of: String.self) { group in
            for i in 0..<200 {
                group.addTask {
                    do {
                        switch try await clients[i % 3].reserve(idempotencyKey: key, fingerprint: "amount=100", leaseSeconds: 60) {
                        case .started: return "started"
                        case .completed: return "completed"
                        }
                    } catch SessionMeshError.http(409, "idempotency_in_progress", _) {
                        return "in_progress"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(all.filter { $0 == "started" }.count == 1)
        #expect(all.filter { $0 == "in_progress" }.count == 199, "\(Set(all))")
    }

    @Test func aTakeoverAfterTheHolderDiesGetsAHigherFenceAndTheStaleCompletionIsRefused() async throws {
        let cluster = try SidecarCluster(sidecars: 2)
        let key = "pay-" + UUID().uuidString
        guard case .started(let first) = try await cluster.clients[0].reserve(idempotencyKey: key, fingerprint: "f", leaseSeconds: 1) else {
            Issue.record("the first reservation did not start"); return
        }
        // The holder's sidecar dies; its lease runs out; another host takes over.
        cluster.sidecars[0].process.killNow()
        try await Task.sleep(for: .milliseconds(1100))
        guard case .started(let second) = try await cluster.clients[1].reserve(idempotencyKey: key, fingerprint: "f", leaseSeconds: 30) else {
            Issue.record("no takeover"); return
        }
        #expect(second > first)
        await #expect(throws: SessionMeshError.http(status: 409, code: "stale_fence", message: "this key was taken over (fence \(second)); the completion is refused")) {
            try await cluster.clients[1].complete(idempotencyKey: key, fence: first, response: StoredResponse(status: 201, body: "stale"))
        }
        // A different payload under the same key is a mismatch.
        await #expect(throws: SessionMeshError.self) {
            _ = try await cluster.clients[1].reserve(idempotencyKey: key, fingerprint: "other", leaseSeconds: 30)
        }
        let body = #"{"id":"ch_1","amount":100,"note":"ünïcödé \"quoted\""}"#
        try await cluster.clients[1].complete(idempotencyKey: key, fence: second,
                                             response: StoredResponse(status: 201, headers: ["Content-Type": "application/json"], body: body))
        // The replay is the stored response, byte for byte.
        let replay = try await cluster.clients[1].reserve(idempotencyKey: key, fingerprint: "f")
        #expect(replay == .completed(StoredResponse(status: 201, headers: ["Content-Type": "application/json"], body: body)))
        let raw = try await cluster.clients[1].send(.POST, "/v1/idempotency/\(key)", headers: [("Content-Type", "application/json")],
                                                   body: Array(#"{"fingerprint":"f"}"#.utf8))
        #expect(raw.status == 200)
        // Bad keys are 400.
        let bad = try await cluster.clients[1].send(.POST, "/v1/idempotency/has%20space", headers: [("Content-Type", "application/json")],
                                                   body: Array(#"{"fingerprint":"f"}"#.utf8))
        #expect(bad.status == 400)
    }
}
