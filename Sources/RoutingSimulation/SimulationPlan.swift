import Routing
import SimulationSupport

/// What `sessionmesh simulate routing` runs: scenarios, policies and seeds, parsed from flags
/// and/or a scenario file. Pure: the CLI reads the file and passes its text.
///
/// Flags are `--key value` or `--key=value`; a scenario file holds `key = value` lines with the
/// same keys (`#` starts a comment). Flags override the file. Keys:
///
///     preset        benchmark | heterogeneous | slowdowns | supermarket | zones   (default: benchmark)
///     zone-delay    zones preset: one-way delay between the two zones, seconds (default 0.5)
///     hosts         number of hosts (with a capacity ratio)
///     capacities    a ratio split evenly over the hosts ("4:2:1") or one value per host ("4,2,1,1")
///     workers       servers per host
///     service       exponential | lognormal[:sigma] | pareto[:alpha] | deterministic
///     service-mean  mean service time of a capacity-1 host, seconds
///     arrivals      poisson | bursty[:factor[:fraction[:meanBurst]]]
///     load          offered load, fraction of total capacity
///     routers       number of routers (sidecars)
///     gossip        report interval, seconds (0 = no gossip)
///     slowdowns     random slowdowns factor[:rate[:meanDuration]]   ("none" to disable)
///     slow-host     one slow but alive host index[:factor]
///     ramp          overload ramp to this peak load over the measured window
///     duration      measured seconds;   warmup   seconds before measuring
///     deadline      seconds; slower requests count as deadline errors
///     seeds         number of seeds (1…N), at least 1
///     policies      comma-separated labels (see `SimulatedPolicy(parsing:)`), or "all"
public struct SimulationPlan: Sendable {
    public var scenarios: [SimulatorScenario]
    public var policies: [SimulatedPolicy]
    public var seeds: [UInt64]
    /// True for the supermarket preset: report mean time in system against theory.
    public var supermarket: Bool

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(scenarios: [SimulatorScenario], policies: [SimulatedPolicy] = SimulatedPolicy.standard, seeds: [UInt64], supermarket: Bool = false) {
        self.scenarios = scenarios
        self.policies = policies
        self.seeds = seeds
        self.supermarket = supermarket
    }

    /// The issue's benchmark: 4:2:1 at gossip 1 s and 5 s, identical hosts with slowdowns —
    /// plus 4:2:1 at gossip 20 s, staler than the issue asks, to show what staleness does.
    public static func benchmark(seeds: Int = 5, duration: Double = 10_000) -> SimulationPlan {
        SimulationPlan(
            scenarios: [
                .heterogeneous(gossipInterval: 1, duration: duration),
                .heterogeneous(gossipInterval: 5, duration: duration),
                .slowdowns(duration: duration),
                .heterogeneous(gossipInterval: 20, duration: duration),
            ],
            seeds: SimulationBenchmark.seeds(seeds))
    }

