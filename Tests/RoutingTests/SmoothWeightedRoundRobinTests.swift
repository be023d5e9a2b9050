import Testing
@testable import Routing
import SeededRandom

@Suite struct SmoothWeightedRoundRobinTests {
    @Test func nginxSequenceFor511() {
        var p = SmoothWeightedRoundRobin()
        #expect(sequence(&p, peers([5, 1, 1]), count: 7) == "aabacaa")
        // And it repeats with period Σw = 7.
        #expect(sequence(&p, peers([5, 1, 1]), count: 14) == "aabacaaaabacaa")
    }

    @Test func exactProportionsOver100kPicks() {
        var p = SmoothWeightedRoundRobin()
        let got = shares(&p, peers([4, 2, 1]), picks: 70_000)
        let counts: [Int] = got.map { Int(($0 * 70_000).rounded()) }
        #expect(counts == [40_000, 20_000, 10_000])  // exact, not approximately
    }

    @Test func skipsUnroutablePeers() {
        var c = peers([5, 1, 1])
        c[1].healthy = false
        var p = SmoothWeightedRoundRobin()
        // {5, -, 1}: a a a c a a (period 6)
        #expect(sequence(&p, c, count: 6) == "aaacaa")
        c[0].weight = 0
        var q = SmoothWeightedRoundRobin()
        #expect(sequence(&q, c, count: 3) == "ccc")
        c[2].healthy = false
        var r = SmoothWeightedRoundRobin()
        #expect(sequence(&r, c, count: 1) == "-")
    }

    @Test func keepsStateAcrossMembershipChange() {
        var p = SmoothWeightedRoundRobin()
        var rng = SeededGenerator(seed: 1)
        var c = peers([1, 1])
        _ = p.pick(from: c, rng: &rng)  // a
        c.append(Peer(node: "c", weight: 1))
        var seen: [String] = []
        for _ in 0..<6 { seen.append(c[p.pick(from: c, rng: &rng)!].node) }
        #expect(seen.sorted() == ["a", "a", "b", "b", "c", "c"])
    }

    @Test func failureLowersEffectiveWeightThenRecovers() {
        var p = SmoothWeightedRoundRobin(maxFails: 1)
        var rng = SeededGenerator(seed: 1)
        let c = peers([5, 1, 1])
        _ = p.pick(from: c, rng: &rng)
        p.reportFailure(0, weight: 5)
        // Right after the failure a's effective weight is 0: the next picks go elsewhere.
        let next = c[p.pick(from: c, rng: &rng)!].node
        #expect(next != "a")
        // Effective weight recovers by one per pick, so over a long run the shares return to 5:1:1.
        let got = shares(&p, c, picks: 70_000)
        #expect(within(got, ratio([5, 1, 1])))
    }
}
