import MemcacheProtocol
import Replication
import SessionCore

/// memcached's item semantics on the replicated record store (namespace `memcacheItem`): a client
/// may see no difference from one memcached, except that nothing acknowledged is lost and nothing
/// deleted comes back.
///
/// - `get`: the newest live copy; a tombstone or an expired record is a miss.
/// - `set`: a new version, answered once the write quorum holds it.
/// - `add`: an atomic create through the store's quorum rules (the primary's `add`), so two
///   clients racing through two sidecars never both get STORED; a tombstone or an expired record
///   counts as absent. `replace` is its counterpart.
/// - `cas`: the CAS unique is the record's version; a stale one is EXISTS, a missing key NOT_FOUND.
/// - `delete` writes a tombstone; `touch`/`gat` write a new expiry (a new version: the copies must
///   be ordered, so the CAS unique changes); `incr`/`decr` are CAS loops with memcached's wrap rules.
/// - Expiry follows memcached (0 none, ≤ 30 days relative, above that a Unix time, negative
///   expired), capped at `maxLifetime`: nothing outlives the sidecar's absolute timeout.
///
/// Pure: the clock and the write ids are parameters.
public struct MemcacheItems: Sendable {
    public let storage: any RecordStorage
    /// The longest an item lives, ms (the sidecar's absolute timeout).
    public let maxLifetime: Int64
    public let now: @Sendable () -> Int64
    public let newWriteID: @Sendable () -> UInt64
    static let maxAttempts = 64

