import Replication

/// Idempotency keys (Stripe's model, draft-ietf-httpapi-idempotency-key-header) with fencing
/// tokens, over the replicated store (namespace `idempotencyKey`):
///
/// - **Reserve** is an atomic create of the key's record through the store's quorum rules (the
///   same primitive as the memcached `add`): `{started, fingerprint, fence, lease expiry}`.
/// - **Complete** is a CAS on that record carrying the holder's fence: `{completed, response}`,
///   sealed and replicated, kept for `retention` from the reservation.
/// - **Takeover** after the lease ends is a CAS that raises the fence; a completion with an older
///   fence is refused.
///
/// Pure: the clock and the write ids are parameters.
public struct IdempotencyService: Sendable {
    public let storage: any RecordStorage
    /// How long a key (and its stored response) is kept, ms.
    public let retention: Int64
    public let now: @Sendable () -> Int64
    public let newWriteID: @Sendable () -> UInt64
    public static let maxKeyLength = 255
    public static let maxLeaseSeconds = 3600

    public init(storage: any RecordStorage, retention: Int64, now: @escaping @Sendable () -> Int64,
                newWriteID: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 1...UInt64.max) }) {
        self.storage = storage
        self.retention = retention
        self.now = now
        self.newWriteID = newWriteID
    }

    /// A stored response, replayed byte for byte.
    public struct StoredResponse: Equatable, Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String

        public init(status: Int, headers: [(String, String)], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public static func == (a: StoredResponse, b: StoredResponse) -> Bool {
            a.status == b.status && a.body == b.body && a.headers.elementsEqual(b.headers) { $0 == $1 }
        }
    }

    public enum Reservation: Equatable, Sendable {
        /// This caller holds the key: it runs the request, then completes with `fence`.
        case started(fence: UInt64, leaseExpiresAt: Int64)
        /// The request ran to completion before: replay this.
        case completed(StoredResponse)
    }

    /// Validates a key: 1 to 255 characters that need no escaping in a URL path (RFC 3986 pchar
    /// without `%`): letters, digits and `-._~!$&'()*+,;=:@`. UUIDs and Stripe-style keys qualify.
    public static func validate(key: String) throws(IdempotencyError) {
        guard (1...maxKeyLength).contains(key.utf8.count), key.utf8.allSatisfy(isKeyCharacter) else {
            throw .badKey("an idempotency key is 1 to \(maxKeyLength) characters of A-Z a-z 0-9 -._~!$&'()*+,;=:@")
        }
    }

    static func isKeyCharacter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("-._~!$&'()*+,;=:@".utf8).contains(c)
        }
    }

    public func reserve(key: String, fingerprint: String, leaseSeconds: Int) async throws -> Reservation {
        try Self.validate(key: key)
        guard (1...Self.maxLeaseSeconds).contains(leaseSeconds) else {
            throw SessionError.unprocessable("leaseSeconds must be between 1 and \(Self.maxLeaseSeconds)")
        }
        let storeKey = RecordKey.derive(.idempotencyKey, key.utf8)
        for _ in 0..<16 {
            let t = now()
            let loaded = try await storage.loadOrUnavailable(storeKey)
            let current = loaded.flatMap { $0.record.isLive(at: t) ? State(payload: $0.record.payload) : nil }
            var fence: UInt64 = 1
            var expiresAt = t + retention
            if let current {
                guard current.fingerprint == fingerprint else { throw IdempotencyError.fingerprintMismatch }
                if let response = current.response { return .completed(response) }
                guard current.leaseExpiresAt <= t else {
                    throw IdempotencyError.inProgress(retryAfterSeconds: Int(max(1, (current.leaseExpiresAt - t + 999) / 1000)))
                }
                fence = current.fence + 1  // takeover: the holder's lease has ended
                expiresAt = loaded!.record.expiresAt
            }
            let lease = t + Int64(leaseSeconds) * 1000
            let state = State(fingerprint: fingerprint, fence: fence, leaseExpiresAt: lease, response: nil)
            let record = Record(namespace: .idempotencyKey, version: (loaded?.record.version ?? 0) + 1, writeID: newWriteID(),
                                expiresAt: expiresAt, payload: state.payload)
            // A create where no live record is (expected: what was read, nil or expired), a CAS on a takeover.
            if try await storage.writeOrUnavailable(record, key: storeKey, expected: loaded) == .written {
                return .started(fence: fence, leaseExpiresAt: lease)
            }
            // Another caller got there first: read what it wrote and decide again.
        }
        throw SessionError.conflict("too much contention on this idempotency key; retry")
    }

    /// Stores the response of the request that holds `fence`.
    public func complete(key: String, fence: UInt64, response: StoredResponse) async throws {
        try Self.validate(key: key)
        let storeKey = RecordKey.derive(.idempotencyKey, key.utf8)
        for _ in 0..<16 {
            let t = now()
            guard let loaded = try await storage.loadOrUnavailable(storeKey), loaded.record.isLive(at: t),
                  let current = State(payload: loaded.record.payload) else {
                throw IdempotencyError.notReserved
            }
            guard current.fence == fence else { throw IdempotencyError.staleFence(current: current.fence) }
            if let stored = current.response {
                if stored == response { return }  // a retried completion
                throw IdempotencyError.alreadyCompleted
            }
            var next = loaded.record
            next.version += 1
            next.writeID = newWriteID()
            next.payload = State(fingerprint: current.fingerprint, fence: fence, leaseExpiresAt: current.leaseExpiresAt,
                                 response: response).payload
            if try await storage.writeOrUnavailable(next, key: storeKey, expected: loaded) == .written { return }
        }
        throw SessionError.conflict("too much contention on this idempotency key; retry")
    }

    /// What the record holds, as JSON: `{"fp","fence","lease","response"?:{"status","headers","body"}}`.
    struct State {
        var fingerprint: String
        var fence: UInt64
        var leaseExpiresAt: Int64
        var response: StoredResponse?

        init(fingerprint: String, fence: UInt64, leaseExpiresAt: Int64, response: StoredResponse?) {
            self.fingerprint = fingerprint
            self.fence = fence
            self.leaseExpiresAt = leaseExpiresAt
            self.response = response
        }

        init?(payload: [UInt8]) {
            guard case .object(let m)? = try? JSONValue.parse(payload), case .string(let fp)? = m["fp"],
                  let fence = m["fence"]?.integer, fence >= 0, let lease = m["lease"]?.integer else { return nil }
            self.fingerprint = fp
            self.fence = UInt64(fence)
            self.leaseExpiresAt = lease
            if case .object(let r)? = m["response"] {
                guard let status = r["status"]?.integer, case .string(let body)? = r["body"], case .array(let hs)? = r["headers"] else { return nil }
                var headers = [(String, String)]()
                for h in hs {
                    guard case .array(let pair) = h, pair.count == 2, case .string(let n) = pair[0], case .string(let v) = pair[1] else { return nil }
                    headers.append((n, v))
                }
                response = StoredResponse(status: Int(status), headers: headers, body: body)
            }
        }

        var payload: [UInt8] {
            var m: [String: JSONValue] = ["fp": .string(fingerprint), "fence": .int(Int64(fence)), "lease": .int(leaseExpiresAt)]
            if let response {
                m["response"] = .object(["status": .int(Int64(response.status)), "body": .string(response.body),
                                         "headers": .array(response.headers.map { .array([.string($0.0), .string($0.1)]) })])
            }
            return JSONValue.object(m).serialized()
        }
    }
}

public enum IdempotencyError: Error, Equatable, Sendable {
    /// 400: not a valid key.
    case badKey(String)
    /// 409: another holder's lease is live.
    case inProgress(retryAfterSeconds: Int)
    /// 422: the key was used with another payload.
    case fingerprintMismatch
    /// 409: the key was taken over (a higher fence) since this holder reserved it.
    case staleFence(current: UInt64)
    /// 409: the key already holds another response.
    case alreadyCompleted
    /// 404: no live reservation of this key.
    case notReserved
}
