/// The deterministic output of `WeightFunction`: one entry per node, sorted by node name.
public struct WeightTable: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var node: String
        public var address: String
        /// Relative weight; the mean over routable entries is 1. Zero means "send nothing".
        public var weight: Double
        /// The raw estimate before normalisation (≈ service capacity, requests/s): the report's,
        /// or for an idle node the last one remembered; nil if there is none and the entry got
        /// the mean weight.
        public var rawWeight: Double?
        /// Slow-start multiplier applied (1 when the node is warm).
        public var slowStartFactor: Double
        public var state: State
        /// Load signals carried over from the report's `HostLoad` (zeroed when expired).
        public var inFlight: Double
        /// The response-time EWMA, seconds (`HostLoad.latencyMs` / 1000).
        public var latencyEWMA: Double
        public var sessions: Double
        public var utilization: Double
        public var reportTimestamp: Double
    }

    public enum State: String, Sendable, Hashable {
        /// The report's own weight is in use.
        case weighted
        /// The node is new: its weight is ignored for the blackout period (mean weight instead).
        case blackout
        /// The report is older than the expiration period: mean weight, load signals ignored.
        case expired
        /// The report carries no usable throughput/utilization and none did before: mean weight.
        case unknown
        /// The report carries no usable throughput/utilization (the host is idle), but an earlier
        /// one did: that estimate (`rawWeight`), pulled toward the mean as it ages.
        case idle
        /// The node asked to drain: weight 0.
        case draining
    }

    public var entries: [Entry]
    public var computedAt: Double

    public init(entries: [Entry], computedAt: Double) {
        self.entries = entries.sorted { $0.node < $1.node }
        self.computedAt = computedAt
    }

    public subscript(node: String) -> Entry? {
        entries.first { $0.node == node }
    }

    /// Mean weight over entries that may receive traffic (weight > 0); 0 if none.
    public var meanWeight: Double {
        var sum = 0.0
        var n = 0
        for e in entries where e.weight > 0 {
            sum += e.weight
            n += 1
        }
        return n == 0 ? 0 : sum / Double(n)
    }
}
