import SeededRandom

/// The mesh-weighted, load-aware policy.
///
/// Inputs, all of which a real sidecar has:
/// - each peer's weight from the shared `WeightTable`: an estimate of its service capacity from
///   reported throughput/utilization (gRPC A58) — the true capacity is never given;
/// - the peer's in-flight count from its last report (gossip, stale), and this router's own
///   outstanding requests to it, now and when that report arrived (exact);
/// - `routers`: how many routers share the traffic (in a sidecar mesh, the number of live
///   members).
///
/// Load estimate (`Peer.extrapolatedInFlight(routers:)`): the reported count, plus this
/// router's change in outstanding requests since the report, scaled by `routers`. All routers
/// run this policy on the same shared view, so what this router did since the report is a
/// sample of what every router did: if it added two requests to a host that looked idle, the
/// others probably added about as many each. With `routers = 1` this is just the exact
/// correction for this router's own requests.
///
/// Decision: draw `choices` distinct candidates with probability ∝ weight and keep the one
/// with the lowest `(estimate + 1) / weight` — the time to clear the peer's queue plus this
/// request, in units of a mean-capacity host's service time (weight ≈ relative capacity).
/// Random on ties. With `routers = 1` this is nginx's `random two least_conn` (weighted draws,
/// conns/weight), fed with estimated weights and gossiped counts.
///
/// Why it does not herd: a full scan for the least loaded peer sends every router to the same
/// peer for as long as stale reports make it look best. Here a peer can only be chosen when it
/// is drawn, so a peer that looks idle gets at most about `choices ×` its fair share until the
/// next report (Mitzenmacher, "How useful is old information?"), and the extrapolation makes
/// it stop looking idle after its share of the pile-up rather than 1/routers of it.
///
/// Measured (`RoutingBench tables`; 12 hosts 4:2:1, 8 routers, 85 % load, S = mean service
/// time of a capacity-1 host = 1 s): p99 about 0.4× static SWRR at gossip 1 S and about 0.5×
/// at 5 S; at 20 S about 0.5× too (without the extrapolation it was 1.4× there). Getting
/// `routers` wrong by 2× either way costs little (see the doc of `RoutingSimulation`'s `SimulatedPolicy.mesh`).
public struct MeshWeighted: RoutingPolicy {
    public var kind: RoutingPolicyKind { .meshWeighted }
    public var choices: Int
    public var routers: Double
    private var sampler = WeightedSampler()

    public init(choices: Int = 2, routers: Int = 1) {
        self.choices = max(1, choices)
        self.routers = Double(max(1, routers))
    }

    public mutating func pick<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        sampler.load(candidates)
        guard var best = sampler.draw(from: candidates, rng: &rng) else { return nil }
        var bestScore = score(candidates[best])
        var drawn = 1
        var ties = 1
        var tries = 0
        while drawn < choices, tries < 4 * choices {
            tries += 1
            guard let c = sampler.draw(from: candidates, rng: &rng), c != best else { continue }
            drawn += 1
            let s = score(candidates[c])
            if s < bestScore {
                best = c
                bestScore = s
                ties = 1
            } else if s == bestScore {
                ties += 1
                if rng.nextIndex(ties) == 0 { best = c }
            }
        }
        return best
    }

    @inline(__always)
    private func score(_ p: Peer) -> Double {
        (p.extrapolatedInFlight(routers: routers) + 1) / p.weight
    }
}
