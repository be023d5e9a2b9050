/// Replies for HAProxy's `agent-check` (one ASCII line read from `agent-port`).
///
/// HAProxy 2.6 reads `N%` as a weight relative to the server's configured (initial) weight and
/// ignores `weight:N%`; the effective weight is capped at 256, so a server configured with
/// `weight 100` accepts 1%…256%. We map the mesh weight (mean 1) to a percentage of the
/// configured weight: mean → 100%.
public enum HAProxyAgentCheck {
    public enum State: Sendable, Hashable {
        case up
        case drain
        case down(reason: String?)
    }

    /// `weight` (mean 1) as an integer percentage, clamped to 1…256.
    public static func percentage(weight: Double) -> Int {
        guard weight.isFinite else { return weight > 0 ? 256 : 1 }
        let pct = (weight * 100).rounded()
        return Int(min(max(pct, 1), 256))
    }

    /// The agent's reply line, newline-terminated: "up 75%\n", "drain\n", "down#reason\n".
    public static func response(weight: Double, state: State = .up) -> String {
        switch state {
        case .up:
            if weight <= 0 { return "drain\n" }
            return "up \(percentage(weight: weight))%\n"
        case .drain:
            return "drain\n"
        case .down(let reason):
            if let reason, !reason.isEmpty {
                let clean = String(reason.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
                return "down#\(clean)\n"
            }
            return "down\n"
        }
    }

    /// The reply for one node of a weight table (draining → "drain", unknown node → "down").
    public static func response(for node: String, in table: WeightTable, alive: Bool = true) -> String {
        guard alive else { return response(weight: 0, state: .down(reason: "not alive")) }
        guard let e = table[node] else { return response(weight: 0, state: .down(reason: "unknown node")) }
        if e.state == .draining || e.weight <= 0 { return response(weight: 0, state: .drain) }
        return response(weight: e.weight, state: .up)
    }
}
