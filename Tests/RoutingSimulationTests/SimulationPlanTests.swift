import Routing
@testable import RoutingSimulation
import Testing

@Suite struct SimulationPlanTests {
    @Test func defaultIsTheIssueBenchmark() throws {
        let plan = try SimulationPlan.parse(arguments: [])
        #expect(plan.scenarios.count == 4)
        #expect(plan.scenarios.map(\.gossipInterval) == [1, 5, 1, 20])
        #expect(plan.scenarios[0].capacities == [4, 4, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1])
        #expect(plan.scenarios[0].load == 0.85 && plan.scenarios[0].routers == 8)
        #expect(plan.scenarios[2].disturbances.randomSlowdowns?.factor == 3 && plan.scenarios[2].load == 0.7)
        #expect(plan.seeds == [1, 2, 3, 4, 5])
        #expect(plan.policies == SimulatedPolicy.standard)
    }

    @Test func flagsAndFile() throws {
        let file = """
            # a custom scenario
            hosts = 6
            capacities = 2:1
            service = pareto:2.2
            arrivals = bursty:3:0.2:4
            load = 0.8
            routers = 4
            gossip = 2
            slow-host = 1:4
            """
        let plan = try SimulationPlan.parse(
            arguments: ["--load", "0.9", "--seeds=7", "--policies", "mesh,p2c,swrr", "--ramp", "1.2", "--slowdowns", "3:0.01:10"],
            scenarioFile: file)
        let s = plan.scenarios[0]
        #expect(plan.scenarios.count == 1)
        #expect(s.capacities == [2, 2, 2, 1, 1, 1])
        #expect(s.service == .pareto(alpha: 2.2))
        #expect(s.arrivals == .bursty(factor: 3, fraction: 0.2, meanBurst: 4))
        #expect(s.load == 0.9)  // the flag overrides the file
        #expect(s.routers == 4 && s.gossipInterval == 2)
        #expect(s.disturbances.slowHost == .init(host: 1, factor: 4))
        #expect(s.disturbances.overloadRamp == .init(peakLoad: 1.2))
        #expect(s.disturbances.randomSlowdowns == .init(factor: 3, rate: 0.01, meanDuration: 10))
        #expect(plan.seeds.count == 7)
        #expect(plan.policies == [.mesh(choices: 2), .powerOfTwoChoices(.corrected), .staticSWRR])
        let explicit = try SimulationPlan.parse(arguments: ["--capacities", "3,1,1"])
        #expect(explicit.scenarios[0].capacities == [3, 1, 1])
    }

    @Test func errorsAreReported() {
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--bogus", "1"]) }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--load", "x"]) }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--service", "weird"]) }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--policies", "nope"]) }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--seeds"]) }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: [], scenarioFile: "just words") }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--hosts", "2", "--capacities", "1,2,3"]) }
    }

    @Test func smallPlanRuns() throws {
        let plan = try SimulationPlan.parse(arguments: [
            "--hosts", "4", "--load", "0.5", "--routers", "2", "--duration", "200", "--warmup", "20", "--seeds", "2",
            "--policies", "rr,mesh",
        ])
        let text = plan.run()
        #expect(text.contains("round-robin") && text.contains("mesh") && text.contains("2 seeds"))
    }
}
