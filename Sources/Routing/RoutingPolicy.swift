/// A balancing policy: choose one of `candidates`, returning its index.
///
/// Candidates are in `WeightTable` order (sorted by node name). Policies skip peers that are
/// not routable (`healthy == false` or `weight == 0`) and return nil only when none is.
/// Stateful policies (round robin, smooth WRR) keep their state between calls; they cope with
/// the candidate list changing between calls.
public protocol RoutingPolicy: Sendable {
    var kind: RoutingPolicyKind { get }
    mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int?
}

extension RoutingPolicy {
    /// Convenience: the chosen peer itself.
    public mutating func pickPeer<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Peer? {
        pick(from: candidates, rng: &rng).map { candidates[$0] }
    }
}
