import Gossip
import GossipNIO
import Routing
import SeededRandom
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// Weights are pushed, not pulled: the engine computes one table per published mesh snapshot
/// (and again once it is `refreshInterval` old), and every consumer reads that table.
@Suite struct RoutingSnapshotTests {
    @Test func oneTablePerSnapshotUntilTheMeshChangesOrTheTableAges() throws {
        let clock = ManualClock(ms: Fixture.nowMs)
        let dir = FakeDirectory([Fixture.member("a", load: Fixture.load(rate: 300)), Fixture.member("b", load: Fixture.load(rate: 100))])
        let engine = RoutingEngine(localName: "a", directory: dir, now: { clock.seconds }, rng: SeededGenerator(seed: 1))
        let first = engine.table()
        // Later reads within the refresh interval, by any consumer, get the same table.
        clock.advance(ms: 400)
        _ = engine.route(policy: .roundRobin, key: nil, affinity: false)
        _ = engine.agentCheckLine(storeAvailable: true, draining: false)
        #expect(engine.table().computedAt == first.computedAt)
        #expect(engine.meshReport().computedAt == Int64(first.computedAt * 1000))
        // A new snapshot: a new table at once.
        dir.update("b") { $0.load = Fixture.load(rate: 300, ageMs: 100) }
        let second = engine.table()
        let b = try #require(second["b"])
        #expect(second.computedAt == clock.seconds && abs(b.weight - 1) < 1e-12)
        // The same snapshot, older than the refresh interval (slow start and expiry move with time): recomputed.
        clock.advance(ms: 1000)
        #expect(engine.table().computedAt == clock.seconds)
    }

    @Test func expiredReportsAreDroppedWhenTheTableIsComputed() throws {
        let clock = ManualClock(ms: Fixture.nowMs)
        let dir = FakeDirectory([Fixture.member("a", load: Fixture.load(ageMs: 500)), Fixture.member("b", load: Fixture.load(ageMs: 9000))])
        let engine = RoutingEngine(localName: "a", directory: dir, now: { clock.seconds }, loadExpiry: 10)
        #expect(engine.meshReport().members.map(\.state) == ["weighted", "weighted"])
        clock.advance(ms: 1500)  // b's report is now 10.5 s old
        let b = try #require(engine.meshReport().members.first { $0.name == "b" })
        #expect(b.load == nil && b.loadAge == nil && b.state == "unreported")
        #expect(engine.meshReport().members.first { $0.name == "a" }?.loadAge == 2)
    }

    @Test func theGossipDirectoryTurnsEachViewIntoASnapshot() throws {
        let directory = GossipDirectory(joinedWithoutSeeds: false)
        #expect(directory.snapshot.members.isEmpty && !directory.isJoined)
        var view = GossipView<HostLoad>()
        view.localName = "a"
        view.members = [
            GossipMember(name: "a", address: GossipAddress(ip: [10, 0, 0, 1], port: 7946), incarnation: 1, status: .alive,
                         meta: try SerfTags.encode(["role": "sessionmesh", "app": "10.0.0.1:80"]), vsn: VersionVector([1, 5, 2, 2, 5, 4]),
                         stateChange: 0),
            GossipMember(name: "b", address: GossipAddress(ip: [10, 0, 0, 2], port: 7946), incarnation: 4, status: .suspect,
                         meta: nil, vsn: VersionVector([1, 5, 2, 2, 5, 4]), stateChange: 0),
        ]
        view.loads = ["a": Fixture.load(rate: 50)]
        view.version = 1
        view.membersVersion = 1
        view.joined = true
        directory.publish(view)
        let s1 = directory.snapshot
        #expect(s1.version == 1 && s1.isJoined && s1.members.map(\.name) == ["a", "b"])
        #expect(s1.members[0].isLocal && s1.members[0].appAddress == "10.0.0.1:80" && s1.members[0].address == "10.0.0.1:7946")
        #expect(s1.members[0].load == Fixture.load(rate: 50) && s1.members[1].load == nil)
        #expect(s1.members[1].status == .suspect && s1.members[1].incarnation == 4 && !s1.members[1].isLocal)
        // A load-only view: same members, new loads.
        view.version = 2
        view.loads["b"] = Fixture.load(rate: 70)
        directory.publish(view)
        let s2 = directory.snapshot
        #expect(s2.version == 2 && s2.members[1].load == Fixture.load(rate: 70) && s2.members[0].tags == s1.members[0].tags)
    }
}
