import Replication

/// Cookie tokens over the replicated store: issue and open need no store round trip except the
/// revocation check, a one-key read coalesced like session reads; revoke writes a revocation
/// record (namespace `tokenRevocation`, keyed by the token id) kept until the token's own expiry.
/// Pure: the clock and the random ids are parameters.
public struct TokenService: Sendable {
    public let sealer: TokenSealer
    public let storage: any RecordStorage
    /// Longest lifetime a token may ask for, ms.
    public let maxTTL: Int64
    public let now: @Sendable () -> Int64
    public let newTokenID: @Sendable () -> [UInt8]
    public let newWriteID: @Sendable () -> UInt64

    public init(sealer: TokenSealer, storage: any RecordStorage, maxTTL: Int64, now: @escaping @Sendable () -> Int64,
                newTokenID: @escaping @Sendable () -> [UInt8] = { randomBytes(16) },
                newWriteID: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 1...UInt64.max) }) {
        self.sealer = sealer
        self.storage = storage
        self.maxTTL = maxTTL
        self.now = now
        self.newTokenID = newTokenID
        self.newWriteID = newWriteID
    }

    /// A new token for `data` (a JSON object) that expires after `ttlSeconds`.
    public func issue(data: JSONValue, ttlSeconds: Int) throws -> (token: String, contents: TokenSealer.Contents) {
        guard case .object = data else { throw SessionError.unprocessable("token data must be a JSON object") }
        guard ttlSeconds > 0, Int64(ttlSeconds) * 1000 <= maxTTL else {
            throw SessionError.unprocessable("ttl must be between 1 and \(maxTTL / 1000) seconds")
        }
        let t = now()
        let contents = TokenSealer.Contents(id: newTokenID(), issuedAt: t, expiresAt: t + Int64(ttlSeconds) * 1000, data: data.serialized())
        return (try sealer.seal(contents), contents)
    }

    /// Opens a token that is authentic, unexpired and not revoked.
    public func open(_ token: String) async throws -> TokenSealer.Contents {
        let contents = try sealer.open(token)
        guard now() < contents.expiresAt else { throw TokenError.expired }
        if try await isRevoked(contents) { throw TokenError.revoked }
        return contents
    }

    /// Revokes a token on every sidecar until its expiry. An expired token needs no record.
    public func revoke(_ token: String) async throws {
        let contents = try sealer.open(token)
        guard now() < contents.expiresAt else { return }
        let key = revocationKey(contents)
        for _ in 0..<8 {
            let current = try await storage.loadOrUnavailable(key)
            if let current, current.record.isLive(at: now()) { return }
            let record = Record(namespace: .tokenRevocation, version: (current?.record.version ?? 0) + 1, writeID: newWriteID(),
                                expiresAt: contents.expiresAt, payload: [])
            if try await storage.writeOrUnavailable(record, key: key, expected: current) == .written { return }
        }
        throw SessionError.conflict("could not record the revocation under contention; retry")
    }

    /// A new token with the same data, a new id and a new lifetime as long as the old one's; the
    /// old token is revoked. The data is re-sealed under the primary key.
    public func refresh(_ token: String) async throws -> (token: String, contents: TokenSealer.Contents) {
        let old = try await open(token)
        let t = now()
        let contents = TokenSealer.Contents(id: newTokenID(), issuedAt: t, expiresAt: t + (old.expiresAt - old.issuedAt), data: old.data)
        let fresh = try sealer.seal(contents)
        try await revoke(token)
        return (fresh, contents)
    }

    func isRevoked(_ contents: TokenSealer.Contents) async throws -> Bool {
        guard let loaded = try await storage.loadOrUnavailable(revocationKey(contents)) else { return false }
        return loaded.record.isLive(at: now())
    }

    func revocationKey(_ contents: TokenSealer.Contents) -> String { RecordKey.derive(.tokenRevocation, contents.id) }
}

/// `count` bytes from the system CSPRNG.
public func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
