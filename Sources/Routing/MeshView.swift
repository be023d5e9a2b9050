/// The latest load report per node, as one peer sees the mesh at `now`.
///
/// Two peers holding the same reports compute the same `WeightTable`, whatever order the
/// reports arrived in: storage is keyed by node and every computation walks nodes sorted by name.
public struct MeshView: Sendable, Hashable {
    public private(set) var reports: [String: LoadReport]
    public var now: Double

    public init(now: Double, reports: [LoadReport] = []) {
        self.now = now
        self.reports = [:]
        for r in reports { update(r) }
    }

    /// Keep the newer of the stored and the given report (by timestamp); never sums.
    public mutating func update(_ report: LoadReport) {
        if let old = reports[report.node], old.load.timestamp > report.load.timestamp { return }
        reports[report.node] = report
    }

    public mutating func remove(node: String) {
        reports[node] = nil
    }

    /// Reports sorted by node name: the canonical order.
    public var sortedReports: [LoadReport] {
        reports.values.sorted { $0.node < $1.node }
    }
}
