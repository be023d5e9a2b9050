/// Weighted rendezvous (highest-random-weight) hashing for session affinity: a session key
/// prefers the routable peer with the highest score `−weight / ln(u)`, where u ∈ (0,1) is a
/// stable hash of (key, node). Removing a peer moves only the keys it owned; every other key
/// keeps its peer. Scores use `StableHash`, so all sidecars agree.
public enum RendezvousHash {
    @inline(__always)
    public static func score(key: UInt64, node: String, weight: Double) -> Double {
        let h = StableHash.combine(key, StableHash.hash(node))
        let u = (Double(h >> 11) + 1) * 0x1.0p-53  // (0, 1]
        if u >= 1 { return .infinity }
        return -weight / Math.log(u)
    }

    /// The index of the routable peer the key prefers, or nil if none is routable. With
    /// `weighted: false` every routable peer counts as weight 1, so the owner does not move
    /// when load reports shift the weights.
    public static func pick(key: String, among candidates: [Peer], weighted: Bool = true) -> Int? {
        let k = StableHash.hash(key)
        var best = -1
        var bestScore = -Double.infinity
        for i in candidates.indices where candidates[i].isRoutable {
            let s = score(key: k, node: candidates[i].node, weight: weighted ? candidates[i].weight : 1)
            // Ties (practically impossible) go to the smaller node name: deterministic.
            if s > bestScore || (s == bestScore && best >= 0 && candidates[i].node < candidates[best].node) {
                bestScore = s
                best = i
            }
        }
        return best >= 0 ? best : nil
    }

    /// All routable peers in the key's order of preference (first = owner).
    public static func ranking(key: String, among candidates: [Peer]) -> [Int] {
        let k = StableHash.hash(key)
        return candidates.indices
            .filter { candidates[$0].isRoutable }
            .map { ($0, score(key: k, node: candidates[$0].node, weight: candidates[$0].weight)) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : candidates[$0.0].node < candidates[$1.0].node }
            .map(\.0)
    }
}
