import Routing
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
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

    static func withApp(_ m: MeshMember) -> MeshMember {
        var m = m
        m.tags["app"] = "10.1.0.\(m.name.utf8.last! % 200):8080"
        return m
    }

    @Test func nginxUpstreamKeepsEveryWeightInTheZoneThatHasEnoughCapacity() throws {
        // de 2 of 6 routers and 2 of 6 equal weights: a's split is de 1, so a and b share the
        // whole table (N = 6): 1 × 1/2 × 6 = 3 → weight=30; the fr members are down.
        let ms = ([Self.member("a", "de"), Self.member("b", "de")] + ["c", "d", "e", "f"].map { Self.member($0, "fr") }).map(Self.withApp)
        let text = try #require(Fixture.engine("a", FakeDirectory(ms)).nginxUpstream(name: "apps"))
        #expect(text.contains("server 10.1.0.97:8080 weight=30;  # a\n"), "\(text)")
        #expect(text.contains("server 10.1.0.98:8080 weight=30;  # b\n"))
        for (n, ip) in [("c", 99), ("d", 100), ("e", 101), ("f", 102)] {
            #expect(text.contains("server 10.1.0.\(ip):8080 weight=1 down;  # \(n)\n"), "\(text)")
        }
        // Rendered by d (fr, 4 of 6 both ways): fr keeps all, 1 × 1/4 × 6 = 1.5 → weight=15.
        let fromD = ms.map { m -> MeshMember in var m = m; m.isLocal = m.name == "d"; return m }
        let textD = try #require(Fixture.engine("d", FakeDirectory(fromD)).nginxUpstream(name: "apps"))
        #expect(textD.contains("server 10.1.0.100:8080 weight=15;  # d\n") && textD.contains("server 10.1.0.97:8080 weight=1 down;  # a\n"), "\(textD)")
    }

    @Test func nginxUpstreamSpillsExactlyTheEnvoyShare() throws {
        // de: a, b, c route (traffic 3/5), c drains: capacity 2/4 → split de 5/6, fr 1/6 (N = 4
        // weighted entries). a = 5/6 × 1/2 × 4 = 5/3 → weight=17; d = 1/6 × 1/2 × 4 = 1/3 → weight=3; c down.
        let ms = [Self.member("a", "de"), Self.member("b", "de"), Self.member("c", "de", draining: true),
                  Self.member("d", "fr"), Self.member("e", "fr")].map(Self.withApp)
        let engine = Fixture.engine("a", FakeDirectory(ms))
        let plan = try #require(ZonePlan(members: ms, table: engine.table(), localName: "a"))
        let w = Dictionary(uniqueKeysWithValues: plan.weighted(engine.table()).entries.map { ($0.node, $0.weight) })
        #expect(abs(w["a"]! - 5.0 / 3) < 1e-12 && abs(w["b"]! - 5.0 / 3) < 1e-12 && w["c"] == 0)
        #expect(abs(w["d"]! - 1.0 / 3) < 1e-12 && abs(w["e"]! - 1.0 / 3) < 1e-12)
        let text = try #require(engine.nginxUpstream(name: "apps"))
        #expect(text.contains("server 10.1.0.97:8080 weight=17;  # a\n") && text.contains("server 10.1.0.98:8080 weight=17;  # b\n"), "\(text)")
        #expect(text.contains("server 10.1.0.99:8080 weight=1 down;  # c\n"))
        #expect(text.contains("server 10.1.0.100:8080 weight=3;  # d\n") && text.contains("server 10.1.0.101:8080 weight=3;  # e\n"), "\(text)")
    }

    @Test func nginxUpstreamWithoutZonesIsUnchanged() throws {
        let ms = [Fixture.member("a", app: "10.1.0.1:8080", local: true), Fixture.member("b", app: "10.1.0.2:8080")]
        let text = try #require(Fixture.engine("a", FakeDirectory(ms)).nginxUpstream(name: "apps"))
        #expect(text.contains("weight=10;  # a\n") && text.contains("weight=10;  # b\n"), "\(text)")
    }

    @Test func agentAnswersWithItsShareOfTheAskingBalancersZone() {
        // As above: de {a, b, c draining}, fr {d, e}; N = 4.
        let ms = [Self.member("a", "de"), Self.member("b", "de"), Self.member("c", "de", draining: true),
                  Self.member("d", "fr"), Self.member("e", "fr")]
        let dir = FakeDirectory(ms)
        func line(_ node: String, _ zone: String?) -> String {
            Fixture.engine(node, dir).agentCheckLine(storeAvailable: true, draining: false, balancerZone: zone)
        }
        // A balancer in de: de keeps 5/6 → a = 5/6 × 1/2 × 4 = 1.667 → 167%; fr gets 1/6 → d = 1/3 → 33%.
        #expect(line("a", "de") == "up 167%")
        #expect(line("d", "de") == "up 33%")
        // A balancer in fr (traffic 2/5 ≤ capacity 1/2): all stays in fr → d = 1 × 1/2 × 4 → 200%; de weight 0.
        #expect(line("d", "fr") == "up 200%")
        #expect(line("a", "fr") == "up 0%")
        // Draining stays drain; an unknown zone (no sidecar there) or no zone is the zone-blind line.
        #expect(line("c", "de") == "drain")
        let blind = line("a", nil)
        #expect(blind.hasPrefix("up ") && blind != "up 0%")
        #expect(line("a", "es") == blind && line("d", "es") == line("d", nil))
    }

    @Test func agentZoneRequestParsesOnlyAZoneLine() {
        #expect(AgentZoneRequest.zone(in: "zone=de\n") == "de")
        #expect(AgentZoneRequest.zone(in: "  zone=eu-west-1\r\n") == "eu-west-1")
        #expect(AgentZoneRequest.zone(in: "zone=\n") == nil)
        #expect(AgentZoneRequest.zone(in: "hello\n") == nil)
        #expect(AgentZoneRequest.zone(in: "zone=a b\n") == nil)
        #expect(AgentZoneRequest.zone(in: "") == nil)
    }
}
