import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /v1/sessions/{id}`, in process: a live session, an ill-formed id, and the two kinds of 404.
@Suite struct SessionReadTests {
    @Test func aLiveSessionIs200WithItsETagAndTimes() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession(#"{"cart":[1,2]}"#)
            let r = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(r.status == .ok)
            #expect(r.headers[.eTag] == "\"1\"")
            #expect(r.headers[.cacheControl] == "no-store")
            #expect(r.object["id"] == .string(id))
            #expect(r.object["data"] == .object(["cart": .array([.int(1), .int(2)])]))
            for key in ["createdAt", "lastAccessAt", "idleExpiresAt", "absoluteExpiresAt"] {
                #expect(r.object[key] != nil, "missing \(key)")
            }
        }
    }

    @Test func readingSlidesTheIdleTimeout() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            h.clock.advance(seconds: 800)
            #expect(try await client.send(.get, "/v1/sessions/\(id)").status == .ok)
            h.clock.advance(seconds: 800)  // 1600 s after creation, 800 s after the last read
            let r = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(r.status == .ok)
            #expect(r.headers[.eTag] == "\"1\"")  // an access refresh is not a new version
        }
    }

    @Test(arguments: ["not-an-id", String(repeating: "A", count: 42), String(repeating: "A", count: 44)])
    func anIllFormedIdIs400(_ id: String) async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(r.status == .badRequest)
            #expect(r.errorCode == "bad_request")
        }
    }

    @Test func anUnknownIdIs404ExpiredOrEvicted() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.get, "/v1/sessions/\(unknownID)")
            #expect(r.status == .notFound)
            #expect(r.errorCode == "expired_or_evicted")
        }
    }

    @Test func anIdleSessionIs404ExpiredOrEvicted() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            h.clock.advance(seconds: 901)
            let r = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(r.status == .notFound)
            #expect(r.errorCode == "expired_or_evicted")
        }
    }

    @Test func aLoggedOutSessionIs404LoggedOutNotExpired() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            #expect(try await client.send(.delete, "/v1/sessions/\(id)").status == .noContent)
            let r = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(r.status == .notFound)
            #expect(r.errorCode == "logged_out")
        }
    }
}
