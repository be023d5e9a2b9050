import Testing
@testable import Routing

@Suite struct LoadAwarePolicyTests {
    /// Four equal hosts with in-flight 0, 1, 2, 3. Two distinct uniform draws out of four make
    /// six equally likely pairs; the less loaded of each pair wins: 3/6, 2/6, 1/6, 0.
    @Test func p2cDistributionMatchesPairCounting() {
        var c = peers([1, 1, 1, 1])
        for i in c.indices { c[i].localInFlight = i }
        var p = PowerOfTwoChoices(signal: .local)
        let got = shares(&p, c)
        #expect(within(got, ratio([3, 2, 1, 0])))
        #expect(got[3] == 0)
    }

    /// Envoy's three-host check, adapted to distinct draws: one busy host is never chosen, the
    /// two idle ones split evenly.
    @Test func p2cAvoidsTheBusyHost() {
        var c = peers([1, 1, 1])
        c[2].reportedInFlight = 1
        var p = PowerOfTwoChoices(signal: .gossip)
        let got = shares(&p, c)
        #expect(within(got, [0.5, 0.5, 0]))
    }

    @Test func p2cWithEqualLoadsIsUniform() {
        var p = PowerOfTwoChoices()
        let got = shares(&p, peers([1, 1, 1, 1, 1]))
        #expect(within(got, Array(repeating: 0.2, count: 5)))
    }

    @Test func p2cWithOnePeerAndNone() {
        var p = PowerOfTwoChoices()
        #expect(sequence(&p, peers([1]), count: 3) == "aaa")
        var c = peers([1, 1])
        c[0].healthy = false
        #expect(sequence(&p, c, count: 3) == "bbb")
        c[1].healthy = false
        #expect(sequence(&p, c, count: 1) == "-")
    }

    @Test func weightedP2CComparesPerUnitOfWeight() {
        var c = peers([4, 1])
        c[0].localInFlight = 3  // 3/4 per unit
        c[1].localInFlight = 1  // 1/1 per unit
        var p = PowerOfTwoChoices(signal: .local, weighted: true)
        #expect(sequence(&p, c, count: 5) == "aaaaa")
    }

    @Test func leastConnectionsPicksTheLeastLoadedPerWeight() {
        var c = peers([1, 1, 1])
        c[0].localInFlight = 5
        c[1].localInFlight = 2
        c[2].localInFlight = 3
        var p = LeastConnections(signal: .local, weighted: true)
        #expect(sequence(&p, c, count: 3) == "bbb")
        c[2].weight = 2  // 3/2 < 2/1
        #expect(sequence(&p, c, count: 3) == "ccc")
        var plain = LeastConnections(signal: .local, weighted: false)
        #expect(sequence(&plain, c, count: 3) == "bbb")
    }

    @Test func leastConnectionsSignals() {
        var c = peers([1, 1])
        c[0].reportedInFlight = 10  // gossip says a is busy…
        c[0].localInFlightAtReport = 0
        c[1].reportedInFlight = 0
        c[1].localInFlight = 4  // …but we sent four to b since the report
        var gossip = LeastConnections(signal: .gossip)
        var local = LeastConnections(signal: .local)
        var corrected = LeastConnections(signal: .corrected)
        #expect(sequence(&gossip, c, count: 1) == "b")
        #expect(sequence(&local, c, count: 1) == "a")
        #expect(c[0].estimatedInFlight == 10 && c[1].estimatedInFlight == 4)
        #expect(sequence(&corrected, c, count: 1) == "b")
    }

    @Test func leastConnectionsBreaksTiesUniformly() {
        var p = LeastConnections()
        let got = shares(&p, peers([1, 1, 1, 1]))
        #expect(within(got, [0.25, 0.25, 0.25, 0.25]))
    }

