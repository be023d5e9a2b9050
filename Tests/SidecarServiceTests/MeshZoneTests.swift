import Routing
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// `/v1/mesh` groups members by their `zone` tag with T̄, S̄ and the weight share per zone.
struct MeshZoneTests {
    static func member(_ name: String, zone: String?, latencyMs: Double, sessions: Int) -> MeshMember {
        var m = Fixture.member(name, load: Fixture.load(latencyMs: latencyMs, sessions: sessions))
        if let zone { m.tags["zone"] = zone }
        return m
    }

    @Test func membersAreGroupedByZoneWithTheirOwnMeans() {
        let members = [
            Self.member("a", zone: "de", latencyMs: 10, sessions: 10),
            Self.member("b", zone: "de", latencyMs: 30, sessions: 30),
            Self.member("c", zone: "fr", latencyMs: 20, sessions: 50),
            Self.member("d", zone: nil, latencyMs: 40, sessions: 70),
        ]
        let engine = Fixture.engine("a", FakeDirectory(members))
        let report = engine.meshReport()
        let zones = try! #require(report.zones)
        #expect(zones.map(\.zone) == ["", "de", "fr"])
        let de = zones[1], fr = zones[2], none = zones[0]
        #expect(de.members == ["a", "b"] && fr.members == ["c"] && none.members == ["d"])
        #expect(abs(de.meanResponseTimeMs - 20) < 1e-9 && de.responseTimeCount == 2)
        #expect(abs(de.meanSessions - 20) < 1e-9 && de.sessionsCount == 2)
        #expect(abs(fr.meanResponseTimeMs - 20) < 1e-9 && abs(fr.meanSessions - 50) < 1e-9)
        // Equal loads → equal weights: de holds 2 of 4 members' weight.
        let weights = Dictionary(uniqueKeysWithValues: report.members.map { ($0.name, $0.weight) })
        let total = weights.values.reduce(0, +)
        #expect(abs(de.weightShare - (weights["a"]! + weights["b"]!) / total) < 1e-9)
        #expect(abs(zones.map(\.weightShare).reduce(0, +) - 1) < 1e-9)
    }

    @Test func aMeshWithoutZonesIsOneGroup() {
        let engine = Fixture.engine("a", FakeDirectory([Self.member("a", zone: nil, latencyMs: 10, sessions: 1)]))
        #expect(engine.meshReport().zones?.map(\.zone) == [""])
    }
}
