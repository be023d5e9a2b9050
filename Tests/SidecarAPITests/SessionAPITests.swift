import Foundation
import NIOHTTP1
import Replication
import SessionCore
import SessionMeshClient
import Testing
import TestSupport

@Suite(.serialized) struct SessionAPITests {
    @Test(arguments: StoreBackend.allCases) func everyCallWorksThroughTheSocket(_ backend: StoreBackend) async throws {
        let cluster = try SidecarCluster(backend)
        let client = cluster.clients[0]
        let s = try await client.create(Cart(user: "alice"), idleTimeout: 300)
        #expect(s.version == 1 && s.id.count == 43)
        let read: Session<Cart> = try await client.get(s.id)
        #expect(read.data == Cart(user: "alice"))

        let patched: Session<Cart> = try await client.patch(s.id, ["items": ["sku-1"]], ifMatch: 1)
        #expect(patched.version == 2 && patched.data.items == ["sku-1"])
        let unconditional: Session<Cart> = try await client.patch(s.id, ["paid": false])
        #expect(unconditional.version == 3 && unconditional.data.paid == false)

        let replaced = try await client.replace(s.id, data: Cart(user: "alice", items: ["sku-2"]), ifMatch: 3)
        #expect(replaced.version == 4)
        await #expect(throws: SessionMeshError.versionMismatch(currentVersion: 4)) {
            try await client.replace(s.id, data: Cart(user: "eve"), ifMatch: 3)
        }

        let rotated: Session<Cart> = try await client.rotate(s.id)
        #expect(rotated.id != s.id && rotated.data.items == ["sku-2"])
        await #expect(throws: SessionMeshError.notFound) { let _: Session<Cart> = try await client.get(s.id) }

        try await client.delete(rotated.id)
        await #expect(throws: SessionMeshError.notFound) { let _: Session<Cart> = try await client.get(rotated.id) }
        await #expect(throws: SessionMeshError.notFound) { try await client.delete(rotated.id) }

