import Testing
@testable import Routing

@Suite struct BasicPolicyTests {
    @Test func roundRobinSequence() {
        var p = RoundRobin()
        #expect(sequence(&p, peers([1, 1, 1]), count: 7) == "abcabca")
    }

    @Test func roundRobinSkipsUnhealthyAndDraining() {
        var c = peers([1, 1, 1, 1])
        c[1].healthy = false
        c[3].weight = 0
        var p = RoundRobin()
        #expect(sequence(&p, c, count: 4) == "acac")
        var q = RoundRobin()
        #expect(sequence(&q, [], count: 1) == "-")
    }

    @Test func randomIsUniformWithinOnePercent() {
        var p = RandomChoice()
        let got = shares(&p, peers([1, 1, 1, 1, 1]))
        #expect(within(got, Array(repeating: 0.2, count: 5)))
    }

    @Test func randomNeverPicksUnroutable() {
        var c = peers([1, 1, 1, 1])
        c[0].healthy = false
        c[2].weight = 0
        var p = RandomChoice()
        let got = shares(&p, c)
        #expect(got[0] == 0 && got[2] == 0)
        #expect(within(got, [0, 0.5, 0, 0.5]))
    }

    @Test func weightedRandomFollowsWeightsWithinOnePercent() {
        var p = WeightedRandom()
        let got = shares(&p, peers([4, 2, 1]))
        #expect(within(got, ratio([4, 2, 1])))
        var q = WeightedRandom()
        let got2 = shares(&q, peers([10, 1, 1, 1, 1, 1, 0]))
        #expect(within(got2, ratio([10, 1, 1, 1, 1, 1, 0])))
        #expect(got2[6] == 0)
    }

    @Test func weightedRandomAdaptsWhenAWeightGrows() {
        var p = WeightedRandom()
        var c = peers([1, 1])
        _ = shares(&p, c, picks: 1000)
        c[1].weight = 3
        let got = shares(&p, c)
        #expect(within(got, [0.25, 0.75]))
    }

    @Test func policyKindsParse() {
        #expect(RoutingPolicyKind(parsing: "round-robin") == .roundRobin)
        #expect(RoutingPolicyKind(parsing: "RR") == .roundRobin)
        #expect(RoutingPolicyKind(parsing: "random") == .random)
        #expect(RoutingPolicyKind(parsing: "swrr") == .smoothWeightedRoundRobin)
        #expect(RoutingPolicyKind(parsing: "least_connections") == .leastConnections)
        #expect(RoutingPolicyKind(parsing: "least-response-time") == .leastResponseTime)
        #expect(RoutingPolicyKind(parsing: "p2c") == .powerOfTwoChoices)
        #expect(RoutingPolicyKind(parsing: "mesh") == .meshWeighted)
        #expect(RoutingPolicyKind(parsing: "bogus") == nil)
        for k in RoutingPolicyKind.allCases {
            #expect(RoutingPolicyKind(parsing: k.rawValue) == k)
            #expect(k.makePolicy().kind == k)
        }
    }
}
