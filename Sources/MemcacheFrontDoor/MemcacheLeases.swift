import MemcacheProtocol
import Replication

/// The meta protocol's herd control on the replicated store, as memcached 1.6 does it.
///
/// - `mg N<ttl>` on a miss creates an empty item and answers `W`: this client recaches it; others
///   then see the empty item with `Z`.
/// - `mg R<s>` answers `W` to the first client that finds fewer than `s` seconds left.
/// - `md I` marks an item stale instead of deleting it: gets answer its value with `X`, and the
///   first of them also `W` (even when a client won before the invalidation).
/// - `ms I` with a unique older than the item's stores the value stale, keeping the win mark.
/// - A plain `ms` (a new value) clears both marks.
///
/// Handing out `W` writes the item's win mark, so it is a new version: the CAS unique the winner
/// is answered is the one its `ms C` must carry (memcached keeps the unique; here every change of
/// a record is ordered by its version).
extension MemcacheItems {
    /// A meta get: the item and its lease flags, after creating (`vivifyExptime`), touching
    /// (`touchExptime`) or winning it; nil on a miss.
    public func leaseGet(_ key: [UInt8], vivifyExptime: Int64?, recacheBelow: Int64?,
                         touchExptime: Int64?) async throws(StoreUnavailable) -> (Item, MetaLeaseFlags)? {
        let storeKey = Self.storeKey(key)
        for _ in 0..<Self.maxAttempts {
            let t = now()
            let loaded = try await storage.load(storeKey)
            guard let current = live(loaded, at: t) else {
                guard let vivifyExptime, let expiresAt = expiry(vivifyExptime, at: t) else { return nil }
                var stub = next(after: loaded, flags: 0, payload: [])
                stub.expiresAt = expiresAt
                stub.marks = .winSent
                if try await storage.write(stub, key: storeKey, expected: loaded) == .written { return (Self.item(stub), .won) }
                continue
            }
            var answer: MetaLeaseFlags = []
            if current.marks.contains(.winSent) { answer.insert(.alreadyWon) }
            if current.marks.contains(.stale) { answer.insert(.stale) }
            let secondsLeft = (current.expiresAt - t) / 1000
            let wins = !current.marks.contains(.winSent)
                && (current.marks.contains(.stale) || recacheBelow.map { secondsLeft < $0 } == true)
            var expiresAt = current.expiresAt
            if let touchExptime {
                guard let touched = expiry(touchExptime, at: t) else {
                    // Touched into the past: gone, as `gat` does.
                    if try await remove(loaded!, key: storeKey) == .written { return nil }
                    continue
                }
                expiresAt = touched
            }
            guard wins || touchExptime != nil else { return (Self.item(current), answer) }
            var record = next(after: loaded, flags: current.flags, payload: current.payload)
            record.expiresAt = expiresAt
            record.marks = wins ? current.marks.union(.winSent) : current.marks
            if try await storage.write(record, key: storeKey, expected: loaded) == .written {
                return (Self.item(record), wins ? answer.union(.won) : answer)
            }
        }
        throw StoreUnavailable("too much contention on this key; retry")
    }

    /// `md I`: marks a live item stale (its value kept) instead of deleting it; `staleExptime`
    /// (`T`) gives it a new expiry. `.deleted` answers `HD`.
    public func invalidate(_ key: [UInt8], cas: UInt64, staleExptime: Int64?) async throws(StoreUnavailable) -> DeleteResult {
        let storeKey = Self.storeKey(key)
        for _ in 0..<Self.maxAttempts {
            let t = now()
            let loaded = try await storage.load(storeKey)
            guard let current = live(loaded, at: t) else { return .notFound }
            if cas != 0, current.version != cas { return .exists }
            var record = next(after: loaded, flags: current.flags, payload: current.payload)
            record.expiresAt = current.expiresAt
            if let staleExptime {
                guard let expiresAt = expiry(staleExptime, at: t) else {
                    if try await remove(loaded!, key: storeKey) == .written { return .deleted }
                    continue
                }
                record.expiresAt = expiresAt
            }
            // A fresh invalidation opens a fresh race: the next get wins, even if one won before.
            record.marks = .stale
            if try await storage.write(record, key: storeKey, expected: loaded) == .written { return .deleted }
        }
        throw StoreUnavailable("too much contention on this key; retry")
    }
}
