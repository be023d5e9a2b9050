import Routing

/// A policy as the simulator runs it, with what it is allowed to know. Every case builds the
/// real policy type from `Routing`.
public enum SimulatedPolicy: Sendable, Hashable {
    case roundRobin
    case random
    /// Smooth WRR given the hosts' true capacities (static configuration, no feedback).
    case staticSWRR
    case leastConnections(LoadSignal)
    /// Peak-EWMA least response time on this router's own observations.
    case leastResponseTime
    /// Unweighted P2C on the given in-flight signal.
    case powerOfTwoChoices(LoadSignal)
    /// The mesh-weighted policy (weights estimated from reports, never the true capacities).
    /// With `extrapolate` it is told the scenario's number of routers (`MeshWeighted.routers`);
    /// without, it corrects for its own requests only (an ablation row).
    ///
    /// Sensitivity (3 seeds, 5000 s, 4:2:1 at 85 %, gossip 5 s): with 8 routers, telling it
    /// 1 / 2 / 4 / 8 / 16 routers gave p99 7.4 / 6.7 / 5.6 / 5.6 / 5.8 s; with 32 routers,
    /// telling it 1 / 8 / 16 gave 8.0 / 7.0 / 6.9 s.
    case mesh(choices: Int = 2, extrapolate: Bool = true)
    /// `mesh` behind Envoy's zone-aware split (`ZoneSplit`): each request first draws a zone
    /// from the router's split (traffic share = the zone's share of routers, capacity share =
    /// its share of the estimated weights), then `mesh` picks within that zone. Without zones
    /// in the scenario it is `mesh`.
    case meshZoneAware

    public var label: String {
        switch self {
        case .roundRobin: return "round-robin"
        case .random: return "random"
        case .staticSWRR: return "swrr-static"
        case .leastConnections(let s): return "least-conn[\(SimulatedPolicy.short(s))]"
        case .leastResponseTime: return "least-time[local]"
        case .powerOfTwoChoices(let s): return "p2c[\(SimulatedPolicy.short(s))]"
        case .mesh(let d, let x):
            var tags: [String] = []
            if d != 2 { tags.append("d=\(d)") }
            if !x { tags.append("own-only") }
            return tags.isEmpty ? "mesh" : "mesh[" + tags.joined(separator: ",") + "]"
        case .meshZoneAware: return "mesh-zone"
        }
    }

    /// What the policy sees, for the table's legend.
    public var information: String {
        switch self {
        case .roundRobin, .random: return "nothing"
        case .staticSWRR: return "true capacities (static config)"
        case .leastConnections(let s): return SimulatedPolicy.describe(s) + ", per unit of weight estimated from reports"
        case .powerOfTwoChoices(let s): return SimulatedPolicy.describe(s) + ", unweighted uniform draws"
        case .leastResponseTime: return "own observed latencies (peak EWMA) and own in-flight"
        case .mesh(let d, let x):
            return "weights estimated from gossiped throughput/utilization; \(d) draws ∝ weight, least (in-flight + 1)/weight;"
                + (x ? " gossiped in-flight + routers × own change since the report" : " gossiped in-flight corrected by own requests only")
        case .meshZoneAware: return "as mesh, within the zone drawn from Envoy's zone-aware split of the estimated weights"
        }
    }

    static func short(_ s: LoadSignal) -> String {
        switch s {
        case .local: return "local"
        case .gossip: return "gossip"
        case .corrected: return "gossip+own"
        }
    }

    static func describe(_ s: LoadSignal) -> String {
        switch s {
        case .local: return "own in-flight only"
        case .gossip: return "gossiped in-flight only (stale)"
        case .corrected: return "gossiped in-flight corrected by own requests since the report"
        }
    }

    public var usesTrueCapacities: Bool { self == .staticSWRR }

    /// The policy for one of `routers` routers.
    public func makePolicy(routers: Int) -> any RoutingPolicy {
        switch self {
        case .roundRobin: return RoundRobin()
        case .random: return RandomChoice()
        case .staticSWRR: return SmoothWeightedRoundRobin()
        case .leastConnections(let s): return LeastConnections(signal: s, weighted: true)
        case .leastResponseTime: return LeastResponseTime(signal: .local)
        case .powerOfTwoChoices(let s): return PowerOfTwoChoices(signal: s, weighted: false)
        case .mesh(let d, let x): return MeshWeighted(choices: d, routers: x ? routers : 1)
        case .meshZoneAware: return MeshWeighted(choices: 2, routers: routers)
        }
    }

    /// The set the benchmark table compares.
    public static let standard: [SimulatedPolicy] = [
        .roundRobin, .random, .staticSWRR,
        .leastConnections(.gossip), .leastConnections(.corrected),
        .leastResponseTime,
        .powerOfTwoChoices(.corrected),
        .mesh(extrapolate: false),
        .mesh(),
    ]

    public init?(parsing text: String) {
        switch text.lowercased() {
        case "round-robin", "rr": self = .roundRobin
        case "random": self = .random
        case "swrr", "swrr-static", "wrr": self = .staticSWRR
        case "least-conn", "least-connections", "least-conn[gossip]": self = .leastConnections(.gossip)
        case "least-conn[gossip+own]", "least-conn-corrected": self = .leastConnections(.corrected)
        case "least-conn[local]", "least-conn-local": self = .leastConnections(.local)
        case "least-time", "least-response-time", "least-time[local]": self = .leastResponseTime
        case "p2c", "p2c[gossip+own]": self = .powerOfTwoChoices(.corrected)
        case "p2c[local]", "p2c-local": self = .powerOfTwoChoices(.local)
        case "p2c[gossip]", "p2c-gossip": self = .powerOfTwoChoices(.gossip)
        case "mesh": self = .mesh()
        case "mesh[d=3]", "mesh3": self = .mesh(choices: 3)
        case "mesh[own-only]", "mesh-own-only": self = .mesh(extrapolate: false)
        case "mesh-zone", "mesh-zone-aware": self = .meshZoneAware
        default: return nil
        }
    }
}
