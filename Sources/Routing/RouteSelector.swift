/// What the sidecar calls for `/v1/route`: a policy, plus optional session affinity.
///
/// With affinity on and a key given, the key's rendezvous owner is chosen while it is
/// routable (healthy, weight > 0); otherwise, or without a key, the policy decides. Affinity
/// hashing uses `affinityWeights: false` by default (all peers equal), so a key's owner does not
/// move when load reports shift the weights.
public struct RouteSelector: Sendable {
    public var policy: any RoutingPolicy
    public var affinity: Bool
    public var affinityWeights: Bool

    public init(policy: any RoutingPolicy, affinity: Bool = false, affinityWeights: Bool = false) {
        self.policy = policy
        self.affinity = affinity
        self.affinityWeights = affinityWeights
    }

    /// `routers`: live sidecars sharing the traffic (used by the mesh policy).
    public init(kind: RoutingPolicyKind, routers: Int = 1, affinity: Bool = false) {
        self.init(policy: kind.makePolicy(routers: routers), affinity: affinity)
    }

    public enum Reason: String, Sendable, Hashable {
        case affinity
        case policy
    }

    public mutating func pick<G: RandomNumberGenerator>(
        from candidates: [Peer], key: String?, rng: inout G
    ) -> (index: Int, reason: Reason)? {
        if affinity, let key, !key.isEmpty {
            if let owner = RendezvousHash.pick(key: key, among: candidates, weighted: affinityWeights) {
                return (owner, .affinity)
            }
        }
        guard let i = policy.pick(from: candidates, rng: &rng) else { return nil }
        return (i, .policy)
    }
}
