import Hummingbird
import HummingbirdTesting
import Testing

/// What the API answers from the request head alone, and for paths it does not serve.
@Suite struct RequestGateTests {
    @Test func aTransferCodingOtherThanChunkedIs501AndClosesTheConnection() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.post, "/v1/sessions", [.contentType: "application/json", .transferEncoding: "gzip, chunked"], "{}")
            #expect(r.status == .notImplemented)
            #expect(r.errorCode == "unsupported_transfer_encoding")
            #expect(r.headers[.connection] == "close")
            #expect(h.recordCount == 0)
        }
    }

    @Test func aContentLengthThatIsNotANumberIs400() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.get, "/v1/sessions/\(unknownID)", [.contentLength: "ten"])
            #expect(r.status == .badRequest)
            #expect(r.errorCode == "bad_request")
            #expect(r.headers[.connection] == "close")
        }
    }

    @Test func anUnknownPathIs404NoRoute() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let r = try await client.send(.get, "/v2/nothing")
            #expect(r.status == .notFound)
            #expect(r.errorCode == "no_route")
            #expect(r.headers[.contentType] == "application/json")
        }
    }

    @Test func everyAnswerIsCountedInTheLoadCounters() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let id = try await client.createSession()
            _ = try await client.send(.get, "/v1/sessions/\(id)")
            _ = try await client.send(.get, "/v1/sessions/\(unknownID)")
            let load = h.routes.load.snapshot()
            #expect(load.requests == 3)
            #expect(load.inFlight == 0)
            #expect(load.errors == 0)  // a 404 is the client's, not this host's
        }
    }
}
