/// What a meta command (mg, ms, md, ma, mn) asked to get back.
public struct MetaRequestContext: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case get, set, delete, arithmetic, noop }

    /// A flag echoed or answered in the response, in the order the request gave them.
    public enum ReturnFlag: Sendable, Equatable {
        /// `c`: the item's CAS unique.
        case cas
        /// `f`: the client flags.
        case clientFlags
        /// `k`: the key (base64 when the request used `b`).
        case key
        /// `s`: the value's size.
        case size
        /// `t`: the seconds left to live, -1 for none.
        case ttl
        /// `O<token>`: opaque, echoed.
        case opaque([UInt8])
        /// `b`: the key is base64; `k` then returns it base64, followed by `b`.
        case base64
    }

    public var kind: Kind
    /// The (decoded) key, for `k`.
    public var key: [UInt8]
    public var returnFlags: [ReturnFlag]
    /// `v`: return the value (mg): VA rather than HD.
    public var returnValue: Bool
    /// `q`: hide EN (mg), HD (ms, md, and ma on an existing counter); errors and hits are still answered.
    public var quiet: Bool
    /// The lease flags: mg `N` and `R`, ms and md `I`, md `T`.
    public var lease: MetaLeaseRequest

    public init(kind: Kind, key: [UInt8] = [], returnFlags: [ReturnFlag] = [], returnValue: Bool = false, quiet: Bool = false,
                lease: MetaLeaseRequest = MetaLeaseRequest()) {
        self.kind = kind
        self.key = key
        self.returnFlags = returnFlags
        self.returnValue = returnValue
        self.quiet = quiet
        self.lease = lease
    }
}

/// The meta protocol's herd-control flags on one request (memcached 1.6).
public struct MetaLeaseRequest: Sendable, Equatable {
    /// mg `N<ttl>`: on a miss, create an empty item with this exptime and answer `W`.
    public var vivifyExptime: Int64?
    /// mg `R<seconds>`: win (`W`) when the item has fewer seconds left than this.
    public var recacheBelow: Int64?
    /// ms `I`: a compare-CAS older than the item's stores the value marked stale; md `I`: mark
    /// stale instead of deleting.
    public var invalidate: Bool
    /// md `T<ttl>` with `I`: the stale item's new exptime.
    public var staleExptime: Int64?

    public init(vivifyExptime: Int64? = nil, recacheBelow: Int64? = nil, invalidate: Bool = false, staleExptime: Int64? = nil) {
        self.vivifyExptime = vivifyExptime
        self.recacheBelow = recacheBelow
        self.invalidate = invalidate
        self.staleExptime = staleExptime
    }
}

/// What a meta get answers about an item's lease, after the flags the request asked for.
public struct MetaLeaseFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `W`: this client won the right to recache the item.
    public static let won = MetaLeaseFlags(rawValue: 1)
    /// `Z`: another client was already told `W`.
    public static let alreadyWon = MetaLeaseFlags(rawValue: 2)
    /// `X`: the item is stale.
    public static let stale = MetaLeaseFlags(rawValue: 4)
}

/// A meta-protocol answer, encoded with the flags its request asked for.
public enum MetaResponse: Sendable, Equatable {
    /// mg hit: `VA <size> <flags>*\r\n<data>\r\n` with `v`, else `HD <flags>*`.
    /// `ttlSeconds` nil means no expiry (`t-1`).
    /// `lease`: `Z`, `X`, `W` follow the requested flags, in that order, as memcached writes them.
    case hit(value: [UInt8], flags: UInt32, cas: UInt64, ttlSeconds: Int64?, lease: MetaLeaseFlags = [])
    /// mg miss: `EN`.
    case miss
    /// ma applied: `VA <len> <flags>*\r\n<number>\r\n` with `v`, else `HD <flags>*`. `created`:
    /// the counter was made by `N` (memcached answers that even with `q`).
    case counter(UInt64, cas: UInt64, ttlSeconds: Int64?, created: Bool)
    /// ms stored or md deleted: `HD` (with `c`, the new CAS).
    case done(cas: UInt64)
    /// ms: `NS`.
    case notStored
    /// ms/md CAS mismatch: `EX`.
    case exists
    /// ms/md on a missing item: `NF`.
    case notFound
    /// mn: `MN`.
    case noop

