import Replication
import Synchronization

/// In-memory `RecordStorage` for tests of the logic above the store (never used in production).
/// It can be told to answer as a store that lost its quorum (every call throws the given
/// `StoreUnavailable`), or as one where every write loses its compare-and-set race.
public final class InMemoryStorage: RecordStorage {
    public let stored = Mutex<[String: Record]>([:])
    private let outage = Mutex<StoreUnavailable?>(nil)
    private let writesConflict = Atomic<Bool>(false)

    public init() {}

    public func load(_ key: String) async throws(StoreUnavailable) -> LoadedRecord? {
        if let error = outage.withLock({ $0 }) { throw error }
        return stored.withLock { $0[key].map { LoadedRecord(record: $0, token: ReadToken(copies: [])) } }
    }

    public func write(_ record: Record, key: String, expected: LoadedRecord?) async throws(StoreUnavailable) -> WriteOutcome {
        if let error = outage.withLock({ $0 }) { throw error }
        if writesConflict.load(ordering: .relaxed) { return .conflict }
        return stored.withLock { r in
            guard r[key] == expected?.record else { return .conflict }
            r[key] = record
            return .written
        }
    }

    /// From now on every call throws `error` (nil: the store answers again).
    public func setOutage(_ error: StoreUnavailable?) { outage.withLock { $0 = error } }

    /// From now on every write answers `.conflict`, as if another writer always got there first.
    public func setWritesConflict(_ on: Bool) { writesConflict.store(on, ordering: .relaxed) }
}
