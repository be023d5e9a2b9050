import SeededRandom

/// Uniformly random choice among routable peers.
public struct RandomChoice: RoutingPolicy {
    public var kind: RoutingPolicyKind { .random }
    public init() {}

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        RandomChoice.uniform(candidates, rng: &rng)
    }

    /// A uniform routable index, or nil. A few rejection draws, then an exact fallback.
    @inline(__always)
    static func uniform<G: RandomNumberGenerator>(_ candidates: [Peer], rng: inout G) -> Int? {
        let n = candidates.count
        guard n > 0 else { return nil }
        for _ in 0..<8 {
            let i = rng.nextIndex(n)
            if candidates[i].isRoutable { return i }
        }
        var count = 0
        for p in candidates where p.isRoutable { count += 1 }
        guard count > 0 else { return nil }
        var k = rng.nextIndex(count)
        for (i, p) in candidates.enumerated() where p.isRoutable {
            if k == 0 { return i }
            k -= 1
        }
        return nil
    }
}
