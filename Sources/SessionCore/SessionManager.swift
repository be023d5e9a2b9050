import Replication

/// The session operations of the API (brief §3), over any `RecordStorage`.
/// Pure: the clock and the id generator are parameters.
public struct SessionManager: Sendable {
    public let storage: any RecordStorage
    public let policy: SessionPolicy
    /// Milliseconds since the Unix epoch.
    public let now: @Sendable () -> Int64
    public let newID: @Sendable () -> SessionID
    public let newWriteID: @Sendable () -> UInt64
    /// How often an unconditional write retries a CAS conflict before answering 409.
    public let maxRetries: Int

    public init(
        storage: any RecordStorage, policy: SessionPolicy,
        now: @escaping @Sendable () -> Int64,
        newID: @escaping @Sendable () -> SessionID = { SessionID.random() },
        newWriteID: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 1...UInt64.max) },
        maxRetries: Int = 200
    ) {
        self.storage = storage
        self.policy = policy
        self.now = now
        self.newID = newID
        self.newWriteID = newWriteID
        self.maxRetries = maxRetries
    }

    public func create(data: JSONValue, idleSeconds: Int? = nil, absoluteSeconds: Int? = nil) async throws(SessionError) -> SessionView {
        let bytes = try validatedData(data)
        let (idle, absolute) = try policy.timeouts(idleSeconds: idleSeconds, absoluteSeconds: absoluteSeconds)
        let t = now()
        let record = SessionRecord(version: 1, createdAt: t, lastAccessAt: t, idleTimeout: idle,
                                   absoluteExpiresAt: t + absolute, writeID: newWriteID(), data: bytes)
        // A fresh 256-bit id cannot collide; the loop only guards the impossible.
        for _ in 0..<3 {
            let id = newID()
            if try await write(record, key: id.storageKey, expected: nil) == .written {
                return SessionView(id: id, record: record)
            }
        }
        throw .conflict("could not allocate a session id")
    }

    /// Reads a live session; counts as activity (sliding idle timeout).
    public func read(_ id: SessionID) async throws(SessionError) -> SessionView {
        let key = id.storageKey
        let t = now()
        let (record, loaded) = try await liveRecord(key, at: t)
        guard policy.needsTouch(record, now: t) else { return SessionView(id: id, record: record) }
        return SessionView(id: id, record: await touch(record, key: key, loaded: loaded, at: t))
    }

    /// `read` without a task, for a NIO handler: `completion` runs exactly once, on the store's read
    /// thread (it must not block). Only a read that refreshes the access time (once per
    /// `touchGranularity` per session) finishes in a task, for its write.
    public func read(_ id: SessionID, completion: @escaping @Sendable (Result<SessionView, SessionError>) -> Void) {
        let key = id.storageKey
        let t = now()
        storage.load(key) { [self] result in
            let record: SessionRecord, loaded: LoadedRecord
            do throws(SessionError) {
                (record, loaded) = try live(result.mapError { SessionError.unavailable($0) }.get(), at: t)
            } catch {
                completion(.failure(error))
                return
            }
            guard policy.needsTouch(record, now: t) else { return completion(.success(SessionView(id: id, record: record))) }
            Task { completion(.success(SessionView(id: id, record: await touch(record, key: key, loaded: loaded, at: t)))) }
        }
    }

    /// The sliding idle timeout: the access time moved to `t`. Best effort: a conflicting write
    /// refreshes the access time too. The CAS ids the read saw stand in for reading the copies again.
    private func touch(_ record: SessionRecord, key: String, loaded: LoadedRecord, at t: Int64) async -> SessionRecord {
        var touched = record
        touched.lastAccessAt = t
        touched.writeID = newWriteID()
        _ = try? await write(touched, key: key, expected: loaded)
        return touched
    }

    /// Replaces `data` if the version still matches (CAS).
    public func replace(_ id: SessionID, data: JSONValue, ifMatch: UInt64) async throws(SessionError) -> SessionView {
        let bytes = try validatedData(data)
        return try await update(id, ifMatch: ifMatch) { _ in bytes }
    }

    /// RFC 7396 merge patch of `data`; with `ifMatch` a conditional update (412 on conflict),
    /// without it retried server-side until it applies atomically.
    public func patch(_ id: SessionID, patch: JSONValue, ifMatch: UInt64?) async throws(SessionError) -> SessionView {
        guard case .object = patch else { throw .unprocessable("a merge patch for session data must be a JSON object") }
        return try await update(id, ifMatch: ifMatch) { (current: [UInt8]) throws(SessionError) -> [UInt8] in
            try validatedData(try JSONValue.parse(current).mergePatched(with: patch))
        }
    }

    /// Logout: replaces the session with a tombstone that outlives every older copy.
    public func delete(_ id: SessionID, ifMatch: UInt64? = nil) async throws(SessionError) {
        let key = id.storageKey
        for _ in 0...maxRetries {
            let t = now()
            let (current, loaded) = try await liveRecord(key, at: t)
            if let v = ifMatch, v != current.version { throw .preconditionFailed(currentVersion: current.version) }
            var tombstone = current
            tombstone.version += 1
            tombstone.isTombstone = true
            tombstone.lastAccessAt = t
            tombstone.writeID = newWriteID()
            tombstone.data = []
            if try await write(tombstone, key: key, expected: loaded) == .written { return }
        }
        throw .conflict("too much contention on this session; retry")
    }

    /// New id, same data and lifetime; the old id is deleted (anti-fixation at login).
    public func rotate(_ id: SessionID) async throws(SessionError) -> SessionView {
        let t = now()
        let (current, _) = try await liveRecord(id.storageKey, at: t)
        var fresh = current
        fresh.version = 1
        fresh.lastAccessAt = t
        fresh.writeID = newWriteID()
        var created: SessionView?
        for _ in 0..<3 {
            let newID = newID()
            if try await write(fresh, key: newID.storageKey, expected: nil) == .written {
                created = SessionView(id: newID, record: fresh)
                break
            }
        }
        guard let created else { throw .conflict("could not allocate a session id") }
        try await delete(id)
        return created
    }

    private func update(_ id: SessionID, ifMatch: UInt64?, _ transform: ([UInt8]) throws(SessionError) -> [UInt8]) async throws(SessionError) -> SessionView {
        let key = id.storageKey
        for _ in 0...maxRetries {
            let t = now()
            let (current, loaded) = try await liveRecord(key, at: t)
            if let v = ifMatch, v != current.version { throw .preconditionFailed(currentVersion: current.version) }
            var next = current
            next.data = try transform(current.data)
            next.version += 1
            next.lastAccessAt = t
            next.writeID = newWriteID()
            if try await write(next, key: key, expected: loaded) == .written {
                return SessionView(id: id, record: next)
            }
            // Lost a CAS race (possibly to a mere access-time refresh): read again and re-check.
        }
        throw .conflict("too much contention on this session; retry")
    }

    /// The live session under `key`, and the read it came from (for the write that follows).
    private func liveRecord(_ key: String, at t: Int64) async throws(SessionError) -> (SessionRecord, LoadedRecord) {
        try live(try await storage.loadOrUnavailable(key), at: t)
    }

    /// The live session in what a load found, or why there is none.
    private func live(_ loaded: LoadedRecord?, at t: Int64) throws(SessionError) -> (SessionRecord, LoadedRecord) {
        guard let loaded else { throw .notFound }
        guard let session = SessionRecord(loaded.record) else {
            throw .unavailable("the record under this session's key is not a session", retryAfterSeconds: 1)
        }
        guard !session.isTombstone else { throw .loggedOut }
        guard session.isLive(at: t) else { throw .notFound }
        return (session, loaded)
    }

    private func write(_ session: SessionRecord, key: String, expected: LoadedRecord?) async throws(SessionError) -> WriteOutcome {
        try await storage.writeOrUnavailable(session.record, key: key, expected: expected)
    }

    private func validatedData(_ data: JSONValue) throws(SessionError) -> [UInt8] {
        guard case .object = data else { throw .unprocessable("session data must be a JSON object") }
        let bytes = data.serialized()
        guard bytes.count <= policy.maxDataBytes else { throw .payloadTooLarge(limit: policy.maxDataBytes) }
        return bytes
    }
}
