/// What one host publishes about its own load (BRIEF §6). Peers keep the latest report per
/// node and never sum reports.
///
/// Times are plain `Double` seconds on a shared epoch (e.g. Unix time); the module never
/// reads a clock itself.
public struct LoadReport: Sendable, Hashable {
    /// Node name (the gossip member name). Weights are ordered by it.
    public var node: String
    /// Where to send traffic (host:port); free text for the consumers.
    public var address: String
    /// Requests in flight at the host when the report was made.
    public var inFlight: Double
    /// EWMA of the host's response time, in seconds (Tᵢ in the seed's T̄ = (1/N)·ΣTᵢ).
    public var latencyEWMA: Double
    /// Sessions held by the host (Sᵢ in the seed's S̄ = (1/M)·ΣSᵢ).
    public var sessions: Double
    /// Utilization in 0...1 (application utilization, or CPU).
    public var utilization: Double
    /// Fraction of recent requests that failed, 0...1.
    public var errorRate: Double
    /// Smoothed completed requests per second.
    public var throughput: Double
    /// When the report was made.
    public var timestamp: Double
    /// When this node (re)started serving. Drives slow start and the weight blackout, and is
    /// part of the report so every peer computes the same thing.
    public var startedAt: Double
    /// The node asks for no new traffic (graceful drain).
    public var draining: Bool
    /// `utilization` is the app's own measure (sent with `POST /v1/load`), not the host CPU: its
    /// capacity estimate may leave the blackout as soon as it is stable (`WeightFunction`).
    public var ownUtilization: Bool

    public init(
        node: String,
        address: String = "",
        inFlight: Double = 0,
        latencyEWMA: Double = 0,
        sessions: Double = 0,
        utilization: Double = 0,
        errorRate: Double = 0,
        throughput: Double = 0,
        timestamp: Double,
        startedAt: Double? = nil,
        draining: Bool = false,
        ownUtilization: Bool = false
    ) {
        self.node = node
        self.address = address
        self.inFlight = inFlight
        self.latencyEWMA = latencyEWMA
        self.sessions = sessions
        self.utilization = utilization
        self.errorRate = errorRate
        self.throughput = throughput
        self.timestamp = timestamp
        self.startedAt = startedAt ?? -Double.infinity
        self.draining = draining
        self.ownUtilization = ownUtilization
    }
}
