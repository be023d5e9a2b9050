/// The one time base of the gossip shell: the node's `now` (nanoseconds on a monotonic line)
/// and the sleeps of its timer. Injected, so a test can run the shell on a clock of its own.
public protocol GossipClock: Sendable {
    /// Nanoseconds since this clock's origin; never goes backwards.
    var nanoseconds: Int64 { get }
    /// Returns once `nanoseconds >= deadline`; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Int64) async throws
}

/// `ContinuousClock` (CLOCK_BOOTTIME on Linux), counted from when this value was made.
public struct ContinuousGossipClock: GossipClock {
    private let origin: ContinuousClock.Instant

    public init() { origin = .now }

    public var nanoseconds: Int64 {
        let d = ContinuousClock.now - origin
        return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    public func sleep(until deadline: Int64) async throws {
        try await Task.sleep(until: origin + .nanoseconds(deadline), clock: .continuous)
    }
}
