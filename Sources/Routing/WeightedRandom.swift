/// Random choice with probability proportional to weight.
public struct WeightedRandom: RoutingPolicy {
    public var kind: RoutingPolicyKind { .weightedRandom }
    private var sampler = WeightedSampler()
    public init() {}

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        sampler.load(candidates)
        return sampler.draw(from: candidates, rng: &rng)
    }
}
