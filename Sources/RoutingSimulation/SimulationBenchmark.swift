import Routing
import SimulationSupport

/// Runs policies over several seeds and renders the comparison table (median and spread).
/// `sessionmesh simulate routing` parses its flags into a `SimulatorScenario` and prints
/// `SimulationBenchmark.report(...)`.
public enum SimulationBenchmark {
    /// One policy's results over all seeds.
    public struct Summary: Sendable {
        public var policy: SimulatedPolicy
        public var results: [SimulationResult]

        public func median(_ f: (SimulationResult) -> Double) -> Double {
            Stats.median(results.map(f))
        }

        public func range(_ f: (SimulationResult) -> Double) -> (min: Double, max: Double) {
            let xs = results.map(f)
            return (xs.min() ?? 0, xs.max() ?? 0)
        }

        public var medianP99: Double { median { $0.p99 } }
        public var medianP999: Double { median { $0.p999 } }
        public var medianP50: Double { median { $0.p50 } }
        public var medianMean: Double { median { $0.meanLatency } }
    }

    /// The default seeds: 1…count.
    public static func seeds(_ count: Int) -> [UInt64] { (0..<max(count, 1)).map { UInt64($0 + 1) } }

    public static func run(
        scenario: SimulatorScenario, policies: [SimulatedPolicy] = SimulatedPolicy.standard, seeds: [UInt64]
    ) -> [Summary] {
        policies.map { p in
            Summary(policy: p, results: seeds.map { RoutingSimulator.run(scenario: scenario, policy: p, seed: $0) })
        }
    }

    /// The table: one row per policy; cells are "median [min–max]" over the seeds.
    /// Latencies are in seconds (= units of S, the mean service time of a capacity-1 host,
    /// when `serviceMean` is 1).
    public static func render(scenario: SimulatorScenario, summaries: [Summary]) -> String {
        let seedCount = summaries.first?.results.count ?? 0
        var out = "scenario: \(scenario.name)\n"
        out += "  hosts \(scenario.capacities.count) capacities \(scenario.capacities.map { Format.trimmed($0) }.joined(separator: ","))"
        out += ", workers/host \(scenario.workersPerHost), service \(scenario.service) mean \(Format.trimmed(scenario.serviceMean)) s"
        out += ", arrivals \(scenario.arrivals), load \(Format.trimmed(scenario.load))"
        out += ", routers \(scenario.routers), gossip \(scenario.gossipInterval > 0 ? Format.trimmed(scenario.gossipInterval) + " s" : "off")"
        out += ", deadline \(Format.trimmed(scenario.deadline)) s\n"
        var dist: [String] = []
        if let s = scenario.disturbances.randomSlowdowns {
            dist.append("random \(Format.trimmed(s.factor))x slowdowns (rate \(Format.trimmed(s.rate))/s/host, mean \(Format.trimmed(s.meanDuration)) s)")
        }
        if let s = scenario.disturbances.slowHost { dist.append("host \(s.host) \(Format.trimmed(s.factor))x slow") }
        if let r = scenario.disturbances.overloadRamp { dist.append("load ramps to \(Format.trimmed(r.peakLoad))") }
        if !dist.isEmpty { out += "  disturbances: " + dist.joined(separator: "; ") + "\n" }
        out += "  measured \(Format.trimmed(scenario.duration)) s after \(Format.trimmed(scenario.warmup)) s warm-up; \(seedCount) seeds; cells: median [min-max] over seeds; latencies in s\n"

        var header = ["policy", "p50", "p99", "p99.9", "deadline err %", "util max/mean", "mean"]
        if scenario.zones != nil { header.append("cross-zone %") }
        var rows: [[String]] = [header]
        for s in summaries {
            func cell(_ f: (SimulationResult) -> Double) -> String {
                let m = s.median(f)
                let r = s.range(f)
                return "\(Format.sig3(m)) [\(Format.sig3(r.min))-\(Format.sig3(r.max))]"
            }
            var row = [
                s.policy.label,
                cell { $0.p50 }, cell { $0.p99 }, cell { $0.p999 },
                cell { $0.deadlineErrorRate * 100 }, cell { $0.utilizationImbalance }, cell { $0.meanLatency },
            ]
            if scenario.zones != nil { row.append(cell { $0.crossZoneShare * 100 }) }
            rows.append(row)
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        for (k, row) in rows.enumerated() {
            let line = row.enumerated().map { i, c in Format.pad(c, widths[i], right: i > 0) }.joined(separator: "  ")
            out += "  " + line + "\n"
            if k == 0 { out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        out += "  information each policy uses:\n"
        for s in summaries {
            out += "    \(Format.pad(s.policy.label, widths[0])) \(s.policy.information)\n"
        }
        return out
    }

    /// Run and render in one call.
    public static func report(
        scenario: SimulatorScenario, policies: [SimulatedPolicy] = SimulatedPolicy.standard, seeds: [UInt64]
    ) -> String {
        render(scenario: scenario, summaries: run(scenario: scenario, policies: policies, seeds: seeds))
    }
}
