import SeededRandom

/// Least connections: the routable peer with the fewest in-flight requests per unit of weight
/// (nginx `least_conn` divides by weight; set `weighted: false` for the plain count). Ties are
/// broken uniformly at random. `signal` says which in-flight count it is allowed to see.
public struct LeastConnections: RoutingPolicy {
    public var kind: RoutingPolicyKind { .leastConnections }
    public var signal: LoadSignal
    public var weighted: Bool

    public init(signal: LoadSignal = .corrected, weighted: Bool = true) {
        self.signal = signal
        self.weighted = weighted
    }

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        var best = -1
        var bestScore = Double.infinity
        var ties = 0
        for i in candidates.indices where candidates[i].isRoutable {
            let p = candidates[i]
            let load = signal.inFlight(p)
            let score = weighted ? load / p.weight : load
            if score < bestScore {
                bestScore = score
                best = i
                ties = 1
            } else if score == bestScore {
                ties += 1
                if rng.nextIndex(ties) == 0 { best = i }  // reservoir: uniform among ties
            }
        }
        return best >= 0 ? best : nil
    }
}
