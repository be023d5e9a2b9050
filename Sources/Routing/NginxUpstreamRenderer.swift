/// Renders an nginx `upstream` block from a weight table (a pure string function; the sidecar
/// writes it to a file and reloads nginx).
///
/// nginx weights are positive integers: the mesh weight (mean 1) is scaled by `scale`
/// (default 10, so the mean host gets `weight=10`) and rounded, never below 1. Draining
/// entries are marked `down`; nodes without an address are skipped.
public struct NginxUpstreamRenderer: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        case roundRobin = ""
        case leastConn = "least_conn"
        case randomTwoLeastConn = "random two least_conn"
    }

    public var name: String
    public var method: Method
    public var scale: Double
    public var zoneSize: String?
    public var maxFails: Int?
    public var failTimeout: String?

    public init(
        name: String = "sessionmesh", method: Method = .roundRobin, scale: Double = 10,
        zoneSize: String? = "64k", maxFails: Int? = nil, failTimeout: String? = nil
    ) {
        self.name = name
        self.method = method
        self.scale = scale
        self.zoneSize = zoneSize
        self.maxFails = maxFails
        self.failTimeout = failTimeout
    }

    public func integerWeight(_ w: Double) -> Int {
        guard w.isFinite, w > 0 else { return 1 }
        return max(1, Int((w * scale).rounded()))
    }

    public func render(_ table: WeightTable) -> String {
        var out = "upstream \(name) {\n"
        if let zoneSize { out += "    zone \(name) \(zoneSize);\n" }
        if !method.rawValue.isEmpty { out += "    \(method.rawValue);\n" }
        for e in table.entries where !e.address.isEmpty {
            var line = "    server \(e.address) weight=\(integerWeight(e.weight))"
            if let maxFails { line += " max_fails=\(maxFails)" }
            if let failTimeout { line += " fail_timeout=\(failTimeout)" }
            if e.state == .draining || e.weight <= 0 { line += " down" }
            out += line + ";  # \(e.node)\n"
        }
        out += "}\n"
        return out
    }
}
