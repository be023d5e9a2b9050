/// What `WeightFunction` remembers between tables, per node: the last capacity estimate a report
/// carried a signal for, and the run of recent estimates of a node that reports its own
/// utilization (to tell when that estimate is stable enough to leave the blackout early).
///
/// It is updated from report timestamps only (never from `now`), so computing a table twice from
/// the same view changes nothing, and two peers that saw the same reports remember the same
/// thing. Nodes that leave the view are forgotten, so it stays as small as the mesh.
public struct CapacityMemory: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        /// The capacity estimate (A58 raw weight) of the newest report with a signal, and that
        /// report's timestamp; nil before the first signal.
        public var estimate: Double?
        public var estimateAt: Double
        /// Estimates of consecutive reports with a signal and the node's own utilization, oldest
        /// first (at most `WeightFunction.stableSamples`); a report without either clears it.
        public var recent: [Double]
        /// Timestamp of the newest report taken into account.
        public var seenAt: Double

        public init(estimate: Double? = nil, estimateAt: Double = -.infinity, recent: [Double] = [], seenAt: Double = -.infinity) {
            self.estimate = estimate
            self.estimateAt = estimateAt
            self.recent = recent
            self.seenAt = seenAt
        }
    }

    public private(set) var nodes: [String: Node]

    public init(nodes: [String: Node] = [:]) {
        self.nodes = nodes
    }

    public subscript(node: String) -> Node? { nodes[node] }

    /// Takes in one report: `estimate` is its capacity estimate when it carries a signal (else
    /// nil). A report no newer than the last one seen for the node is ignored.
    mutating func observe(_ report: LoadReport, estimate: Double?, keep: Int) {
        var n = nodes[report.node] ?? Node()
        let timestamp = report.load.timestamp
        guard timestamp > n.seenAt, timestamp.isFinite else { return }
        n.seenAt = timestamp
        if let estimate {
            n.estimate = estimate
            n.estimateAt = timestamp
        }
        if let estimate, report.load.ownUtilization {
            n.recent.append(estimate)
            if n.recent.count > keep { n.recent.removeFirst(n.recent.count - keep) }
        } else {
            n.recent.removeAll()
        }
        nodes[report.node] = n
    }

    /// Forgets nodes that are not in `present`.
    mutating func keepOnly(_ present: Set<String>) {
        if nodes.keys.contains(where: { !present.contains($0) }) {
            nodes = nodes.filter { present.contains($0.key) }
        }
    }
}
