import Routing
import SimulationSupport

/// Everything a simulated run depends on, apart from the policy and the seed.
///
/// Units: seconds. A capacity-1 host serves a request in `serviceMean` seconds on average
/// (one "S"); a capacity-c host in `serviceMean / c`. Load is the offered arrival rate over
/// the total service capacity Σ cᵢ·workers / serviceMean.
public struct SimulatorScenario: Sendable, Hashable {
    public var name: String
    public var capacities: [Double]
    public var workersPerHost: Int
    public var serviceMean: Double
    public var service: ServiceTimeDistribution
    public var arrivals: ArrivalProcess
    public var load: Double
    public var routers: Int
    /// How often each host publishes its load report; 0 or less: never (no gossip at all).
    /// Every router receives a report at the moment it is published, so a router's view of a
    /// host is as stale as the time since that host last published (uniform in [0, interval)).
    public var gossipInterval: Double
    /// How often the routers recompute the weight table from the view (gRPC A58's
    /// `weight_update_period`).
    public var weightUpdatePeriod: Double
    /// Time constant of the hosts' throughput/utilization/latency EWMAs.
    public var reportTau: Double
    /// Time constant of the routers' local peak-EWMA latency.
    public var latencyTau: Double
    public var duration: Double
    public var warmup: Double
    /// A request slower than this counts as a deadline error.
    public var deadline: Double
    public var disturbances: Disturbances
    public var weightFunction: WeightFunction
    /// Hosts and routers placed in zones, with a network delay between zones; nil: one zone.
    public var zones: ZoneLayout? = nil

    /// Where hosts and routers are, for cross-border routing. A request from a router to a host
    /// in another zone takes `interZoneDelay` seconds each way on top of its time at the host.
    public struct ZoneLayout: Sendable, Hashable {
        /// Zone index of each host and of each router.
        public var hostZone: [Int]
        public var routerZone: [Int]
        /// One-way delay between zones, seconds.
        public var interZoneDelay: Double

        public init(hostZone: [Int], routerZone: [Int], interZoneDelay: Double) {
            self.hostZone = hostZone
            self.routerZone = routerZone
            self.interZoneDelay = interZoneDelay
        }
    }

    public init(
        name: String = "custom",
        capacities: [Double],
        workersPerHost: Int = 1,
        serviceMean: Double = 1,
        service: ServiceTimeDistribution = .exponential,
        arrivals: ArrivalProcess = .poisson,
        load: Double,
        routers: Int = 8,
        gossipInterval: Double = 1,
        weightUpdatePeriod: Double = 1,
        reportTau: Double = 30,
        latencyTau: Double = 10,
        duration: Double = 4000,
        warmup: Double = 200,
        deadline: Double = 30,
        disturbances: Disturbances = .none,
        weightFunction: WeightFunction = WeightFunction(blackoutPeriod: 10, expirationPeriod: 60, slowStartWindow: 0)
    ) {
        self.name = name
        self.capacities = capacities
        self.workersPerHost = max(1, workersPerHost)
        self.serviceMean = serviceMean
        self.service = service
        self.arrivals = arrivals
        self.load = load
        self.routers = max(1, routers)
        self.gossipInterval = gossipInterval
        self.weightUpdatePeriod = weightUpdatePeriod
        self.reportTau = reportTau
        self.latencyTau = latencyTau
        self.duration = duration
        self.warmup = warmup
        self.deadline = deadline
        self.disturbances = disturbances
        self.weightFunction = weightFunction
    }

    /// Requests per second the hosts can serve in total.
    public var totalCapacity: Double {
        var s = 0.0
        for c in capacities { s += c }
        return s * Double(workersPerHost) / serviceMean
    }

    /// `hosts` hosts split evenly over the capacity classes of `ratio` (e.g. 12 over 4:2:1 gives
    /// four hosts of each), earlier classes taking any remainder.
    public static func capacities(hosts: Int, ratio: [Double]) -> [Double] {
        guard !ratio.isEmpty, hosts > 0 else { return [] }
        var out: [Double] = []
        let k = ratio.count
        for (i, c) in ratio.enumerated() {
            let n = hosts / k + (i < hosts % k ? 1 : 0)
            out += Array(repeating: c, count: n)
        }
        return out
    }

    // MARK: The scenarios of the issue

    /// Twelve hosts at capacities 4:2:1, eight routers, 85 % load, one worker per host.
    public static func heterogeneous(gossipInterval: Double, duration: Double = 4000) -> SimulatorScenario {
        SimulatorScenario(
            name: "12 hosts 4:2:1, 8 routers, 85% load, gossip \(Format.trimmed(gossipInterval)) s",
            capacities: capacities(hosts: 12, ratio: [4, 2, 1]),
            load: 0.85, routers: 8, gossipInterval: gossipInterval, duration: duration)
    }

    /// Twelve identical hosts with random 3× slowdowns, eight routers, 70 % load, gossip 1 s.
    public static func slowdowns(gossipInterval: Double = 1, duration: Double = 4000) -> SimulatorScenario {
        SimulatorScenario(
            name: "12 identical hosts, random 3x slowdowns, 8 routers, 70% load, gossip \(Format.trimmed(gossipInterval)) s",
            capacities: Array(repeating: 1, count: 12),
            load: 0.7, routers: 8, gossipInterval: gossipInterval, duration: duration,
            disturbances: Disturbances(randomSlowdowns: .init(factor: 3, rate: 0.005, meanDuration: 20)))
    }

    /// Two zones of six identical hosts each; six of the eight routers sit in zone 0 (it sends
    /// 75 % of the traffic with 50 % of the capacity), 70 % load, gossip 1 s, and
    /// `interZoneDelay` seconds each way between the zones.
    public static func twoZones(interZoneDelay: Double = 0.5, duration: Double = 4000) -> SimulatorScenario {
        var s = SimulatorScenario(
            name: "2 zones x 6 identical hosts, routers 6+2, 70% load, gossip 1 s, inter-zone delay \(Format.trimmed(interZoneDelay)) s each way",
            capacities: Array(repeating: 1, count: 12),
            load: 0.7, routers: 8, gossipInterval: 1, duration: duration)
        s.zones = ZoneLayout(hostZone: (0..<12).map { $0 < 6 ? 0 : 1 }, routerZone: (0..<8).map { $0 < 6 ? 0 : 1 },
                             interZoneDelay: interZoneDelay)
        return s
    }

    /// Mitzenmacher's supermarket model: `hosts` identical exponential servers, Poisson
    /// arrivals at λ per server, one router with exact (local) queue lengths, no gossip.
    public static func supermarket(hosts: Int = 100, lambda: Double = 0.9, duration: Double = 6000, warmup: Double = 1000)
        -> SimulatorScenario
    {
        SimulatorScenario(
            name: "supermarket model, \(hosts) servers, lambda \(Format.trimmed(lambda))",
            capacities: Array(repeating: 1, count: hosts),
            load: lambda, routers: 1, gossipInterval: 0, duration: duration, warmup: warmup,
            deadline: .infinity)
    }
}
