import SeededRandom

/// Power of two choices (Mitzenmacher; Envoy `least_request` with choice_count 2; Finagle P2C):
/// draw two distinct routable peers uniformly at random and keep the one with fewer in-flight
/// requests (random on a tie). With `weighted: true` the draws are ∝ weight and the comparison
/// is per unit of weight (nginx `random two least_conn`).
public struct PowerOfTwoChoices: RoutingPolicy {
    public var kind: RoutingPolicyKind { .powerOfTwoChoices }
    public var signal: LoadSignal
    public var weighted: Bool
    private var sampler = WeightedSampler()

    public init(signal: LoadSignal = .corrected, weighted: Bool = false) {
        self.signal = signal
        self.weighted = weighted
    }

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        let a: Int
        let b: Int?
        if weighted {
            sampler.load(candidates)
            guard let x = sampler.draw(from: candidates, rng: &rng) else { return nil }
            a = x
            b = sampler.draw(from: candidates, excluding: x, rng: &rng)
        } else {
            guard let x = RandomChoice.uniform(candidates, rng: &rng) else { return nil }
            a = x
            b = PowerOfTwoChoices.uniform(candidates, excluding: x, rng: &rng)
        }
        guard let b else { return a }
        var la = signal.inFlight(candidates[a])
        var lb = signal.inFlight(candidates[b])
        if weighted {
            la /= candidates[a].weight
            lb /= candidates[b].weight
        }
        if la < lb { return a }
        if lb < la { return b }
        return rng.next() & 1 == 0 ? a : b
    }

    static func uniform<G: RandomNumberGenerator>(_ candidates: [Peer], excluding other: Int, rng: inout G) -> Int? {
        let n = candidates.count
        guard n > 1 else { return nil }
        for _ in 0..<8 {
            let i = rng.nextIndex(n)
            if i != other, candidates[i].isRoutable { return i }
        }
        var count = 0
        for (i, p) in candidates.enumerated() where i != other && p.isRoutable { count += 1 }
        guard count > 0 else { return nil }
        var k = rng.nextIndex(count)
        for (i, p) in candidates.enumerated() where i != other && p.isRoutable {
            if k == 0 { return i }
            k -= 1
        }
        return nil
    }
}
