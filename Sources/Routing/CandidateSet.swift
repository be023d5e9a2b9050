/// The peers one router chooses among, kept in `WeightTable` order (sorted by node name), with
/// the bookkeeping a sidecar needs around each pick:
///
/// - `apply(_:)` merges a new weight table (from the shared view) while keeping local state,
///   and notes this router's own in-flight count at each fresh report (the correction);
/// - `requestStarted(_:)` / `requestFinished(_:latency:at:)` maintain the exact local counts
///   and the local peak-EWMA latencies.
public struct CandidateSet: Sendable {
    public private(set) var peers: [Peer]
    private var reportStamp: [Double]
    public var latencyTau: Double

    public init(latencyTau: Double = 10) {
        self.peers = []
        self.reportStamp = []
        self.latencyTau = latencyTau
    }

    public init(table: WeightTable, latencyTau: Double = 10) {
        self.init(latencyTau: latencyTau)
        apply(table)
    }

    public func index(of node: String) -> Int? {
        // Sorted by name: binary search.
        var lo = 0
        var hi = peers.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if peers[mid].node < node { lo = mid + 1 } else { hi = mid }
        }
        return lo < peers.count && peers[lo].node == node ? lo : nil
    }

    /// Merge a weight table. Nodes absent from the table are dropped; new ones start empty.
    /// `healthy` lets membership mark nodes down without removing them.
    public mutating func apply(_ table: WeightTable, healthy: (String) -> Bool = { _ in true }) {
        var next: [Peer] = []
        var nextStamp: [Double] = []
        next.reserveCapacity(table.entries.count)
        nextStamp.reserveCapacity(table.entries.count)
        for e in table.entries {
            var p: Peer
            var stamp = -Double.infinity
            if let i = index(of: e.node) {
                p = peers[i]
                stamp = reportStamp[i]
            } else {
                p = Peer(node: e.node, localLatency: PeakEWMA(tau: latencyTau))
            }
            p.address = e.address
            p.weight = e.weight
            p.healthy = healthy(e.node)
            p.reportedInFlight = e.inFlight
            p.reportedLatency = e.latencyEWMA
            if e.reportTimestamp != stamp {
                // A fresh report: remember how much of it was ours.
                p.localInFlightAtReport = p.localInFlight
                stamp = e.reportTimestamp
            }
            next.append(p)
            nextStamp.append(stamp)
        }
        peers = next
        reportStamp = nextStamp
    }

    /// Record a fresh report for one node without rebuilding the set (gossip fast path).
    public mutating func noteReport(at index: Int, inFlight: Double, latency: Double, weight: Double? = nil) {
        peers[index].reportedInFlight = inFlight
        peers[index].reportedLatency = latency
        peers[index].localInFlightAtReport = peers[index].localInFlight
        if let weight { peers[index].weight = weight }
    }

    public mutating func setWeight(_ weight: Double, at index: Int) {
        peers[index].weight = weight
    }

    public mutating func setHealthy(_ healthy: Bool, at index: Int) {
        peers[index].healthy = healthy
    }

    public mutating func requestStarted(_ index: Int) {
        peers[index].localInFlight += 1
    }

    /// A request this router sent has finished (success or failure) after `latency` seconds.
    /// No change to the at-report count is needed: `estimatedInFlight` is "others at report
    /// time + mine now", and a finished request of mine leaves the node whether or not the
    /// report had counted it.
    public mutating func requestFinished(_ index: Int, latency: Double, at now: Double) {
        peers[index].localInFlight = max(0, peers[index].localInFlight - 1)
        peers[index].localLatency.observe(latency, at: now)
    }
}
