import Testing
@testable import Routing

/// Envoy's zone-aware rule with exact shares.
struct ZoneSplitTests {
    static func close(_ a: [String: Double], _ b: [String: Double]) -> Bool {
        Set(a.keys) == Set(b.keys) && a.allSatisfy { abs($0.value - b[$0.key]!) < 1e-12 }
    }

    @Test func enoughLocalCapacityKeepsEverythingLocal() {
        let s = ZoneSplit.split(local: "de", traffic: ["de": 0.5, "fr": 0.5], capacity: ["de": 0.6, "fr": 0.4])
        #expect(s == ["de": 1])
        // Equal shares are enough too.
        #expect(ZoneSplit.split(local: "de", traffic: ["de": 1, "fr": 1], capacity: ["de": 3, "fr": 3]) == ["de": 1])
    }

    @Test func envoysExampleLeavesResidualCapacityZeroTenFive() {
        // Envoy's comment: local 40/40/20, upstream 25/50/25 → residual capacity 0/10/5.
        let traffic = ["a": 0.40, "b": 0.40, "c": 0.20], capacity = ["a": 0.25, "b": 0.50, "c": 0.25]
        let fromA = ZoneSplit.split(local: "a", traffic: traffic, capacity: capacity)
        // a keeps 25/40 = 0.625; the other 0.375 goes 10:5 to b and c.
        #expect(Self.close(fromA, ["a": 0.625, "b": 0.25, "c": 0.125]))
        // b and c have capacity ≥ traffic: they stay local.
        #expect(ZoneSplit.split(local: "b", traffic: traffic, capacity: capacity) == ["b": 1])
        #expect(ZoneSplit.split(local: "c", traffic: traffic, capacity: capacity) == ["c": 1])
        // What each zone then receives equals its capacity share: the rule balances per-host load.
        let intoB = traffic["a"]! * fromA["b"]! + traffic["b"]!
        let intoC = traffic["a"]! * fromA["c"]! + traffic["c"]!
        #expect(abs(intoB - 0.50) < 1e-12 && abs(intoC - 0.25) < 1e-12)
    }

    @Test func unhealthyLocalZoneSendsToEveryZoneByCapacity() {
        let s = ZoneSplit.split(local: "de", traffic: ["de": 0.5, "fr": 0.3, "es": 0.2], capacity: ["de": 0, "fr": 3, "es": 1])
        #expect(Self.close(s, ["fr": 0.75, "es": 0.25]))
        #expect(ZoneSplit.split(local: "de", traffic: ["de": 1], capacity: [:]).isEmpty)
    }

    @Test func sharesNeedNotBeNormalised() {
        // Two zones: 3 routers in de, 1 in fr; capacity (mesh weights) 1+1 in de, 2+2 in fr.
        let s = ZoneSplit.split(local: "de", traffic: ["de": 3, "fr": 1], capacity: ["de": 2, "fr": 4])
        // de: capacity 1/3 < traffic 3/4 → keeps (1/3)/(3/4) = 4/9, sends 5/9 to fr.
        #expect(Self.close(s, ["de": 4.0 / 9, "fr": 5.0 / 9]))
    }
}
