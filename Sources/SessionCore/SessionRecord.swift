import Replication

/// A session: one kind of `Record` (namespace `session`), with its creation time and JSON `data`
/// as the payload and its idle and absolute timeouts as the record's idle rule and expiry.
///
/// Times are milliseconds since the Unix epoch. `version` increases by one on every change of
/// `data` (and on delete and rotate); it is the ETag. A read that only refreshes `lastAccessAt`
/// keeps the version, so copies are ordered by `(version, lastAccessAt)`.
public struct SessionRecord: Equatable, Sendable {
    public var version: UInt64
    public var isTombstone: Bool
    public var createdAt: Int64
    public var lastAccessAt: Int64
    /// Sliding idle timeout, in milliseconds.
    public var idleTimeout: Int64
    public var absoluteExpiresAt: Int64
    /// Random id of the write that produced this copy: tells "my write landed" from "someone else's"
    /// when a timed-out write is retried (outcome unknown).
    public var writeID: UInt64
    /// The session's `data`: the UTF-8 bytes of a JSON object.
    public var data: [UInt8]

    public init(
        version: UInt64, isTombstone: Bool = false, createdAt: Int64, lastAccessAt: Int64,
        idleTimeout: Int64, absoluteExpiresAt: Int64, writeID: UInt64, data: [UInt8]
    ) {
        self.version = version
        self.isTombstone = isTombstone
        self.createdAt = createdAt
        self.lastAccessAt = lastAccessAt
        self.idleTimeout = idleTimeout
        self.absoluteExpiresAt = absoluteExpiresAt
        self.writeID = writeID
        self.data = data
    }

    public var idleExpiresAt: Int64 { lastAccessAt &+ idleTimeout }

    /// When this copy stops being servable. A tombstone is kept until the session's absolute
    /// expiry, so an older live copy (which cannot outlive that) can never come back.
    public var expiresAt: Int64 { isTombstone ? absoluteExpiresAt : min(idleExpiresAt, absoluteExpiresAt) }

    public func isLive(at now: Int64) -> Bool { !isTombstone && now < expiresAt }

    /// Total order between copies of the same session: the higher one wins on read and repair.
    public func isNewer(than other: SessionRecord) -> Bool {
        if version != other.version { return version > other.version }
        if isTombstone != other.isTombstone { return isTombstone }
        return lastAccessAt > other.lastAccessAt
    }
}

extension SessionRecord {
    /// The session as a store record: payload `i64 createdAt (little-endian) | data`.
    public var record: Record {
        var payload = [UInt8]()
        payload.reserveCapacity(8 + data.count)
        for i in 0..<8 { payload.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: createdAt) >> (8 * UInt64(i)))) }
        payload.append(contentsOf: data)
        return Record(namespace: .session, version: version, writeID: writeID, isTombstone: isTombstone,
                      expiresAt: absoluteExpiresAt, idle: IdleRule(lastAccessAt: lastAccessAt, timeout: idleTimeout),
                      payload: payload)
    }

    /// The session a store record holds; nil when it is not one.
    public init?(_ record: Record) {
        guard record.namespace == .session, let idle = record.idle, record.payload.count >= 8 else { return nil }
        var created: UInt64 = 0
        for i in 0..<8 { created |= UInt64(record.payload[i]) << (8 * UInt64(i)) }
        self.init(version: record.version, isTombstone: record.isTombstone, createdAt: Int64(bitPattern: created),
                  lastAccessAt: idle.lastAccessAt, idleTimeout: idle.timeout, absoluteExpiresAt: record.expiresAt,
                  writeID: record.writeID, data: Array(record.payload[8...]))
    }
}
