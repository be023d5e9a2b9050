import Routing
@testable import RoutingSimulation
import SeededRandom
import Testing

@Suite struct RoutingSimulatorTests {
    /// The gate the design brief sets: the supermarket model (Mitzenmacher 2001) at λ = 0.9
    /// with 100 servers, exponential service, one router with exact queue lengths.
    /// Theory (n → ∞): random 10.0, P2C 2.61 mean time in system. Fixed seed; within 5 %.
    /// Random routing makes 100 independent M/M/1 queues at ρ = 0.9, whose time averages
    /// converge slowly (relaxation ≈ 1/(1−√ρ)² ≈ 380 s): it gets 1000 s of warm-up and 6000 s
    /// of measurement (over seeds 1…20 the error stays within ±5 %; see `RoutingBench
    /// supermarket 20`). P2C converges much faster and gets half of that.
    @Test func supermarketModel() {
        let scenario = SimulatorScenario.supermarket(hosts: 100, lambda: 0.9, duration: 6000, warmup: 1000)
        var short = scenario
        short.duration = 3000
        short.warmup = 500
        let random = RoutingSimulator.run(scenario: scenario, policy: .random, seed: 1)
        let p2c = RoutingSimulator.run(scenario: short, policy: .powerOfTwoChoices(.local), seed: 1)
        let tRandom = SimulationBenchmark.supermarketMean(lambda: 0.9, d: 1)
        let tP2C = SimulationBenchmark.supermarketMean(lambda: 0.9, d: 2)
        print("supermarket λ=0.9, 100 servers: random \(random.meanLatency) (theory \(tRandom)), p2c \(p2c.meanLatency) (theory \(tP2C))")
        #expect(abs(tRandom - 10.0) < 1e-9)
        #expect(abs(tP2C - 2.61) < 0.01)
        #expect(abs(random.meanLatency - tRandom) / tRandom <= 0.05)
        #expect(abs(p2c.meanLatency - tP2C) / tP2C <= 0.05)
        #expect(random.requests > 500_000 && p2c.requests > 250_000)
        #expect(random.unfinished == 0)
    }

    @Test func runsAreDeterministicPerSeed() {
        var s = SimulatorScenario.heterogeneous(gossipInterval: 1, duration: 300)
        s.warmup = 50
        let a = RoutingSimulator.run(scenario: s, policy: .mesh(choices: 2), seed: 5)
        let b = RoutingSimulator.run(scenario: s, policy: .mesh(choices: 2), seed: 5)
        let c = RoutingSimulator.run(scenario: s, policy: .mesh(choices: 2), seed: 6)
        #expect(a == b)
        #expect(a != c)
        // Same seed → same requests for every policy (common random numbers).
        let rr = RoutingSimulator.run(scenario: s, policy: .roundRobin, seed: 5)
        #expect(rr.requests == a.requests)
    }

    /// A short run of the benchmark scenario: the mesh policy, which must estimate capacities
    /// from reports, beats P2C and static SWRR at gossip 1 s, and least connections on stale
    /// gossip herds at 5 s (worse than with 1 s).
    @Test func heterogeneousShortRun() {
        var fast = SimulatorScenario.heterogeneous(gossipInterval: 1, duration: 1500)
        fast.warmup = 100
        let mesh = RoutingSimulator.run(scenario: fast, policy: .mesh(choices: 2), seed: 1)
        let swrr = RoutingSimulator.run(scenario: fast, policy: .staticSWRR, seed: 1)
        let p2c = RoutingSimulator.run(scenario: fast, policy: .powerOfTwoChoices(.corrected), seed: 1)
        let rr = RoutingSimulator.run(scenario: fast, policy: .roundRobin, seed: 1)
        print("4:2:1 gossip 1 s p99: mesh \(mesh.p99) swrr \(swrr.p99) p2c \(p2c.p99) rr \(rr.p99)")
        #expect(mesh.p99 < 0.8 * swrr.p99)
        #expect(mesh.p99 < 0.6 * p2c.p99)
        #expect(rr.p99 > 10 * swrr.p99)  // RR ignores capacity: the slow hosts overflow
        // Utilization max/mean of RR: the capacity-1 hosts saturate.
        #expect(rr.utilizationImbalance > 1.1)

        var slow = fast
        slow.gossipInterval = 5
        let lcFast = RoutingSimulator.run(scenario: fast, policy: .leastConnections(.gossip), seed: 1)
        let lcSlow = RoutingSimulator.run(scenario: slow, policy: .leastConnections(.gossip), seed: 1)
        let meshSlow = RoutingSimulator.run(scenario: slow, policy: .mesh(choices: 2), seed: 1)
        print("gossip 5 s p99: least-conn[gossip] \(lcSlow.p99) (1 s: \(lcFast.p99)), mesh \(meshSlow.p99)")
        #expect(lcSlow.p99 > 2 * lcFast.p99)  // herding on stale counts
        #expect(meshSlow.p99 < lcSlow.p99 / 2)
    }

