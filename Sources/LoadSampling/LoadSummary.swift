import Routing

/// The `load` serf tag: this host's load as `serf members` shows it.
public enum LoadSummary {
    /// `if=3 lat=1.2ms s=40 cpu=12% err=0%`.
    public static func text(_ l: HostLoad) -> String {
        "if=\(l.inFlight) lat=\(oneDecimal(l.latencyMs))ms s=\(l.sessions) cpu=\(Int(l.utilization * 100))% err=\(Int(l.errorRate * 100))%"
    }

    /// `%.1f` for a non-negative value, without Foundation's formatter (this runs every few seconds).
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0.0" }
        let tenths = Int((min(value, 1e12) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