    /// memcached's `q`: a quiet mg hides EN, a quiet ms/md hides HD.
    public func shouldRespond(for ctx: MetaRequestContext) -> Bool {
        guard ctx.quiet else { return true }
        switch self {
        case .miss: return false
        case .done: return ctx.kind == .get
        case let .counter(_, _, _, created): return created
        default: return true
        }
    }

    public func encode(for ctx: MetaRequestContext, into out: inout [UInt8]) {
        switch self {
        case let .hit(value, flags, cas, ttl, lease):
            valueAnswer(value, ctx, cas: cas, flags: flags, size: value.count, ttl: ttl ?? -1, lease: lease, into: &out)
        case .miss: status("EN", ctx, into: &out)
        case let .counter(value, cas, ttl, _):
            var digits: [UInt8] = []
            ASCII.appendDecimal(value, to: &digits)
            valueAnswer(digits, ctx, cas: cas, flags: nil, size: nil, ttl: ttl ?? -1, lease: [], into: &out)
        case let .done(cas):
            ASCII.append("HD", to: &out)
            appendFlags(ctx, cas: cas, flags: nil, size: nil, ttl: nil, into: &out)
            ASCII.append("\r\n", to: &out)
        case .notStored: status("NS", ctx, into: &out)
        case .exists: status("EX", ctx, into: &out)
        case .notFound: status("NF", ctx, into: &out)
        case .noop: ASCII.append("MN\r\n", to: &out)
        }
    }

    public func bytes(for ctx: MetaRequestContext) -> [UInt8] {
        var out: [UInt8] = []
        encode(for: ctx, into: &out)
        return out
    }

    /// `VA <len> <flags>*\r\n<data>\r\n` when the request asked for the value (`v`), else `HD <flags>*`;
    /// the lease flags after the requested ones.
    private func valueAnswer(_ data: [UInt8], _ ctx: MetaRequestContext, cas: UInt64, flags: UInt32?, size: Int?, ttl: Int64,
                             lease: MetaLeaseFlags, into out: inout [UInt8]) {
        if ctx.returnValue {
            ASCII.append("VA ", to: &out)
            ASCII.appendDecimal(UInt64(data.count), to: &out)
        } else {
            ASCII.append("HD", to: &out)
        }
        appendFlags(ctx, cas: cas, flags: flags, size: size, ttl: ttl, into: &out)
        if lease.contains(.alreadyWon) { ASCII.append(" Z", to: &out) }
        if lease.contains(.stale) { ASCII.append(" X", to: &out) }
        if lease.contains(.won) { ASCII.append(" W", to: &out) }
        ASCII.append("\r\n", to: &out)
        if ctx.returnValue {
            out.append(contentsOf: data)
            ASCII.append("\r\n", to: &out)
        }
    }

    private func status(_ code: StaticString, _ ctx: MetaRequestContext, into out: inout [UInt8]) {
        ASCII.append(code, to: &out)
        appendFlags(ctx, cas: nil, flags: nil, size: nil, ttl: nil, into: &out)
        ASCII.append("\r\n", to: &out)
    }

    /// The requested flags this answer can fill, in request order: O and k (with b) always;
    /// c, f, s, t only when the item is known.
    private func appendFlags(_ ctx: MetaRequestContext, cas: UInt64?, flags: UInt32?, size: Int?, ttl: Int64?,
                             into out: inout [UInt8]) {
        let base64 = ctx.returnFlags.contains(.base64)
        for f in ctx.returnFlags {
            switch f {
            case .cas:
                guard let cas else { continue }
                ASCII.append(" c", to: &out)
                ASCII.appendDecimal(cas, to: &out)
            case .clientFlags:
                guard let flags else { continue }
                ASCII.append(" f", to: &out)
                ASCII.appendDecimal(UInt64(flags), to: &out)
            case .size:
                guard let size else { continue }
                ASCII.append(" s", to: &out)
                ASCII.appendDecimal(UInt64(size), to: &out)
            case .ttl:
                guard let ttl else { continue }
                ASCII.append(" t", to: &out)
                ASCII.appendDecimal(ttl, to: &out)
            case .key:
                // memcached writes a base64 key followed by the b flag: "k<base64> b".
                ASCII.append(" k", to: &out)
                if base64 {
                    Base64.append(ctx.key, to: &out)
                    ASCII.append(" b", to: &out)
                } else {
                    out.append(contentsOf: ctx.key)
                }
            case let .opaque(token):
                ASCII.append(" O", to: &out)
                out.append(contentsOf: token)
            case .base64:
                continue   // written with the key
            }
        }
    }
}