    @Test func disturbancesAndBurstsRun() {
        var s = SimulatorScenario(
            capacities: [1, 1, 1, 1], load: 0.5, routers: 2, gossipInterval: 1, duration: 400, warmup: 50,
            deadline: 10)
        let calm = RoutingSimulator.run(scenario: s, policy: .roundRobin, seed: 2)
        s.disturbances.slowHost = .init(host: 0, factor: 3)
        let slowHost = RoutingSimulator.run(scenario: s, policy: .roundRobin, seed: 2)
        #expect(slowHost.utilization[0] > 1.3 * calm.utilization[0])
        #expect(slowHost.p99 > calm.p99)
        s.disturbances = Disturbances(overloadRamp: .init(peakLoad: 1.2))
        let ramp = RoutingSimulator.run(scenario: s, policy: .roundRobin, seed: 2)
        #expect(ramp.requests > calm.requests)
        #expect(ramp.deadlineErrors > calm.deadlineErrors)
        s.disturbances = .none
        s.arrivals = .bursty(factor: 5, fraction: 0.1, meanBurst: 5)
        let bursty = RoutingSimulator.run(scenario: s, policy: .roundRobin, seed: 2)
        #expect(bursty.p99 > calm.p99)
        // The long-run arrival rate is preserved: within 10 % of the Poisson run's count.
        #expect(abs(Double(bursty.requests) / Double(calm.requests) - 1) < 0.1)
    }

    @Test func serviceDistributionsHaveMeanOne() {
        for d in [ServiceTimeDistribution.exponential, .lognormal(sigma: 1), .pareto(alpha: 2.5), .deterministic] {
            var rng = SeededGenerator(seed: 4)
            var sum = 0.0
            let n = 200_000
            for _ in 0..<n { sum += d.sample(rng: &rng) }
            #expect(abs(sum / Double(n) - 1) < 0.03, "\(d)")
        }
        #expect(ServiceTimeDistribution(parsing: "pareto:2") == .pareto(alpha: 2))
        #expect(ServiceTimeDistribution(parsing: "lognormal") == .lognormal(sigma: 1))
        #expect(ServiceTimeDistribution(parsing: "exponential") == .exponential)
        #expect(ServiceTimeDistribution(parsing: "pareto:1") == nil)
        #expect(ServiceTimeDistribution(parsing: "weird") == nil)
        #expect(ArrivalProcess(parsing: "bursty:4:0.2:3") == .bursty(factor: 4, fraction: 0.2, meanBurst: 3))
        #expect(ArrivalProcess(parsing: "poisson") == .poisson)
        #expect(ArrivalProcess(parsing: "bursty:x") == nil)
    }

    @Test func capacityClassesSplitEvenly() {
        #expect(SimulatorScenario.capacities(hosts: 12, ratio: [4, 2, 1]) == [4, 4, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1])
        #expect(SimulatorScenario.capacities(hosts: 4, ratio: [2, 1, 1]) == [2, 2, 1, 1])
        #expect(SimulatorScenario.heterogeneous(gossipInterval: 1).totalCapacity == 28)
    }

    @Test func tableRendersEveryPolicy() {
        var s = SimulatorScenario.heterogeneous(gossipInterval: 1, duration: 100)
        s.warmup = 20
        let text = SimulationBenchmark.report(scenario: s, policies: [.staticSWRR, .mesh(choices: 2)], seeds: [1, 2])
        #expect(text.contains("swrr-static"))
        #expect(text.contains("mesh"))
        #expect(text.contains("p99.9"))
        #expect(text.contains("2 seeds"))
    }
}
