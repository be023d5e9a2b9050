/// The policies by name, as `/v1/route?policy=…` and the CLI spell them.
public enum RoutingPolicyKind: String, Sendable, Hashable, CaseIterable {
    case roundRobin = "round-robin"
    case random = "random"
    case weightedRandom = "weighted-random"
    case smoothWeightedRoundRobin = "swrr"
    case leastConnections = "least-connections"
    case leastResponseTime = "least-response-time"
    case powerOfTwoChoices = "p2c"
    case meshWeighted = "mesh"

    /// Parses the canonical names and common aliases, case-insensitively.
    public init?(parsing text: String) {
        let t = String(text.lowercased().map { $0 == "_" ? "-" : $0 })
        switch t {
        case "round-robin", "roundrobin", "rr": self = .roundRobin
        case "random": self = .random
        case "weighted-random", "wrandom": self = .weightedRandom
        case "swrr", "wrr", "weighted-round-robin", "smooth-weighted-round-robin": self = .smoothWeightedRoundRobin
        case "least-connections", "least-conn", "leastconn", "least-connection", "lc": self = .leastConnections
        case "least-response-time", "least-time", "lrt", "peak-ewma", "ewma": self = .leastResponseTime
        case "p2c", "power-of-two", "power-of-two-choices", "random-two": self = .powerOfTwoChoices
        case "mesh", "mesh-weighted", "adaptive": self = .meshWeighted
        default: return nil
        }
    }

    /// A policy of this kind with its default settings. `routers` is the number of routers
    /// sharing the traffic (live sidecars); only the mesh policy uses it.
    public func makePolicy(routers: Int = 1) -> any RoutingPolicy {
        switch self {
        case .roundRobin: return RoundRobin()
        case .random: return RandomChoice()
        case .weightedRandom: return WeightedRandom()
        case .smoothWeightedRoundRobin: return SmoothWeightedRoundRobin()
        case .leastConnections: return LeastConnections()
        case .leastResponseTime: return LeastResponseTime()
        case .powerOfTwoChoices: return PowerOfTwoChoices()
        case .meshWeighted: return MeshWeighted(routers: routers)
        }
    }
}