    public init(storage: any RecordStorage, maxLifetime: Int64, now: @escaping @Sendable () -> Int64,
                newWriteID: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 1...UInt64.max) }) {
        self.storage = storage
        self.maxLifetime = maxLifetime
        self.now = now
        self.newWriteID = newWriteID
    }

    public struct Item: Equatable, Sendable {
        public var value: [UInt8]
        public var flags: UInt32
        /// The CAS unique: the record's version.
        public var cas: UInt64
        public var expiresAt: Int64
    }

    public enum StoreResult: Equatable, Sendable { case stored(cas: UInt64), notStored, exists, notFound }
    public enum DeleteResult: Equatable, Sendable { case deleted, notFound, exists }
    public enum ArithmeticResult: Equatable, Sendable {
        /// The counter's new value; `created`: it was missing and made from the initial value.
        case value(UInt64, cas: UInt64, expiresAt: Int64, created: Bool)
        case notFound, nonNumeric
        /// A compare-CAS that did not match.
        case exists
    }

    /// The store key: the namespace's prefix and the SHA-256 of the app's key (never the key itself).
    public static func storeKey(_ key: [UInt8]) -> String { RecordKey.derive(.memcacheItem, key) }

    public func get(_ key: [UInt8]) async throws(StoreUnavailable) -> Item? {
        let loaded = try await storage.load(Self.storeKey(key))
        return live(loaded, at: now()).map(Self.item)
    }

    /// `get` without a task: `completion` runs once, on a store thread (it must not block).
    public func get(_ key: [UInt8], completion: @escaping @Sendable (Result<Item?, StoreUnavailable>) -> Void) {
        storage.load(Self.storeKey(key)) { [self] result in
            completion(result.map { live($0, at: now()).map(Self.item) })
        }
    }

    /// `invalidate` (meta `ms I`): a `.cas` store whose unique is older than the item's stores the
    /// value anyway, marked stale, keeping the item's expiry and its win mark, as memcached does.
    public func store(_ mode: StoreMode, key: [UInt8], flags: UInt32, exptime: Int64, value: [UInt8], cas: UInt64,
                      invalidate: Bool = false) async throws(StoreUnavailable) -> StoreResult {
        let storeKey = Self.storeKey(key)
        for _ in 0..<Self.maxAttempts {
            let t = now()
            let loaded = try await storage.load(storeKey)
            let current = live(loaded, at: t)
            var record: Record
            switch mode {
            case .set:
                record = next(after: loaded, flags: flags, payload: value)
            case .add:
                if current != nil { return .notStored }
                record = next(after: loaded, flags: flags, payload: value)
            case .replace:
                guard current != nil else { return .notStored }
                record = next(after: loaded, flags: flags, payload: value)
            case .cas:
                guard let current else { return .notFound }
                record = next(after: loaded, flags: flags, payload: value)
                if current.version != cas {
                    guard invalidate, cas < current.version else { return .exists }
                    record.expiresAt = current.expiresAt
                    record.marks = current.marks.intersection(.winSent).union(.stale)
                    if try await storage.write(record, key: storeKey, expected: loaded) == .written { return .stored(cas: record.version) }
                    continue
                }
            case .append, .prepend:
                // memcached ignores the flags and exptime of append/prepend, and checks a CAS if given.
                guard let current else { return .notStored }
                if cas != 0, current.version != cas { return .exists }
                record = next(after: loaded, flags: current.flags, payload: mode == .append ? current.payload + value : value + current.payload)
                record.expiresAt = current.expiresAt
            }
            if mode != .append, mode != .prepend {
                guard let expiresAt = expiry(exptime, at: t) else {
                    // Stored already expired: the key is gone, as on memcached.
                    if current != nil, try await remove(loaded!, key: storeKey) == .conflict { continue }
                    return .stored(cas: record.version)
                }
                record.expiresAt = expiresAt
            }
            switch try await storage.write(record, key: storeKey, expected: loaded) {
            case .written: return .stored(cas: record.version)
            case .conflict:
                // Someone else wrote first: a conditional store re-reads and decides again.
                if mode == .cas { return .exists }
            }
        }
        throw StoreUnavailable("too much contention on this key; retry")
    }

    public func delete(_ key: [UInt8], cas: UInt64) async throws(StoreUnavailable) -> DeleteResult {
        let storeKey = Self.storeKey(key)
        for _ in 0..<Self.maxAttempts {
            let loaded = try await storage.load(storeKey)
            guard let current = live(loaded, at: now()) else { return .notFound }
            if cas != 0, current.version != cas { return .exists }
            if try await remove(loaded!, key: storeKey) == .written { return .deleted }
        }
        throw StoreUnavailable("too much contention on this key; retry")
    }

    /// `touch` and `gat`: a new expiry for a live item; nil when there is none.
    public func touch(_ key: [UInt8], exptime: Int64) async throws(StoreUnavailable) -> Item? {
        let storeKey = Self.storeKey(key)
        for _ in 0..<Self.maxAttempts {
            let t = now()
            let loaded = try await storage.load(storeKey)
            guard let current = live(loaded, at: t) else { return nil }
            guard let expiresAt = expiry(exptime, at: t) else {
                // Touched into the past: gone.
                if try await remove(loaded!, key: storeKey) == .written { return nil }
                continue
            }
            var record = next(after: loaded, flags: current.flags, payload: current.payload)
            record.expiresAt = expiresAt
            record.marks = current.marks
            if try await storage.write(record, key: storeKey, expected: loaded) == .written { return Self.item(record) }
        }
        throw StoreUnavailable("too much contention on this key; retry")
    }

    /// `incr`/`decr`. `initial` (binary, and meta's `N`) is created on a miss, with `exptime`.
    /// `compareCAS` (binary and meta), when non-zero, must equal the counter's CAS unique; `touchExptime` (meta)
    /// gives the updated or created counter its expiry (one in the past answers the value and
    /// leaves no counter, as memcached does).
    public func arithmetic(_ op: ArithmeticOperation, key: [UInt8], delta: UInt64, initial: UInt64?, exptime: Int64,
                           compareCAS: UInt64 = 0, touchExptime: Int64? = nil) async throws(StoreUnavailable) -> ArithmeticResult {
        let storeKey = Self.storeKey(key)
        for _ in 0..<Self.maxAttempts {
            let t = now()
            let loaded = try await storage.load(storeKey)
            var record: Record
            let result: UInt64
            let created: Bool
            if let current = live(loaded, at: t) {
                created = false
                if compareCAS != 0, current.version != compareCAS { return .exists }
                switch MemcacheArithmetic.apply(op, delta: delta, toStored: current.payload) {
                case .failure: return .nonNumeric
                case .success(let value): result = value
                }
                record = next(after: loaded, flags: current.flags, payload: MemcacheArithmetic.storedBytes(result, replacing: current.payload))
                record.expiresAt = current.expiresAt
                if let touchExptime {
                    guard let expiresAt = expiry(touchExptime, at: t) else {
                        if try await remove(loaded!, key: storeKey) == .written {
                            return .value(result, cas: record.version, expiresAt: t, created: false)
                        }
                        continue
                    }
                    record.expiresAt = expiresAt
                }
            } else {
                guard let initial else { return .notFound }
                // memcached creates the counter with N's TTL, then applies T over it; one already
                // past is answered and gone at once, so nothing is written.
                guard let expiresAt = expiry(touchExptime ?? exptime, at: t) else {
                    return .value(initial, cas: (loaded?.record.version ?? 0) + 1, expiresAt: t, created: true)
                }
                created = true
                result = initial
                record = next(after: loaded, flags: 0, payload: MemcacheArithmetic.storedBytes(initial))
                record.expiresAt = expiresAt
            }
            if try await storage.write(record, key: storeKey, expected: loaded) == .written {
                return .value(result, cas: record.version, expiresAt: record.expiresAt, created: created)
            }
        }
        throw StoreUnavailable("too much contention on this key; retry")
    }

    // MARK: Helpers

    func live(_ loaded: LoadedRecord?, at t: Int64) -> Record? {
        guard let record = loaded?.record, record.isLive(at: t) else { return nil }
        return record
    }

    /// The record that follows `loaded` (a tombstone or expired record included: versions never go back).
    func next(after loaded: LoadedRecord?, flags: UInt32, payload: [UInt8]) -> Record {
        Record(namespace: .memcacheItem, version: (loaded?.record.version ?? 0) + 1, writeID: newWriteID(),
               expiresAt: now() + maxLifetime, flags: flags, payload: payload)
    }

    /// A tombstone over `loaded`, kept until the record's own expiry.
    func remove(_ loaded: LoadedRecord, key storeKey: String) async throws(StoreUnavailable) -> WriteOutcome {
        var tombstone = next(after: loaded, flags: 0, payload: [])
        tombstone.isTombstone = true
        tombstone.expiresAt = loaded.record.expiresAt
        return try await storage.write(tombstone, key: storeKey, expected: loaded)
    }

    /// memcached's expiry capped at `maxLifetime`; nil when already expired.
    func expiry(_ exptime: Int64, at t: Int64) -> Int64? {
        switch MemcacheExpiry.resolve(exptime: exptime, nowMilliseconds: t) {
        case .expired: return nil
        case .never: return t + maxLifetime
        case .at(let ms): return min(ms, t + maxLifetime)
        }
    }

    static func item(_ record: Record) -> Item {
        Item(value: record.payload, flags: record.flags, cas: record.version, expiresAt: record.expiresAt)
    }
}
