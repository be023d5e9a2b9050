import Routing

/// The outcome of one simulated run (one policy, one seed), measured after warm-up.
public struct SimulationResult: Sendable, Hashable {
    public var policy: String
    public var seed: UInt64
    public var requests: Int
    /// Mean time in system (response time), seconds.
    public var meanLatency: Double
    public var p50: Double
    public var p99: Double
    public var p999: Double
    /// Requests slower than the scenario's deadline.
    public var deadlineErrors: Int
    /// Busy fraction per host over the measured window.
    public var utilization: [Double]
    /// Requests still in the system when the run ended (a sign of instability when large).
    public var unfinished: Int
    /// Share of the measured requests that crossed zones (0 without zones).
    public var crossZoneShare: Double = 0

    public var deadlineErrorRate: Double { requests == 0 ? 0 : Double(deadlineErrors) / Double(requests) }

    /// max/mean host utilization (1 = perfectly even).
    public var utilizationImbalance: Double { MeshMeans.imbalance(utilization) }
}
