import Hummingbird
import HummingbirdTesting
import Replication
import SessionCore
import Synchronization
import Testing

/// `POST /v1/sessions`, in process: every status it answers.
@Suite struct SessionCreateTests {
    @Test func createdIs201WithLocationETagAndTheStoredSession() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", Headers.json, #"{"data":{"user":"alice"},"idleTimeout":300}"#)
            #expect(r.status == .created)
            guard case .string(let id)? = r.object["id"], let sessionID = SessionID(id) else {
                Issue.record("no id in \(r.text)"); return
            }
            #expect(r.headers[.location] == "/v1/sessions/\(id)")
            #expect(r.headers[.eTag] == "\"1\"")
            #expect(r.headers[.cacheControl] == "no-store")
            #expect(r.headers[.contentType] == "application/json")
            #expect(r.object["version"] == .int(1))
            #expect(r.object["data"] == .object(["user": .string("alice")]))
            // Stored under the id's key, with the requested idle timeout.
            let stored = h.storage.stored.withLock { $0[sessionID.storageKey] }.flatMap(SessionRecord.init)
            #expect(stored?.idleTimeout == 300_000)
            #expect(h.routes.activity.activeCount(now: h.clock.now) == 1)
        }
    }

    @Test func aBodyWithoutDataCreatesAnEmptySession() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", Headers.json, "{}")
            #expect(r.status == .created)
            #expect(r.object["data"] == .object([:]))
        }
    }

    @Test(arguments: [
        (#"{"data":"#, "truncated JSON"),
        ("[1,2,3]", "an array"),
        ("", "an empty body"),
    ])
    func aBodyThatIsNotAJSONObjectIs400(_ body: String, _ what: String) async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", Headers.json, body)
            #expect(r.status == .badRequest, "\(what)")
            #expect(r.errorCode == "bad_request")
            #expect(h.recordCount == 0)
        }
    }

    @Test(arguments: [
        #"{"data":[1]}"#,
        #"{"data":{},"idleTimeout":"soon"}"#,
        #"{"data":{},"idleTimeout":999999}"#,
        #"{"data":{},"idleTimeout":300.5}"#,
        #"{"data":{},"absoluteTimeout":0}"#,
    ])
    func dataOrTimeoutsTheAPICannotTakeAre422(_ body: String) async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", Headers.json, body)
            #expect(r.status == .unprocessableContent, "\(body)")
            #expect(r.errorCode == "unprocessable")
            #expect(h.recordCount == 0)
        }
    }

    @Test func aBodyOverTheLimitIs413BeforeItIsRead() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let big = #"{"data":{"x":""# + String(repeating: "a", count: RouteHarness.maxBodyBytes) + #""}}"#
            let r = try await client.send(.post, "/v1/sessions", Headers.json, big)
            #expect(r.status == .contentTooLarge)
            #expect(r.errorCode == "payload_too_large")
            #expect(r.headers[.connection] == "close")
            #expect(h.recordCount == 0)
        }
    }

    @Test func dataOverThePolicyLimitIs413() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let body = #"{"data":{"x":""# + String(repeating: "a", count: RouteHarness.maxDataBytes) + #""}}"#
            #expect(body.utf8.count < RouteHarness.maxBodyBytes)
            let r = try await client.send(.post, "/v1/sessions", Headers.json, body)
            #expect(r.status == .contentTooLarge)
            #expect(r.errorCode == "payload_too_large")
            #expect(r.errorMessage?.contains("\(RouteHarness.maxDataBytes)") == true)
            #expect(h.recordCount == 0)
        }
    }

    /// A 415 is answered before the body is read; the live test checks it through the client too.
    @Test(arguments: [[.contentType: "text/plain"], [:], [.contentType: "application/merge-patch+json"]] as [HTTPFields])
    func aBodyThatIsNotDeclaredJSONIs415(_ headers: HTTPFields) async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", headers, "{}")
            #expect(r.status == .unsupportedMediaType)
            #expect(r.errorCode == "unsupported_media_type")
            #expect(h.recordCount == 0)
        }
    }

    @Test func aMediaTypeWithParametersIsAccepted() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", [.contentType: "Application/JSON; charset=utf-8"], "{}")
            #expect(r.status == .created)
        }
    }

    @Test func anIdThatCannotBeAllocatedIs409() async throws {
        let h = try RouteHarness()
        h.storage.setWritesConflict(true)
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", Headers.json, "{}")
            #expect(r.status == .conflict)
            #expect(r.errorCode == "conflict")
        }
    }
}
