import Foundation

/// A sealed cookie token as issued (`POST /v1/tokens`, `/v1/tokens/refresh`).
public struct IssuedToken: Decodable, Sendable, Equatable {
    public var token: String
    public var id: String
    public var issuedAt: String
    public var expiresAt: String
}

/// A token's contents, opened (`POST /v1/tokens/open`).
public struct OpenedToken<T: Sendable>: Sendable {
    public var data: T
    public var id: String
    public var issuedAt: String
    public var expiresAt: String
}

extension SessionMeshClient {
    /// Seals `data` into a cookie token that any sidecar with the keyring opens, valid `ttl` seconds.
    public func issueToken<T: Encodable>(_ data: T, ttl: Int) async throws -> IssuedToken {
        try await tokenCall("/v1/tokens", TokenBody(data: data, ttl: ttl), expect: 201)
    }

    /// Opens a token: 401 (`.http(status: 401, code: "token_…")`) when it is tampered with,
    /// truncated, expired, revoked or sealed under an unknown key.
    public func openToken<T: Decodable & Sendable>(_ token: String, as type: T.Type = T.self) async throws -> OpenedToken<T> {
        let e: OpenedEnvelope<T> = try await tokenCall("/v1/tokens/open", ["token": token], expect: 200)
        return OpenedToken(data: e.data, id: e.id, issuedAt: e.issuedAt, expiresAt: e.expiresAt)
    }

    /// Revokes a token on every sidecar until it expires (logout).
    public func revokeToken(_ token: String) async throws {
        let response = try await send(.POST, "/v1/tokens/revoke", headers: [("Content-Type", "application/json")],
                                      body: Array(try JSONEncoder().encode(["token": token])))
        guard response.status == 204 else { throw Self.error(from: response) }
    }

    /// A new token with the same data and lifetime; the old one is revoked.
    public func refreshToken(_ token: String) async throws -> IssuedToken {
        try await tokenCall("/v1/tokens/refresh", ["token": token], expect: 201)
    }

    private func tokenCall<R: Decodable>(_ path: String, _ body: some Encodable, expect: Int) async throws -> R {
        let response = try await send(.POST, path, headers: [("Content-Type", "application/json")],
                                      body: Array(try JSONEncoder().encode(body)))
        guard response.status == expect else { throw Self.error(from: response) }
        do { return try JSONDecoder().decode(R.self, from: Data(response.body)) } catch {
            throw SessionMeshError.badResponse("cannot decode \(path) reply: \(error)")
        }
    }

    private struct TokenBody<T: Encodable>: Encodable {
        var data: T
        var ttl: Int
    }

    private struct OpenedEnvelope<T: Decodable>: Decodable {
        var data: T
        var id: String
        var issuedAt: String
        var expiresAt: String
    }
}
