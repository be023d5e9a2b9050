import Gossip
import GossipSimulation
import Testing

private let sec = GossipConfig.second

@Suite struct GossipSimulatorTests {
    func config(nodes: Int, loss: Double, seconds: Int64, seed: UInt64 = 1) -> SimulationConfig {
        var c = SimulationConfig()
        c.nodes = nodes
        c.loss = loss
        c.duration = seconds * sec
        c.seed = seed
        c.warmup = 3 * sec
        return c
    }

    @Test func crashIsDetectedEverywhereWithinBounds() {
        var c = config(nodes: 10, loss: 0.01, seconds: 25)
        c.crashes = [(node: 9, at: 5 * sec)]
        var sim = GossipSimulator(config: c)
        let r = sim.run()
        let t = r.crashDeclaredDeadEverywhere["node-9"] ?? nil
        #expect(t != nil)
        // Floor: suspicion min 4 s (n = 10); target: within 10 s.
        #expect((t ?? 0) >= 4.0)
        #expect((t ?? 99) <= 10.0)
        #expect(r.falseDeaths == 0)
        // Every live node ends with the 9 live members alive.
        for i in 0..<9 { #expect(r.finalAliveViews[i] == 9) }
    }

    @Test func noFalseDeathsAtFivePercentLoss() {
        let c = config(nodes: 10, loss: 0.05, seconds: 30, seed: 3)
        var sim = GossipSimulator(config: c)
        let r = sim.run()
        #expect(r.falseDeaths == 0)
        #expect(r.finalAliveViews.allSatisfy { $0 == 10 })
        #expect(r.bytesPerNodePerSecond > 0)
    }

    @Test func loadViewsAreFreshAtTenNodes() {
        let c = config(nodes: 10, loss: 0.01, seconds: 15)
        var sim = GossipSimulator(config: c)
        let r = sim.run()
        #expect(r.loadMissing == 0)
        #expect(r.loadAgeP99 > 0)
        #expect(r.loadAgeP99 <= 1.5)
        #expect(r.bytesPerNodePerSecond < 50 * 1024)
    }

    @Test func gracefulLeaveShowsLeftEverywhere() {
        var c = config(nodes: 6, loss: 0.0, seconds: 12)
        c.leaves = [(node: 5, at: 3 * sec)]
        var sim = GossipSimulator(config: c)
        let r = sim.run()
        #expect(r.leftSeenBy["node-5"] == 5)
        #expect(r.falseDeaths == 0)
        #expect(sim.view(of: 0).member(named: "node-5")?.serfStatus == "left")
    }

    @Test func joinViaPushPullConverges() {
        var c = config(nodes: 8, loss: 0.0, seconds: 10)
        c.startConverged = false
        var sim = GossipSimulator(config: c)
        let r = sim.run()
        #expect(r.finalAliveViews.allSatisfy { $0 == 8 })
        #expect(r.loadMissing == 0)
    }

    @Test func partitionHeals() {
        var c = config(nodes: 6, loss: 0.0, seconds: 80)
        c.partitions = [(side: [0, 1, 2], start: 2 * sec, end: 15 * sec)]
        var sim = GossipSimulator(config: c)
        let r = sim.run()
        // The partition really split the mesh...
        #expect(r.partitionDeaths > 0)
        // ...no node within a side was declared dead...
        #expect(r.falseDeaths == 0, "\(r.falseDeathEvents)")
        // ...and after healing everyone sees everyone alive again (refutation / push-pull).
        #expect(r.finalAliveViews.allSatisfy { $0 == 6 })
    }

    @Test func runsAreDeterministic() {
        var c = config(nodes: 12, loss: 0.02, seconds: 8, seed: 99)
        c.crashes = [(node: 3, at: 2 * sec)]
        var a = GossipSimulator(config: c), b = GossipSimulator(config: c)
        let ra = a.run(), rb = b.run()
        #expect(ra.events == rb.events)
        #expect(ra.bytesPerNodePerSecond == rb.bytesPerNodePerSecond)
        #expect(ra.loadAgeP99 == rb.loadAgeP99)
    }
}

@Suite struct SimulatorEntryPointTests {
    @Test func oneCallRunReportsCrashAndTraffic() {
        let r = GossipSimulator.run(nodes: 5, loss: 0.01, seconds: 14, seed: 5)
        #expect(r.nodes == 5)
        #expect((r.crashDeclaredDeadEverywhere["node-4"] ?? nil) != nil)
        #expect(r.bytesPerNodePerSecond > 100)
        #expect(r.description.contains("dead everywhere after"))
    }
}
