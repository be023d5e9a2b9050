/// Plain round robin over routable peers, in candidate order.
public struct RoundRobin: RoutingPolicy {
    public var kind: RoutingPolicyKind { .roundRobin }
    private var next: Int

    public init(start: Int = 0) { self.next = start }

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        let n = candidates.count
        guard n > 0 else { return nil }
        let start = ((next % n) + n) % n
        for step in 0..<n {
            let i = (start + step) % n
            if candidates[i].isRoutable {
                next = i + 1
                return i
            }
        }
        return nil
    }
}
