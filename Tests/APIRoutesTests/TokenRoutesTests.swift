import Hummingbird
import HummingbirdTesting
import Replication
import SessionCore
import Testing

/// Sealed tokens on `/v1/tokens`, in process: issue, open, revoke, refresh and their refusals.
@Suite struct TokenRoutesTests {
    func issue(_ client: some TestClientProtocol, ttl: Int = 600) async throws -> String {
        let r = try await client.send(.post, "/v1/tokens", Headers.json, #"{"data":{"user":"alice"},"ttl":\#(ttl)}"#)
        guard r.status == .created, case .string(let token)? = r.object["token"] else { throw HarnessError("issue: \(r.status) \(r.text)") }
        return token
    }

    @Test func anIssuedTokenOpensRefreshesAndOnceRevokedIs401() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let token = try await issue(client)
            let opened = try await client.send(.post, "/v1/tokens/open", Headers.json, #"{"token":"\#(token)"}"#)
            #expect(opened.status == .ok)
            #expect(opened.object["data"] == .object(["user": .string("alice")]))
            let refreshed = try await client.send(.post, "/v1/tokens/refresh", Headers.json, #"{"token":"\#(token)"}"#)
            #expect(refreshed.status == .created)
            #expect(refreshed.object["token"] != .string(token))
            // Refreshing revoked the old token.
            let old = try await client.send(.post, "/v1/tokens/open", Headers.json, #"{"token":"\#(token)"}"#)
            #expect(old.status == .unauthorized)
            #expect(old.errorCode == "token_revoked")
            guard case .string(let fresh)? = refreshed.object["token"] else { return }
            let revoked = try await client.send(.post, "/v1/tokens/revoke", Headers.json, #"{"token":"\#(fresh)"}"#)
            #expect(revoked.status == .noContent)
            let after = try await client.send(.post, "/v1/tokens/open", Headers.json, #"{"token":"\#(fresh)"}"#)
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "token_revoked")
        }
    }

    @Test func expiredTamperedAndMalformedTokensAre401WithTheirReason() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let token = try await issue(client, ttl: 60)
            var bytes = Array(token.utf8)
            bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let cases = [(String(decoding: bytes, as: UTF8.self), "token_tampered"), ("not a token!", "token_malformed")]
            for (text, code) in cases {
                let r = try await client.send(.post, "/v1/tokens/open", Headers.json, #"{"token":"\#(text)"}"#)
                #expect(r.status == .unauthorized)
                #expect(r.errorCode == code)
            }
            h.clock.advance(seconds: 61)
            let expired = try await client.send(.post, "/v1/tokens/open", Headers.json, #"{"token":"\#(token)"}"#)
            #expect(expired.status == .unauthorized)
            #expect(expired.errorCode == "token_expired")
        }
    }

    @Test func badTokenRequestsAre415Or422Or413() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let media = try await client.send(.post, "/v1/tokens", [.contentType: "text/plain"], #"{"data":{},"ttl":60}"#)
            #expect(media.status == .unsupportedMediaType)
            let noTTL = try await client.send(.post, "/v1/tokens", Headers.json, #"{"data":{}}"#)
            #expect(noTTL.status == .unprocessableContent)
            #expect(noTTL.errorCode == "unprocessable")
            let noToken = try await client.send(.post, "/v1/tokens/open", Headers.json, "{}")
            #expect(noToken.status == .unprocessableContent)
            let tooLarge = try await client.send(.post, "/v1/tokens", Headers.json,
                                                 #"{"data":{"x":""# + String(repeating: "a", count: 3500) + #""},"ttl":60}"#)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "token_too_large")
        }
    }

    @Test func revokingWhileTheStoreIsDownIs503WithRetryAfter() async throws {
        let h = try RouteHarness()
        try await h.test { client in
            let token = try await issue(client)
            h.storage.setOutage(StoreUnavailable("no quorum", retryAfterSeconds: 2))
            let r = try await client.send(.post, "/v1/tokens/revoke", Headers.json, #"{"token":"\#(token)"}"#)
            #expect(r.status == .serviceUnavailable)
            #expect(r.headers[.retryAfter] == "2")
        }
    }
}
