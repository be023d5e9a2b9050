/// The seed's two means over the mesh, per member and overall:
/// T̄ = (1/N)·ΣTᵢ (mean response time over N members reporting a latency) and
/// S̄ = (1/M)·ΣSᵢ (mean sessions per server over M members), plus imbalance = max/mean
/// (1 = perfectly even) for response time, sessions and utilization.
public struct MeshMeans: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public var node: String
        public var weight: Double
        /// Tᵢ, seconds.
        public var responseTime: Double
        /// Sᵢ.
        public var sessions: Double
        public var utilization: Double
        public var inFlight: Double
        public var state: WeightTable.State
    }

    public var members: [Member]
    /// T̄ over members with a fresh report and Tᵢ > 0 (N of them).
    public var meanResponseTime: Double
    public var responseTimeCount: Int
    /// S̄ over members with a fresh report (M of them).
    public var meanSessions: Double
    public var sessionsCount: Int
    public var meanUtilization: Double
    /// max/mean; 0 when the mean is 0.
    public var responseTimeImbalance: Double
    public var sessionImbalance: Double
    public var utilizationImbalance: Double

    public init(table: WeightTable) {
        members = table.entries.map {
            Member(
                node: $0.node, weight: $0.weight, responseTime: $0.latencyEWMA, sessions: $0.sessions,
                utilization: $0.utilization, inFlight: $0.inFlight, state: $0.state)
        }
        let fresh = members.filter { $0.state != .expired }
        let t = fresh.map(\.responseTime).filter { $0 > 0 }
        let s = fresh.map(\.sessions)
        let u = fresh.map(\.utilization)
        meanResponseTime = MeshMeans.mean(t)
        responseTimeCount = t.count
        meanSessions = MeshMeans.mean(s)
        sessionsCount = s.count
        meanUtilization = MeshMeans.mean(u)
        responseTimeImbalance = MeshMeans.imbalance(t)
        sessionImbalance = MeshMeans.imbalance(s)
        utilizationImbalance = MeshMeans.imbalance(u)
    }

    public init(view: MeshView, weights: WeightFunction = WeightFunction()) {
        self.init(table: weights.table(for: view))
    }

    /// Arithmetic mean, summed in the given (canonical) order; 0 for no values.
    public static func mean(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        var s = 0.0
        for x in xs { s += x }
        return s / Double(xs.count)
    }

    /// max/mean, or 0 when the mean is not positive.
    public static func imbalance(_ xs: [Double]) -> Double {
        let m = mean(xs)
        guard m > 0, let mx = xs.max() else { return 0 }
        return mx / m
    }
}
