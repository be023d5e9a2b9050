/// What the session logic needs from a replicated store. `MemcachedStore` implements it over
/// real memcached; unit tests of the logic above may use an in-memory one.
public protocol SessionStorage: Sendable {
    /// The newest copy across the session's replicas (tombstones included), or nil if no copy exists.
    func load(storageKey: String) async throws(SessionError) -> SessionRecord?

    /// Writes `record` if the session still stands at `expected` (nil: no copy may exist).
    /// Returns `.conflict` if another write got there first; throws `.unavailable` when the write
    /// could not reach its quorum or its outcome stayed unknown. `.written` means acknowledged:
    /// at least the write quorum of copies hold `record` (or a newer version).
    func write(_ record: SessionRecord, storageKey: String, expected: SessionRecord?) async throws(SessionError) -> WriteOutcome
}

public enum WriteOutcome: Equatable, Sendable {
    case written
    case conflict
}
