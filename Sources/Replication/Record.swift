/// One record of any kind (a session, a memcache item, a token revocation, an idempotency key),
/// as the replication core stores, orders and repairs it. Every kind gets the same guarantees:
/// versioned, sealed, replicated with a write quorum, tombstoned on delete, expiring on every copy.
///
/// Times are milliseconds since the Unix epoch. The payload is the kind's own bytes (a session's
/// timestamps and JSON, a memcache item's value); the whole record is sealed before it is stored.
public struct Record: Equatable, Sendable {
    public var namespace: RecordNamespace
    /// Increases on every change of the payload (and on delete). For memcache items it is the CAS unique.
    public var version: UInt64
    /// Random id of the write that produced this copy: tells "my write landed" from "someone
    /// else's" when a write whose outcome was unknown is read back.
    public var writeID: UInt64
    public var isTombstone: Bool
    /// Absolute expiry. `Record.never` for none.
    public var expiresAt: Int64
    /// A sliding idle timeout on top of the absolute expiry, if the kind has one.
    public var idle: IdleRule?
    /// Opaque client flags (memcached's 32-bit flags); 0 for kinds without them.
    public var flags: UInt32
    public var payload: [UInt8]
    /// memcached's per-item lease marks (meta protocol); empty for every other kind.
    public var marks: ItemMarks = []

    public static let never = Int64.max

    public init(namespace: RecordNamespace, version: UInt64, writeID: UInt64, isTombstone: Bool = false,
                expiresAt: Int64, idle: IdleRule? = nil, flags: UInt32 = 0, payload: [UInt8]) {
        self.namespace = namespace
        self.version = version
        self.writeID = writeID
        self.isTombstone = isTombstone
        self.expiresAt = expiresAt
        self.idle = idle
        self.flags = flags
        self.payload = payload
    }

    /// When this copy stops being servable. A tombstone is kept until the absolute expiry, so an
    /// older live copy (which cannot outlive that) can never come back.
    public var effectiveExpiresAt: Int64 {
        guard !isTombstone, let idle else { return expiresAt }
        return min(idle.expiresAt, expiresAt)
    }

    public func isLive(at now: Int64) -> Bool { !isTombstone && now < effectiveExpiresAt }

    /// The position of this copy in the total order of a record's copies.
    public var order: RecordOrder {
        RecordOrder(version: version, isTombstone: isTombstone, touchedAt: idle?.lastAccessAt ?? 0)
    }

    /// Total order between copies of the same record: the higher one wins on read and repair.
    public func isNewer(than other: Record) -> Bool { order > other.order }

    /// The same write, possibly touched since: same version, kind, payload and flags (a read that
    /// refreshes the access time changes only the idle rule's access time and the write id).
    public func sameContent(as other: Record) -> Bool {
        version == other.version && isTombstone == other.isTombstone && flags == other.flags && payload == other.payload
            && marks == other.marks
    }
}

/// The meta protocol's lease state of one memcache item (memcached's ITEM_STALE and
/// ITEM_TOKEN_SENT): `md I` marks it stale, and one client at a time is told it won the right to
/// recache it.
public struct ItemMarks: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Invalidated by `md I` (or a stale `ms I`): served with `X` until rewritten.
    public static let stale = ItemMarks(rawValue: 1)
    /// A client was answered `W`; later ones get `Z`.
    public static let winSent = ItemMarks(rawValue: 2)
}

/// A sliding idle timeout: the record expires `timeout` ms after its last access.
public struct IdleRule: Equatable, Sendable {
    public var lastAccessAt: Int64
    public var timeout: Int64

    public init(lastAccessAt: Int64, timeout: Int64) {
        self.lastAccessAt = lastAccessAt
        self.timeout = timeout
    }

    public var expiresAt: Int64 { lastAccessAt &+ timeout }
}

/// How copies of one record are ordered: by version, then a tombstone over a live copy of the
/// same version, then the later access (a read that refreshes the access time keeps the version).
public struct RecordOrder: Comparable, Sendable {
    public var version: UInt64
    public var isTombstone: Bool
    public var touchedAt: Int64

    public init(version: UInt64, isTombstone: Bool, touchedAt: Int64) {
        self.version = version
        self.isTombstone = isTombstone
        self.touchedAt = touchedAt
    }

    public static func < (a: RecordOrder, b: RecordOrder) -> Bool {
        if a.version != b.version { return a.version < b.version }
        if a.isTombstone != b.isTombstone { return b.isTombstone }
        return a.touchedAt < b.touchedAt
    }
}
