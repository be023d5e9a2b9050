import SeededRandom

/// Least response time with Finagle's peak EWMA: the routable peer with the lowest
/// `latency · (pending + 1)`, where latency is this router's own peak-EWMA of observed response
/// times (the reported EWMA until it has a sample) and pending its own outstanding requests.
/// A peer with no latency history but pending requests gets a large penalty, as in Finagle.
/// Ties (e.g. all untried) are broken uniformly at random. Information used: local only,
/// unless `signal` says otherwise.
public struct LeastResponseTime: RoutingPolicy {
    public var kind: RoutingPolicyKind { .leastResponseTime }
    public var signal: LoadSignal
    public static let penalty = 1e9

    public init(signal: LoadSignal = .local) {
        self.signal = signal
    }

    @inline(__always)
    public static func cost(_ p: Peer, signal: LoadSignal) -> Double {
        let pending = signal.inFlight(p)
        let latency = p.latencyEstimate
        if latency <= 0 { return pending > 0 ? penalty + pending : 0 }
        return latency * (pending + 1)
    }

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        var best = -1
        var bestScore = Double.infinity
        var ties = 0
        for i in candidates.indices where candidates[i].isRoutable {
            let score = LeastResponseTime.cost(candidates[i], signal: signal)
            if score < bestScore {
                bestScore = score
                best = i
                ties = 1
            } else if score == bestScore {
                ties += 1
                if rng.nextIndex(ties) == 0 { best = i }
            }
        }
        return best >= 0 ? best : nil
    }
}
