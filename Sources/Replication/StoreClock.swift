/// The two time bases the replication core needs, injected so that tests run on a manual clock.
public protocol StoreClock: Sendable {
    /// Monotonic nanoseconds: deadlines and node-health intervals.
    func monotonicNanos() -> UInt64
    /// Milliseconds since the Unix epoch: expiry.
    func wallMillis() -> Int64
}