    /// Parse flags (and optionally a scenario file's text, which the flags override).
    public static func parse(arguments: [String], scenarioFile: String? = nil) throws(ParseError) -> SimulationPlan {
        var options: [(String, String)] = []
        if let scenarioFile {
            for (n, raw) in scenarioFile.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                let trimmed = line.trimmingSpaces
                if trimmed.isEmpty { continue }
                let kv = trimmed.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw ParseError(message: "scenario file line \(n + 1): expected key = value")
                }
                options.append((kv[0], kv[1]))
            }
        }
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            guard a.hasPrefix("--") else { throw ParseError(message: "unexpected argument '\(a)'") }
            let body = String(a.dropFirst(2))
            if let eq = body.firstIndex(of: "=") {
                options.append((String(body[..<eq]), String(body[body.index(after: eq)...])))
                i += 1
            } else {
                guard i + 1 < arguments.count else { throw ParseError(message: "--\(body) needs a value") }
                options.append((body, arguments[i + 1]))
                i += 2
            }
        }
        return try build(options)
    }

    static func build(_ options: [(String, String)]) throws(ParseError) -> SimulationPlan {
        var map: [String: String] = [:]
        for (k, v) in options { map[k.lowercased()] = v }  // later wins: flags override the file
        let known: Set<String> = [
            "preset", "hosts", "capacities", "workers", "service", "service-mean", "arrivals", "load", "routers",
            "gossip", "slowdowns", "slow-host", "ramp", "duration", "warmup", "deadline", "seeds", "policies",
            "zone-delay",
        ]
        for k in map.keys where !known.contains(k) { throw ParseError(message: "unknown option '\(k)'") }

        func number(_ key: String) throws(ParseError) -> Double? {
            guard let v = map[key] else { return nil }
            guard let d = Double(v), d.isFinite else { throw ParseError(message: "--\(key): '\(v)' is not a number") }
            return d
        }
        func fields(_ key: String) throws(ParseError) -> [Double]? {
            guard let v = map[key] else { return nil }
            var out: [Double] = []
            for part in v.split(separator: ":") {
                guard let d = Double(part) else { throw ParseError(message: "--\(key): '\(v)' is malformed") }
                out.append(d)
            }
            return out
        }

        let seedCount = Int(try number("seeds") ?? 5)
        guard seedCount >= 1 else { throw ParseError(message: "--seeds must be at least 1") }
        let preset = map["preset"]?.lowercased() ?? (map["hosts"] != nil || map["capacities"] != nil ? "custom" : "benchmark")
        let duration = try number("duration")

        var policies = SimulatedPolicy.standard
        if let p = map["policies"], p.lowercased() != "all" {
            policies = []
            for label in p.split(separator: ",") {
                guard let sp = SimulatedPolicy(parsing: String(label).trimmingSpaces) else {
                    throw ParseError(message: "--policies: unknown policy '\(label)'")
                }
                policies.append(sp)
            }
        }

        var base: [SimulatorScenario]
        var supermarket = false
        switch preset {
        case "benchmark":
            base = benchmark(seeds: seedCount, duration: duration ?? 10_000).scenarios
        case "heterogeneous":
            base = [.heterogeneous(gossipInterval: try number("gossip") ?? 1, duration: duration ?? 10_000)]
        case "slowdowns":
            base = [.slowdowns(duration: duration ?? 10_000)]
        case "supermarket":
            base = [.supermarket(hosts: Int(try number("hosts") ?? 100), lambda: try number("load") ?? 0.9, duration: duration ?? 6000)]
            supermarket = true
            if map["policies"] == nil { policies = [.random, .powerOfTwoChoices(.local)] }
        case "zones":
            let delay = try number("zone-delay") ?? 0.5
            guard delay >= 0 else { throw ParseError(message: "--zone-delay must be at least 0") }
            base = [.twoZones(interZoneDelay: delay, duration: duration ?? 10_000)]
            if map["policies"] == nil { policies = [.roundRobin, .mesh(), .meshZoneAware] }
        case "custom":
            base = [SimulatorScenario(name: "custom", capacities: [1], load: 0.7, duration: duration ?? 10_000)]
        default:
            throw ParseError(message: "--preset: unknown preset '\(preset)'")
        }

        var scenarios: [SimulatorScenario] = []
        for var s in base {
            if preset != "supermarket" {
                let hosts = try number("hosts").map { Int($0) }
                if let hosts, hosts < 1 { throw ParseError(message: "--hosts must be at least 1") }
                if let spec = map["capacities"], spec.contains(",") {
                    let list = try capacityRatio(spec)!
                    if let hosts, hosts != list.count {
                        throw ParseError(message: "--capacities lists \(list.count) hosts but --hosts is \(hosts)")
                    }
                    s.capacities = list
                } else if hosts != nil || map["capacities"] != nil {
                    // A ratio ("4:2:1", or one value) split evenly over the hosts.
                    let ratio = try capacityRatio(map["capacities"]) ?? [1]
                    s.capacities = SimulatorScenario.capacities(hosts: hosts ?? s.capacities.count, ratio: ratio)
                }
            }
            if let w = try number("workers") { s.workersPerHost = max(1, Int(w)) }
            if let v = map["service"] {
                guard let d = ServiceTimeDistribution(parsing: v) else { throw ParseError(message: "--service: unknown '\(v)'") }
                s.service = d
            }
            if let m = try number("service-mean") {
                guard m > 0 else { throw ParseError(message: "--service-mean must be positive") }
                s.serviceMean = m
            }
            if let v = map["arrivals"] {
                guard let a = ArrivalProcess(parsing: v) else { throw ParseError(message: "--arrivals: unknown '\(v)'") }
                s.arrivals = a
            }
            if let l = try number("load"), preset != "supermarket" {
                guard l > 0 else { throw ParseError(message: "--load must be positive") }
                s.load = l
            }
            if let r = try number("routers") { s.routers = max(1, Int(r)) }
            if let g = try number("gossip"), preset != "supermarket" { s.gossipInterval = g }
            if let v = map["slowdowns"] {
                if v.lowercased() == "none" {
                    s.disturbances.randomSlowdowns = nil
                } else {
                    let f = try fields("slowdowns") ?? []
                    s.disturbances.randomSlowdowns = .init(
                        factor: f.count > 0 ? f[0] : 3, rate: f.count > 1 ? f[1] : 0.005, meanDuration: f.count > 2 ? f[2] : 20)
                }
            }
            if map["slow-host"] != nil {
                let f = try fields("slow-host") ?? []
                s.disturbances.slowHost = .init(host: f.count > 0 ? Int(f[0]) : 0, factor: f.count > 1 ? f[1] : 3)
            }
            if let r = try number("ramp") { s.disturbances.overloadRamp = .init(peakLoad: r) }
            if let w = try number("warmup") { s.warmup = max(0, w) }
            if let d = try number("deadline") { s.deadline = d }
            if let z = s.zones, z.hostZone.count != s.capacities.count || z.routerZone.count != s.routers {
                throw ParseError(message: "--preset zones places 12 hosts and 8 routers; --hosts, --capacities and --routers cannot change their number")
            }
            let scenarioKeys: Set<String> = [
                "hosts", "capacities", "workers", "service", "service-mean", "arrivals", "load", "routers", "gossip",
                "slowdowns", "slow-host", "ramp", "deadline",
            ]
            if preset == "custom" {
                s.name = "\(s.capacities.count) hosts, \(s.routers) routers, load \(Format.trimmed(s.load)), gossip \(Format.trimmed(s.gossipInterval)) s"
            } else if preset != "supermarket" {
                let changed = map.keys.filter { scenarioKeys.contains($0) }.sorted()
                if !changed.isEmpty {
                    s.name = "\(preset) preset with " + changed.map { "\($0)=\(map[$0]!)" }.joined(separator: " ")
                }
            }
            scenarios.append(s)
        }
        return SimulationPlan(scenarios: scenarios, policies: policies, seeds: SimulationBenchmark.seeds(seedCount), supermarket: supermarket)
    }

    static func capacityRatio(_ v: String?) throws(ParseError) -> [Double]? {
        guard let v else { return nil }
        let parts = v.split(whereSeparator: { $0 == ":" || $0 == "," })
        var out: [Double] = []
        for p in parts {
            guard let d = Double(p), d > 0 else { throw ParseError(message: "--capacities: '\(v)' is malformed") }
            out.append(d)
        }
        guard !out.isEmpty else { throw ParseError(message: "--capacities is empty") }
        return out
    }

    /// Run everything and render the tables (with the targets for the issue's scenarios).
    public func run() -> String {
        if supermarket, let s = scenarios.first {
            return SimulationBenchmark.supermarketReport(
                hosts: s.capacities.count, lambda: s.load, duration: s.duration, seeds: seeds)
        }
        var out = ""
        for s in scenarios {
            let summaries = SimulationBenchmark.run(scenario: s, policies: policies, seeds: seeds)
            out += SimulationBenchmark.render(scenario: s, summaries: summaries)
            out += SimulationBenchmark.targets(scenario: s, summaries: summaries)
            out += "\n"
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
