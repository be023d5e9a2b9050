/// Which load signal a load-aware policy compares. The simulator labels its columns with it,
/// so it is clear what each policy was allowed to know.
public enum LoadSignal: String, Sendable, Hashable, CaseIterable {
    /// Only this router's own outstanding requests (exact, but blind to other routers).
    case local
    /// Only the host's gossiped in-flight count (stale by up to a gossip interval).
    case gossip
    /// Gossiped count corrected for this router's requests since the report (`estimatedInFlight`).
    case corrected

    @inline(__always)
    func inFlight(_ p: Peer) -> Double {
        switch self {
        case .local: return Double(p.localInFlight)
        case .gossip: return p.reportedInFlight
        case .corrected: return p.estimatedInFlight
        }
    }
}
