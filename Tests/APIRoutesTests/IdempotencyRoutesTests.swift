import Hummingbird
import HummingbirdTesting
import Testing

/// Idempotency keys on `/v1/idempotency/{key}`, in process: reserve, complete, replay, refusals.
@Suite struct IdempotencyRoutesTests {
    @Test func reserveCompleteAndReplay() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let first = try await client.send(.post, "/v1/idempotency/pay-1", Headers.json, #"{"fingerprint":"amount=10","leaseSeconds":30}"#)
            #expect(first.status == .created)
            #expect(first.object["state"] == .string("started"))
            #expect(first.object["fence"] == .int(1))
            let busy = try await client.send(.post, "/v1/idempotency/pay-1", Headers.json, #"{"fingerprint":"amount=10"}"#)
            #expect(busy.status == .conflict)
            #expect(busy.errorCode == "idempotency_in_progress")
            #expect(busy.headers[.retryAfter] == "30")
            let done = try await client.send(.put, "/v1/idempotency/pay-1", Headers.json,
                                             #"{"fence":1,"status":201,"body":"{\"charge\":\"ch_1\"}","headers":{"Content-Type":"application/json"}}"#)
            #expect(done.status == .noContent)
            let replay = try await client.send(.post, "/v1/idempotency/pay-1", Headers.json, #"{"fingerprint":"amount=10"}"#)
            #expect(replay.status == .ok)
            #expect(replay.object["state"] == .string("completed"))
            #expect(replay.object["response"] == .object([
                "status": .int(201), "body": .string(#"{"charge":"ch_1"}"#),
                "headers": .object(["Content-Type": .string("application/json")]),
            ]))
        }
    }

    @Test func refusalsHaveTheirOwnCodes() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            _ = try await client.send(.post, "/v1/idempotency/k", Headers.json, #"{"fingerprint":"a"}"#)
            let mismatch = try await client.send(.post, "/v1/idempotency/k", Headers.json, #"{"fingerprint":"b"}"#)
            #expect(mismatch.status == .unprocessableContent)
            #expect(mismatch.errorCode == "idempotency_fingerprint_mismatch")
            let notReserved = try await client.send(.put, "/v1/idempotency/other", Headers.json, #"{"fence":1,"status":200}"#)
            #expect(notReserved.status == .notFound)
            #expect(notReserved.errorCode == "idempotency_not_reserved")
            let badKey = try await client.send(.post, "/v1/idempotency/" + String(repeating: "k", count: 256), Headers.json, #"{"fingerprint":"a"}"#)
            #expect(badKey.status == .badRequest)
            #expect(badKey.errorCode == "bad_idempotency_key")
            let noFence = try await client.send(.put, "/v1/idempotency/k", Headers.json, #"{"status":200}"#)
            #expect(noFence.status == .unprocessableContent)
            let media = try await client.send(.post, "/v1/idempotency/k", [.contentType: "text/plain"], #"{"fingerprint":"a"}"#)
            #expect(media.status == .unsupportedMediaType)
        }
    }
}
