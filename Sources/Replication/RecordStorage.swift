/// A replicated record store, as the features above it use it (sessions, memcache items, token
/// revocations, idempotency keys). The production one runs `ReplicaDriver` on threads of its own;
/// unit tests of the logic above may use an in-memory one.
public protocol RecordStorage: Sendable {
    /// The newest copy across the record's replicas (tombstones and expired records included),
    /// nil when no copy exists. Throws when too few home replicas answered to know.
    func load(_ key: String) async throws(StoreUnavailable) -> LoadedRecord?

    /// `load` without a task, for callers that are not in Swift Concurrency (a NIO handler):
    /// `completion` runs exactly once, on a thread of the store's choosing (never inline on the
    /// caller's event loop for a store that blocks). The default runs the async `load` in a task.
    func load(_ key: String, completion: @escaping @Sendable (Result<LoadedRecord?, StoreUnavailable>) -> Void)

    /// Writes `record` if the record still stands at `expected` (nil: no copy may exist).
    /// `.written` means acknowledged by the write quorum.
    func write(_ record: Record, key: String, expected: LoadedRecord?) async throws(StoreUnavailable) -> WriteOutcome
}

extension RecordStorage {
    public func load(_ key: String, completion: @escaping @Sendable (Result<LoadedRecord?, StoreUnavailable>) -> Void) {
        Task {
            do throws(StoreUnavailable) { completion(.success(try await load(key))) } catch { completion(.failure(error)) }
        }
    }
}
