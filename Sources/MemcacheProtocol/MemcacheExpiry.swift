/// memcached's expiration rule, as a pure function of the client's raw exptime and the clock.
public enum MemcacheExpiry: Sendable, Equatable {
    /// exptime 0: no expiry (the store may still cap it with its own absolute timeout).
    case never
    /// Already expired: a negative exptime, or an absolute time at or before now.
    case expired
    /// Expires at this Unix time in milliseconds.
    case at(millisecondsSinceEpoch: Int64)

    /// memcached's REALTIME_MAXDELTA: 30 days. Up to this many seconds an exptime is relative.
    public static let maxRelativeSeconds: Int64 = 60 * 60 * 24 * 30

    /// - 0: never expires;
    /// - negative: already expired;
    /// - 1 ... 2_592_000: seconds from now;
    /// - above: an absolute Unix time in seconds (expired if not after now).
    public static func resolve(exptime: Int64, nowMilliseconds now: Int64) -> MemcacheExpiry {
        if exptime == 0 { return .never }
        if exptime < 0 { return .expired }
        if exptime <= maxRelativeSeconds {
            let (t, o) = now.addingReportingOverflow(exptime * 1000)
            return .at(millisecondsSinceEpoch: o ? Int64.max : t)
        }
        let (absolute, o) = exptime.multipliedReportingOverflow(by: 1000)
        if o { return .at(millisecondsSinceEpoch: Int64.max) }
        return absolute <= now ? .expired : .at(millisecondsSinceEpoch: absolute)
    }
}
