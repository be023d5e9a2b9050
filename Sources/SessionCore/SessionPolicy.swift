/// Timeout rules, enforced on every copy a sidecar reads.
public struct SessionPolicy: Sendable, Equatable {
    /// Default and maximum sliding idle timeout, ms (15 min, the PCI DSS 8.2.8 ceiling).
    public var idleTimeout: Int64
    /// Default and maximum absolute lifetime, ms (8 h).
    public var absoluteTimeout: Int64
    /// A read rewrites `lastAccessAt` only when the stored one is at least this old, so reads stay
    /// reads. The stored access time lags by at most this much, which can only expire a session
    /// early, never late.
    public var touchGranularity: Int64
    /// Largest accepted `data`, in bytes.
    public var maxDataBytes: Int

    public init(idleTimeout: Int64 = 15 * 60_000, absoluteTimeout: Int64 = 8 * 3_600_000,
                touchGranularity: Int64? = nil, maxDataBytes: Int = 256 * 1024) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.touchGranularity = touchGranularity ?? min(60_000, max(1_000, idleTimeout / 20))
        self.maxDataBytes = maxDataBytes
    }

    /// The timeouts a new session gets: the requested ones (seconds), which may only shorten the policy.
    public func timeouts(idleSeconds: Int?, absoluteSeconds: Int?) throws(SessionError) -> (idle: Int64, absolute: Int64) {
        var idle = idleTimeout, absolute = absoluteTimeout
        if let s = idleSeconds {
            guard s > 0, Int64(s) <= idleTimeout / 1000 else {
                throw .unprocessable("idleTimeout must be between 1 and \(idleTimeout / 1000) seconds")
            }
            idle = Int64(s) * 1000
        }
        if let s = absoluteSeconds {
            guard s > 0, Int64(s) <= absoluteTimeout / 1000 else {
                throw .unprocessable("absoluteTimeout must be between 1 and \(absoluteTimeout / 1000) seconds")
            }
            absolute = Int64(s) * 1000
        }
        return (idle, absolute)
    }

    public func needsTouch(_ record: SessionRecord, now: Int64) -> Bool {
        now - record.lastAccessAt >= touchGranularity
    }
}
