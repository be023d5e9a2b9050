import Hummingbird
import HummingbirdTesting
import Replication
import Testing

/// When the store cannot answer (no quorum), every session call is a 503 with the store's
/// Retry-After, and nothing is lost once it answers again.
@Suite struct StoreOutageTests {
    @Test func everySessionCallIs503WithRetryAfterThenRecovers() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession(#"{"n":1}"#)
            h.storage.setOutage(StoreUnavailable("no write quorum", retryAfterSeconds: 7))
            let calls: [(HTTPRequest.Method, String, HTTPFields, String?)] = [
                (.post, "/v1/sessions", Headers.json, #"{"data":{}}"#),
                (.get, "/v1/sessions/\(id)", [:], nil),
                (.put, "/v1/sessions/\(id)", Headers.json(ifMatch: "\"1\""), #"{"data":{"n":2}}"#),
                (.patch, "/v1/sessions/\(id)", Headers.mergePatch, #"{"n":3}"#),
                (.delete, "/v1/sessions/\(id)", [:], nil),
                (.post, "/v1/sessions/\(id)/rotate", [:], nil),
            ]
            for (method, uri, headers, body) in calls {
                let r = try await client.send(method, uri, headers, body)
                #expect(r.status == .serviceUnavailable, "\(method) \(uri)")
                #expect(r.errorCode == "store_unavailable", "\(method) \(uri)")
                #expect(r.headers[.retryAfter] == "7", "\(method) \(uri)")
            }
            h.storage.setOutage(nil)
            let r = try await client.send(.get, "/v1/sessions/\(id)")
            #expect(r.status == .ok)
            #expect(r.headers[.eTag] == "\"1\"")
            #expect(r.object["data"] == .object(["n": .int(1)]))
        }
    }
}
