/// The kind of a record. Each kind has its own key space: the derived store key starts with the
/// kind's prefix, and the prefix is part of what the seal authenticates, so one kind's record can
/// never be read as another's (an app cannot reach a session by guessing a memcache key).
public enum RecordNamespace: UInt8, Sendable, CaseIterable {
    /// HTTP API sessions. `sm1:` is the prefix sessions have always had, so stored data stays readable.
    case session = 1
    /// Items stored through the memcached-protocol front door.
    case memcacheItem = 2
    /// Revocations of sealed cookie tokens.
    case tokenRevocation = 3
    /// Idempotency-key reservations and stored responses.
    case idempotencyKey = 4

    /// The store-key prefix of this kind.
    public var keyPrefix: String {
        switch self {
        case .session: "sm1:"
        case .memcacheItem: "mi1:"
        case .tokenRevocation: "tr1:"
        case .idempotencyKey: "ik1:"
        }
    }
}
