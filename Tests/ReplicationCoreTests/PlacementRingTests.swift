import Replication
import Testing


@Suite struct PlacementRingTests {
    let nodes = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"]
    let keys = (0..<3000).map { "sm1:key-\($0)" }

    @Test func preferenceListsAreDistinctAndDeterministic() {
        let a = PlacementRing(nodes: nodes), b = PlacementRing(nodes: nodes)
        for key in keys.prefix(500) {
            let list = a.preferenceList(for: key, count: 2)
            #expect(list.count == 2 && list[0] != list[1])
            #expect(list == b.preferenceList(for: key, count: 2))
        }
    }

    @Test func primariesAreSpreadEvenly() {
        let ring = PlacementRing(nodes: nodes)
        var counts = [0, 0, 0]
        for key in keys { counts[ring.preferenceList(for: key, count: 1)[0]] += 1 }
        for c in counts { #expect(c > 800 && c < 1200, "uneven spread \(counts)") }
    }

    @Test func aDeadNodeIsReplacedByTheNextLiveNodeOnTheRing() {
        let ring = PlacementRing(nodes: nodes)
        for key in keys.prefix(300) {
            let full = ring.preferenceList(for: key, count: 3)
            let dead = full[0]
            let withDead = ring.preferenceList(for: key, count: 2) { $0 != dead }
            #expect(withDead == [full[1], full[2]])
        }
        #expect(ring.preferenceList(for: "k", count: 2) { _ in false }.isEmpty)
    }

    @Test func removingANodeMovesOnlyItsKeys() {
        let before = PlacementRing(nodes: nodes + ["10.0.0.4:11211"])
        let after = PlacementRing(nodes: nodes)
        var moved = 0
        for key in keys {
            let p = before.preferenceList(for: key, count: 1)[0]
            if p != 3 {
                #expect(after.preferenceList(for: key, count: 1)[0] == p)
            } else { moved += 1 }
        }
        #expect(moved > 500 && moved < 1000)
    }
}
