import Routing
@testable import RoutingSimulation
import Testing

/// `simulate routing --preset zones`: two zones with an inter-zone delay, zone-aware mesh
/// routing against zone-blind mesh routing and round robin.
@Suite struct ZoneSimulationTests {
    @Test func presetParsesWithItsDelayAndPolicies() throws {
        let plan = try SimulationPlan.parse(arguments: ["--preset", "zones", "--zone-delay", "0.2", "--seeds", "1"])
        #expect(plan.scenarios.count == 1)
        let s = plan.scenarios[0]
        #expect(s.zones?.interZoneDelay == 0.2 && s.zones?.hostZone == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
        #expect(s.zones?.routerZone == [0, 0, 0, 0, 0, 0, 1, 1] && s.routers == 8 && s.capacities.count == 12)
        #expect(plan.policies == [.roundRobin, .mesh(), .meshZoneAware])
        #expect(SimulatedPolicy(parsing: "mesh-zone") == .meshZoneAware)
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--preset", "zones", "--hosts", "10"]) }
        #expect(throws: SimulationPlan.ParseError.self) { try SimulationPlan.parse(arguments: ["--preset", "zones", "--zone-delay", "-1"]) }
    }

    @Test func zoneAwareRoutingCrossesExactlyTheEnvoySpill() {
        // Zone 0 sends 6/8 of the traffic with 1/2 of the capacity: its routers keep
        // (1/2)/(3/4) = 2/3 and spill 1/3; zone 1's routers keep all. Cross share 3/4 × 1/3 = 1/4.
        // Zone-blind policies on equal hosts cross half the time (6 of the 12 hosts are remote).
        let s = SimulatorScenario.twoZones(interZoneDelay: 0.5, duration: 1500)
        let aware = RoutingSimulator.run(scenario: s, policy: .meshZoneAware, seed: 1)
        let blind = RoutingSimulator.run(scenario: s, policy: .mesh(), seed: 1)
        let rr = RoutingSimulator.run(scenario: s, policy: .roundRobin, seed: 1)
        #expect(abs(aware.crossZoneShare - 0.25) < 0.03, "\(aware.crossZoneShare)")
        #expect(abs(blind.crossZoneShare - 0.5) < 0.05, "\(blind.crossZoneShare)")
        #expect(abs(rr.crossZoneShare - 0.5) < 0.02, "\(rr.crossZoneShare)")
        #expect(aware.requests > 5000 && blind.requests == aware.requests)
        // Without zones the scenario reports no crossing, and mesh-zone is plain mesh.
        var flat = s
        flat.zones = nil
        #expect(RoutingSimulator.run(scenario: flat, policy: .meshZoneAware, seed: 1).crossZoneShare == 0)
        #expect(RoutingSimulator.run(scenario: flat, policy: .meshZoneAware, seed: 1).p99 == RoutingSimulator.run(scenario: flat, policy: .mesh(), seed: 1).p99)
    }
}
