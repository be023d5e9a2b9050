import Synchronization

/// This host's live request load, sampled by the load monitor and the metrics middleware:
/// in-flight requests, an EWMA of latency, request and error counts.
public final class LoadCounters: Sendable {
    private struct State {
        var inFlight = 0
        var latencyEWMAms = 0.0
        var requests: UInt64 = 0
        var errors: UInt64 = 0
    }
    private let state = Mutex(State())
    /// Weight of the newest sample in the latency EWMA.
    private let alpha: Double

    public init(alpha: Double = 0.1) { self.alpha = alpha }

    /// Returns the number in flight, this one included.
    @discardableResult
    public func begin() -> Int { state.withLock { $0.inFlight += 1; return $0.inFlight } }

    /// Returns the number still in flight.
    @discardableResult
    public func end(latencyMs: Double, isError: Bool) -> Int {
        state.withLock { s in
            s.inFlight -= 1
            s.requests += 1
            if isError { s.errors += 1 }
            s.latencyEWMAms = s.requests == 1 ? latencyMs : s.latencyEWMAms + alpha * (latencyMs - s.latencyEWMAms)
            return s.inFlight
        }
    }

    public struct Snapshot: Sendable, Equatable {
        public var inFlight: Int
        public var latencyEWMAms: Double
        public var requests: UInt64
        public var errors: UInt64
    }

    public func snapshot() -> Snapshot {
        state.withLock { Snapshot(inFlight: $0.inFlight, latencyEWMAms: $0.latencyEWMAms, requests: $0.requests, errors: $0.errors) }
    }
}
