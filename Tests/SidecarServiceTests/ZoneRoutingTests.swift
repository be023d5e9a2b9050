import Routing
import Testing
@testable import SidecarService

/// `/v1/route` follows Envoy's zone-aware rule when members carry a `zone` tag.
struct ZoneRoutingTests {
    static func member(_ name: String, _ zone: String, _ status: MeshMember.Status = .alive, draining: Bool = false) -> MeshMember {
        var m = Fixture.member(name, status, load: Fixture.load(draining: draining), local: name == "a")
        m.tags["zone"] = zone
        return m
    }

    static func shares(_ engine: RoutingEngine, zoneOf: [String: String], picks: Int = 20_000) -> [String: Double] {
        var count: [String: Int] = [:]
        for _ in 0..<picks {
            guard let node = engine.route(policy: .random, key: nil, affinity: false)?.node else { continue }
            count[zoneOf[node]!, default: 0] += 1
        }
        return count.mapValues { Double($0) / Double(picks) }
    }

    @Test func enoughLocalCapacityKeepsEveryRequestInTheZone() {
        // de: 2 of 6 routers and 2 of 6 equal weights → capacity share = traffic share → all local.
        let ms = [Self.member("a", "de"), Self.member("b", "de")] + ["c", "d", "e", "f"].map { Self.member($0, "fr") }
        let engine = Fixture.engine("a", FakeDirectory(ms))
        let s = Self.shares(engine, zoneOf: Dictionary(uniqueKeysWithValues: ms.map { ($0.name, $0.tags["zone"]!) }))
        #expect(s == ["de": 1])
    }

    @Test func shortLocalCapacitySpillsExactlyTheEnvoyShare() {
        // de: a, b, c route (traffic 3/5) but c drains (weight 0): capacity 2/4. de keeps
        // (1/2)/(3/5) = 5/6 of a's requests, fr takes 1/6.
        let ms = [Self.member("a", "de"), Self.member("b", "de"), Self.member("c", "de", draining: true),
                  Self.member("d", "fr"), Self.member("e", "fr")]
        let engine = Fixture.engine("a", FakeDirectory(ms))
        let plan = try! #require(ZonePlan(members: ms, table: engine.table(), localName: "a"))
        #expect(abs(plan.split["de"]! - 5.0 / 6) < 1e-12 && abs(plan.split["fr"]! - 1.0 / 6) < 1e-12)
        let s = Self.shares(engine, zoneOf: plan.zoneOf)
        #expect(abs(s["fr", default: 0] - 1.0 / 6) < 0.01, "\(s)")
    }

    @Test func noUsableLocalZoneSendsToTheOthersAndNoZonesMeansNoPlan() {
        let ms = [Self.member("a", "de", draining: true), Self.member("d", "fr"), Self.member("e", "es")]
        let engine = Fixture.engine("a", FakeDirectory(ms))
        let plan = try! #require(ZonePlan(members: ms, table: engine.table(), localName: "a"))
        #expect(plan.split["de"] == nil && abs(plan.split["fr"]! - 0.5) < 1e-12 && abs(plan.split["es"]! - 0.5) < 1e-12)
        let plain = [Fixture.member("a", local: true), Fixture.member("b")]
        #expect(ZonePlan(members: plain, table: Fixture.engine("a", FakeDirectory(plain)).table(), localName: "a") == nil)
    }
}
