/// One routing candidate as this router sees it: the mesh-wide weight plus what this router
/// knows exactly (its own outstanding requests) and what it knows only by gossip (the host's
/// reported in-flight count, stale by up to a gossip interval).
public struct Peer: Sendable, Hashable {
    public var node: String
    public var address: String
    /// From the `WeightTable` (mean 1 over routable peers); 0 = send nothing.
    public var weight: Double
    /// False when membership says the node is not alive.
    public var healthy: Bool
    /// In-flight count from the node's last report (gossip: stale).
    public var reportedInFlight: Double
    /// This router's own outstanding requests to the node (exact).
    public var localInFlight: Int
    /// This router's outstanding requests to the node when that report was taken.
    public var localInFlightAtReport: Int
    /// The node's reported latency EWMA, seconds (gossip).
    public var reportedLatency: Double
    /// This router's own peak-EWMA of observed latency to the node.
    public var localLatency: PeakEWMA

    public init(
        node: String,
        address: String = "",
        weight: Double = 1,
        healthy: Bool = true,
        reportedInFlight: Double = 0,
        localInFlight: Int = 0,
        localInFlightAtReport: Int = 0,
        reportedLatency: Double = 0,
        localLatency: PeakEWMA = PeakEWMA()
    ) {
        self.node = node
        self.address = address
        self.weight = weight
        self.healthy = healthy
        self.reportedInFlight = reportedInFlight
        self.localInFlight = localInFlight
        self.localInFlightAtReport = localInFlightAtReport
        self.reportedLatency = reportedLatency
        self.localLatency = localLatency
    }

    /// The in-flight count at the node, corrected for what this router did since the report:
    /// others' share at report time (reported − mine then) plus mine now. Never below mine now.
    @inline(__always)
    public var estimatedInFlight: Double {
        let others = reportedInFlight - Double(localInFlightAtReport)
        return Double(localInFlight) + max(others, 0)
    }

    /// The in-flight count at the node if every one of `routers` routers changed its
    /// outstanding requests to the node as this one did since the report:
    /// reported + routers · (mine now − mine at report), never below mine now.
    /// With `routers = 1` it is the exact correction for this router's own requests.
    @inline(__always)
    public func extrapolatedInFlight(routers: Double) -> Double {
        let mine = Double(localInFlight)
        return max(mine, reportedInFlight + routers * (mine - Double(localInFlightAtReport)))
    }

    /// The latency estimate to use: this router's own peak-EWMA when it has samples, else the
    /// reported EWMA.
    @inline(__always)
    public var latencyEstimate: Double {
        localLatency.hasSample ? localLatency.cost : reportedLatency
    }

    /// May receive traffic at all.
    @inline(__always)
    public var isRoutable: Bool { healthy && weight > 0 }
}