    @Test func leastResponseTimeUsesPeakEWMATimesPending() {
        var c = peers([1, 1, 1])
        c[0].localLatency.observe(0.100, at: 0)
        c[1].localLatency.observe(0.030, at: 0)
        c[2].localLatency.observe(0.050, at: 0)
        var p = LeastResponseTime()
        #expect(sequence(&p, c, count: 2) == "bb")
        c[1].localInFlight = 2  // 0.03 · 3 = 0.09 > 0.05
        #expect(sequence(&p, c, count: 2) == "cc")
        // A peer with no history but pending requests is penalised; one with neither is tried.
        c.append(Peer(node: "d", localInFlight: 1))
        #expect(sequence(&p, c, count: 1) == "c")
        c[3].localInFlight = 0
        #expect(sequence(&p, c, count: 1) == "d")
    }

    @Test func peakEWMAJumpsUpAndDecaysDown() {
        var e = PeakEWMA(tau: 10)
        e.observe(0.010, at: 0)
        #expect(e.cost == 0.010)
        e.observe(0.500, at: 1)  // a peak is taken at once
        #expect(e.cost == 0.500)
        e.observe(0.010, at: 11)  // one τ later: w = e^-1
        let w = 0.36787944117144233
        #expect(abs(e.cost - (0.5 * w + 0.010 * (1 - w))) < 1e-12)
        for t in stride(from: 12.0, through: 200, by: 1) { e.observe(0.010, at: t) }
        #expect(abs(e.cost - 0.010) < 1e-6)
    }

    @Test func meshWithOneChoiceIsWeightedRandom() {
        var p = MeshWeighted(choices: 1)
        let got = shares(&p, peers([4, 2, 1]))
        #expect(within(got, ratio([4, 2, 1])))
    }

    @Test func meshPrefersLessLoadedPerUnitWeight() {
        var c = peers([2, 2, 2])
        c[0].localInFlight = 8
        var p = MeshWeighted()
        let got = shares(&p, c)
        // a wins no pair (it is the most loaded), b and c split evenly.
        #expect(within(got, [0, 0.5, 0.5]))
    }

    /// Stale view: one of twelve equal hosts reports an empty queue, the others 10 each.
    /// Least connections on gossip sends *everything* to it until the next report (herding);
    /// the mesh policy gives it only the pairs it appears in: 1 − (11/12)(10/11) = 1/6.
    @Test func meshDoesNotHerdOnStaleData() {
        var c = peers(Array(repeating: 1, count: 12))
        for i in 1..<12 { c[i].reportedInFlight = 10 }
        var lc = LeastConnections(signal: .gossip)
        #expect(shares(&lc, c)[0] == 1)
        var mesh = MeshWeighted()
        let got = shares(&mesh, c)
        #expect(abs(got[0] - 1.0 / 6) <= 0.01)
    }

    @Test func meshExtrapolatesOwnChangeToAllRouters() {
        var p = Peer(node: "a", reportedInFlight: 10, localInFlight: 4, localInFlightAtReport: 2)
        #expect(p.extrapolatedInFlight(routers: 1) == 12)  // exact own correction
        #expect(p.extrapolatedInFlight(routers: 8) == 26)  // everyone added two
        p.localInFlight = 0  // ours finished: the others' probably did too
        #expect(p.extrapolatedInFlight(routers: 8) == 0)  // 10 − 16, floored at ours
        #expect(p.estimatedInFlight == 8)

        // Two equal hosts, both reported empty; we sent three to "a" since: with 8 routers
        // "a" now looks like 24 in flight and "b" wins every draw it is in.
        var c = peers([1, 1])
        c[0].localInFlight = 3
        var own = MeshWeighted(routers: 1)
        var mesh = MeshWeighted(routers: 8)
        #expect(sequence(&own, c, count: 3) == "bbb")
        c[1].localInFlight = 2
        c[1].reportedInFlight = 6
        // own-only: a = 3, b = 8 → a;  extrapolated: a = 24, b = 6 + 16 = 22 → b.
        #expect(sequence(&own, c, count: 3) == "aaa")
        #expect(sequence(&mesh, c, count: 3) == "bbb")
        #expect(RoutingPolicyKind.meshWeighted.makePolicy(routers: 8).kind == .meshWeighted)
    }

    @Test func meshSkipsDrainingAndUnhealthy() {
        var c = peers([1, 0, 1])
        c[2].healthy = false
        var p = MeshWeighted()
        #expect(sequence(&p, c, count: 4) == "aaaa")
    }
}
