/// nginx's smooth weighted round robin (`ngx_http_upstream_get_peer`, commit 52327e06):
///
///     for each eligible peer:  current += effective; total += effective
///                              if effective < weight: effective += 1
///     best = argmax(current);  best.current -= total
///
/// Weights {5, 1, 1} give a a b a c a a. `reportFailure` lowers a peer's effective weight by
/// weight/maxFails, as nginx does on a failed attempt; it recovers by one per pick.
///
/// State is kept per node name, so the candidate list may change between calls (peers keep
/// their current weights, new ones start at 0, as after an nginx reload of one server).
public struct SmoothWeightedRoundRobin: RoutingPolicy {
    public var kind: RoutingPolicyKind { .smoothWeightedRoundRobin }
    public var maxFails: Double
    private var names: [String] = []
    private var current: [Double] = []
    private var effective: [Double] = []

    public init(maxFails: Double = 1) {
        self.maxFails = maxFails
    }

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        sync(candidates)
        var best = -1
        var total = 0.0
        var bestCurrent = -Double.infinity
        for i in candidates.indices where candidates[i].isRoutable {
            let w = candidates[i].weight
            if effective[i].isNaN { effective[i] = w }
            current[i] += effective[i]
            total += effective[i]
            if effective[i] < w { effective[i] = min(w, effective[i] + 1) }
            if current[i] > bestCurrent {
                bestCurrent = current[i]
                best = i
            }
        }
        guard best >= 0 else { return nil }
        current[best] -= total
        return best
    }

    /// nginx's reaction to a failed attempt on the peer at `index`.
    public mutating func reportFailure(_ index: Int, weight: Double) {
        guard effective.indices.contains(index) else { return }
        effective[index] = max(0, effective[index] - weight / max(maxFails, 1))
    }

    private mutating func sync(_ candidates: [Peer]) {
        if candidates.count == names.count {
            var same = true
            for i in candidates.indices where candidates[i].node != names[i] {
                same = false
                break
            }
            if same { return }
        }
        var oldCurrent: [String: Double] = [:]
        var oldEffective: [String: Double] = [:]
        for (i, n) in names.enumerated() {
            oldCurrent[n] = current[i]
            oldEffective[n] = effective[i]
        }
        names = candidates.map(\.node)
        current = names.map { oldCurrent[$0] ?? 0 }
        effective = names.map { oldEffective[$0] ?? .nan }  // NaN: take the peer's weight on first use
    }
}
