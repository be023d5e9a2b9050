import Routing

/// A deterministic discrete-event simulation of routers (sidecars) sending requests to hosts,
/// running the real policy code of `Routing`.
///
/// Model:
/// - Hosts are FIFO queues with `workersPerHost` servers each. A request's work is drawn from
///   the service distribution (mean 1) when it arrives, so every policy sees the same request
///   sequence for a seed; its service time is work · serviceMean / capacity · slowdown, where
///   the slowdown in force when service starts applies to the whole request.
/// - Requests arrive at the mesh by the arrival process and go to a uniformly chosen router.
///   The router picks a host with its own policy instance and its own random stream.
/// - What a router knows: its own outstanding requests and observed latencies per host
///   (exact, immediate), and each host's load report, published every `gossipInterval` (with
///   a random phase per host) and delivered to all routers at once — so all routers share one
///   view, stale by up to one interval. A report carries in-flight count, latency EWMA, and
///   throughput and utilization EWMAs (time constant `reportTau`). Every
///   `weightUpdatePeriod` the routers recompute weights from the view with the scenario's
///   `WeightFunction`. Only `staticSWRR` is given the true capacities.
/// - Arrivals stop at warm-up + duration; the hosts then drain, so every measured request
///   (arrived after warm-up) has a latency. Utilization is measured over the arrival window.
public enum RoutingSimulator {
    public static func run(scenario: SimulatorScenario, policy: SimulatedPolicy, seed: UInt64) -> SimulationResult {
        var engine = SimulationEngine(scenario: scenario, policy: policy, seed: seed)
        return engine.run()
    }
}