        let raw = try await client.send(.GET, "/v1/sessions/\(replaced.id)")
        #expect(raw.status == 404)
        for path in ["/healthz", "/readyz", "/metrics"] {
            #expect(try await client.send(.GET, path).status == 200)
        }
    }

    @Test func readsReturnETagAndTimes() async throws {
        let cluster = try SidecarCluster()
        let client = cluster.clients[0]
        let s = try await client.create(Cart(user: "bob"))
        let raw = try await client.send(.GET, "/v1/sessions/\(s.id)")
        #expect(raw.header("ETag") == "\"1\"")
        #expect(raw.header("Cache-Control") == "no-store")
        let json = try JSONSerialization.jsonObject(with: Data(raw.body)) as! [String: Any]
        for key in ["id", "version", "data", "createdAt", "lastAccessAt", "idleExpiresAt", "absoluteExpiresAt"] {
            #expect(json[key] != nil, "missing \(key)")
        }
    }

    @Test func badInputGetsAPreciseStatusAndTouchesNothingElse() async throws {
        let cluster = try SidecarCluster(extra: ["--max-body-bytes", "4096"])
        let client = cluster.clients[0]
        let canary = try await client.create(Cart(user: "canary", items: ["keep"]))
        let victim = try await client.create(Cart(user: "victim"))
        let loggedOut = try await client.create(Cart(user: "gone"))
        try await client.delete(loggedOut.id)
        let json = [("Content-Type", "application/json")]
        let patchType = [("Content-Type", "application/merge-patch+json")]
        let cases: [(HTTPMethod, String, [(String, String)], String?, Int, String)] = [
            (.POST, "/v1/sessions", json, #"{"data":"#, 400, "bad_request"),
            (.POST, "/v1/sessions", json, "[1,2,3]", 400, "bad_request"),
            (.POST, "/v1/sessions", json, #"{"data":[1]}"#, 422, "unprocessable"),
            (.POST, "/v1/sessions", json, #"{"data":{},"idleTimeout":"soon"}"#, 422, "unprocessable"),
            (.POST, "/v1/sessions", json, #"{"data":{},"idleTimeout":999999}"#, 422, "unprocessable"),
            (.POST, "/v1/sessions", json, #"{"data":{},"idleTimeout":300.5}"#, 422, "unprocessable"),
            (.POST, "/v1/sessions", json, #"{"data":{"x":""# + String(repeating: "a", count: 5000) + #""}}"#, 413, "payload_too_large"),
            (.POST, "/v1/sessions", [("Content-Type", "text/plain")], "{}", 415, "unsupported_media_type"),
            (.POST, "/v1/sessions", [], "{}", 415, "unsupported_media_type"),
            (.GET, "/v1/sessions/not-an-id", [], nil, 400, "bad_request"),
            (.GET, "/v1/sessions/" + String(repeating: "A", count: 43), [], nil, 404, "expired_or_evicted"),
            (.GET, "/v1/sessions/\(loggedOut.id)", [], nil, 404, "logged_out"),
            (.PUT, "/v1/sessions/\(victim.id)", json, #"{"data":{}}"#, 428, "if_match_required"),
            (.PUT, "/v1/sessions/\(victim.id)", json + [("If-Match", "\"9\"")], #"{"data":{}}"#, 412, "version_mismatch"),
            (.PUT, "/v1/sessions/\(victim.id)", json + [("If-Match", "bogus")], #"{"data":{}}"#, 400, "bad_request"),
            (.PATCH, "/v1/sessions/\(victim.id)", json, #"{"a":1}"#, 415, "unsupported_media_type"),
            (.PATCH, "/v1/sessions/\(victim.id)", patchType, #"{"a":"#, 400, "bad_request"),
            (.PATCH, "/v1/sessions/\(victim.id)", patchType + [("If-Match", "\"5\"")], #"{"a":1}"#, 412, "version_mismatch"),
            (.DELETE, "/v1/sessions/\(victim.id)", [("If-Match", "\"5\"")], nil, 412, "version_mismatch"),
            (.GET, "/v2/nothing", [], nil, 404, "no_route"),
        ]
        for (method, path, headers, body, status, code) in cases {
            // After the 413 (answered before the body, `Connection: close`) the client must not reuse
            // that connection: every case gets its answer, none times out.
            let r = try await client.send(method, path, headers: headers, body: body.map { Array($0.utf8) })
            #expect(r.status == status, "\(method) \(path) \(body ?? "")")
            let shape = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: [String: String]]
            #expect(shape?["error"]?["code"] == code, "\(method) \(path): \(String(decoding: r.body, as: UTF8.self))")
            #expect(shape?["error"]?["message"]?.isEmpty == false)
        }
        // A whole number written with a fraction or exponent is still an integer in JSON.
        for body in [#"{"data":{},"idleTimeout":300.0}"#, #"{"data":{},"idleTimeout":3e2}"#] {
            let r = try await client.send(.POST, "/v1/sessions", headers: json, body: Array(body.utf8))
            #expect(r.status == 201, "\(body): \(String(decoding: r.body, as: UTF8.self))")
        }
        let stillCanary: Session<Cart> = try await client.get(canary.id)
        #expect(stillCanary.version == 1 && stillCanary.data == Cart(user: "canary", items: ["keep"]))
        let stillVictim: Session<Cart> = try await client.get(victim.id)
        #expect(stillVictim.version == 1)
    }

    @Test(arguments: StoreBackend.allCases) func quorumLossIs503WithRetryAfterAndRecovers(_ backend: StoreBackend) async throws {
        let cluster = try SidecarCluster(backend, extra: ["--ready-hold-ms", "1500"])
        let client = cluster.clients[0]
        let s = try await client.create(Counter(n: 1))
        // Kill the node that holds no copy of `s` and one of its two holders, so a copy survives the outage.
        let holders = PlacementRing(nodes: cluster.nodes.map(\.address))
            .preferenceList(for: SessionID(s.id)!.storageKey, count: 2)
        let spare = (0..<3).first { !holders.contains($0) }!
        let restarted = holders[0]
        cluster.nodes[spare].kill()
        cluster.nodes[restarted].kill()
        var saw503 = false
        for _ in 0..<3 {
            let r = try await client.send(.POST, "/v1/sessions", headers: [("Content-Type", "application/json")], body: Array(#"{"data":{}}"#.utf8))
            #expect(r.status == 503)
            if r.status == 503 { saw503 = r.header("Retry-After") == "1" }
        }
        #expect(saw503)
        #expect(try await client.send(.GET, "/readyz").status == 503)
        try cluster.nodes[restarted].restart()
        try await Task.sleep(for: .milliseconds(700))
        // Back to quorum: writes work again, and the session written before the failure is still readable.
        let fresh = try await client.create(Counter(n: 2))
        #expect(fresh.version == 1)
        // Readiness has hysteresis: ready again only once the quorum has held for --ready-hold-ms.
        #expect(try await client.send(.GET, "/readyz").status == 503)
        #expect(await eventually(seconds: 5) { (try? await client.send(.GET, "/readyz").status) == 200 })
        let survivor: Session<Counter> = try await client.get(s.id)
        #expect(survivor.data.n == 1 && survivor.version == 1)
    }

    @Test func theSocketIsOwnerAndGroupOnly() throws {
        let cluster = try SidecarCluster()
        let attributes = try FileManager.default.attributesOfItem(atPath: cluster.sidecars[0].socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
    }
}
