/// A replicated record store, as the features above it use it (sessions, memcache items, token
/// revocations, idempotency keys). The production one runs `ReplicaDriver` on threads of its own;
/// unit tests of the logic above may use an in-memory one.
public protocol RecordStorage: Sendable {
    /// The newest copy across the record's replicas (tombstones and expired records included),
    /// nil when no copy exists. Throws when too few home replicas answered to know.
    func load(_ key: String) async throws(StoreUnavailable) -> LoadedRecord?

    /// Writes `record` if the record still stands at `expected` (nil: no copy may exist).
    /// `.written` means acknowledged by the write quorum.
    func write(_ record: Record, key: String, expected: LoadedRecord?) async throws(StoreUnavailable) -> WriteOutcome
}
