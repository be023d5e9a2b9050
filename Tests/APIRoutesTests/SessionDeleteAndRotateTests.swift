import Hummingbird
import HummingbirdTesting
import Testing

/// Logout (`DELETE /v1/sessions/{id}`) and rotation (`POST /v1/sessions/{id}/rotate`), in process.
@Suite struct SessionDeleteAndRotateTests {
    @Test func logoutIs204AndLeavesATombstoneThatAnswersLoggedOut() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            #expect(h.routes.activity.activeCount(now: h.clock.now) == 1)
            let r = try await client.send(.delete, "/v1/sessions/\(id)")
            #expect(r.status == .noContent)
            #expect(r.body.readableBytes == 0)
            #expect(h.routes.activity.activeCount(now: h.clock.now) == 0)
            #expect(h.recordCount == 1)  // the tombstone
            let again = try await client.send(.delete, "/v1/sessions/\(id)")
            #expect(again.status == .notFound)
            #expect(again.errorCode == "logged_out")
        }
    }

    @Test func logoutWithTheCurrentVersionIs204AndWithAStaleOneIs412() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            let stale = try await client.send(.delete, "/v1/sessions/\(id)", [.ifMatch: "\"5\""])
            #expect(stale.status == .preconditionFailed)
            #expect(stale.errorCode == "version_mismatch")
            #expect(try await client.send(.get, "/v1/sessions/\(id)").status == .ok)
            #expect(try await client.send(.delete, "/v1/sessions/\(id)", [.ifMatch: "\"1\""]).status == .noContent)
        }
    }

    @Test func logoutOfAnUnknownOrIllFormedIdIs404Or400() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let unknown = try await client.send(.delete, "/v1/sessions/\(unknownID)")
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "expired_or_evicted")
            let bad = try await client.send(.delete, "/v1/sessions/short")
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == "bad_request")
        }
    }

    @Test func logoutThatKeepsLosingItsRaceIs409() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            h.storage.setWritesConflict(true)
            let r = try await client.send(.delete, "/v1/sessions/\(id)")
            #expect(r.status == .conflict)
            #expect(r.errorCode == "conflict")
            h.storage.setWritesConflict(false)
            #expect(try await client.send(.get, "/v1/sessions/\(id)").status == .ok)
        }
    }

    @Test func rotationIs201WithANewIdTheSameDataAndTheOldIdLoggedOut() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let old = try await client.createSession(#"{"user":"bob"}"#)
            let r = try await client.send(.post, "/v1/sessions/\(old)/rotate")
            #expect(r.status == .created)
            guard case .string(let new)? = r.object["id"] else { Issue.record("no id in \(r.text)"); return }
            #expect(new != old)
            #expect(r.headers[.location] == "/v1/sessions/\(new)")
            #expect(r.headers[.eTag] == "\"1\"")
            let read = try await client.send(.get, "/v1/sessions/\(new)")
            #expect(read.object["data"] == .object(["user": .string("bob")]))
            let gone = try await client.send(.get, "/v1/sessions/\(old)")
            #expect(gone.status == .notFound)
            #expect(gone.errorCode == "logged_out")
        }
    }

    @Test func rotationOfAnUnknownOrLoggedOutSessionIs404() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let unknown = try await client.send(.post, "/v1/sessions/\(unknownID)/rotate")
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "expired_or_evicted")
            let id = try await client.createSession()
            _ = try await client.send(.delete, "/v1/sessions/\(id)")
            let loggedOut = try await client.send(.post, "/v1/sessions/\(id)/rotate")
            #expect(loggedOut.status == .notFound)
            #expect(loggedOut.errorCode == "logged_out")
        }
    }

    @Test func rotationThatCannotAllocateAnIdIs409AndKeepsTheOldSession() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            h.storage.setWritesConflict(true)
            let r = try await client.send(.post, "/v1/sessions/\(id)/rotate")
            #expect(r.status == .conflict)
            #expect(r.errorCode == "conflict")
            h.storage.setWritesConflict(false)
            #expect(try await client.send(.get, "/v1/sessions/\(id)").status == .ok)
        }
    }
}
