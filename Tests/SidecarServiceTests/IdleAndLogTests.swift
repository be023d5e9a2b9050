import Foundation
import Routing
import SessionCore
import SidecarAPI
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// The sidecar's side of issue 16: the own-utilization flag on the wire, the engine's memory of
/// idle members' capacity, and which member changes are logged at info.
@Suite struct IdleAndLogTests {
    @Test func theOwnUtilizationFlagRoundTripsAndOldDecodersSeeOnlyDraining() throws {
        var load = Fixture.load(rate: 80, cpu: 0.4)
        load.ownUtilization = true
        let bytes = LoadReportCodec.encode(load)
        #expect(bytes.count == LoadReportCodec.size && bytes.last == 2)
        let back = try #require(LoadReportCodec.decode(bytes))
        #expect(back.ownUtilization && !back.draining && back == load)
        load.draining = true
        #expect(LoadReportCodec.encode(load).last == 3)
        load.ownUtilization = false
        #expect(LoadReportCodec.encode(load).last == 1)
    }

    @Test func anAppThatSendsUtilizationIsMarkedAsReportingItsOwn() {
        let clock = ManualClock(ms: Fixture.nowMs)
        let monitor = LoadMonitor(counters: LoadCounters(alpha: 0.5), activity: SessionActivity(), wallClockMs: { clock.nowMs })
        monitor.sample()
        #expect(!monitor.latest.ownUtilization)
        monitor.recordAppLoad(AppLoad(inFlight: 1, latencyMs: 1, requestRate: 10, errorRate: 0))
        #expect(!monitor.latest.ownUtilization)
        monitor.recordAppLoad(AppLoad(inFlight: 1, latencyMs: 1, requestRate: 10, errorRate: 0, utilization: 0.5))
        #expect(monitor.latest.ownUtilization && monitor.latest.utilization == 0.5)
        clock.advance(ms: 3100)  // stale: back to the host CPU
        #expect(!monitor.latest.ownUtilization)
    }

    @Test func theEngineRemembersAnIdleMembersCapacity() throws {
        // a, b, c at 400, 200 and 100 req/s of capacity; then c goes idle (rate 0.4/s at 1 %).
        let dir = FakeDirectory([
            Fixture.member("a", load: Fixture.load(rate: 200, cpu: 0.5)), Fixture.member("b", load: Fixture.load(rate: 100, cpu: 0.5)),
            Fixture.member("c", load: Fixture.load(rate: 50, cpu: 0.5)),
        ])
        let engine = Fixture.engine("a", dir)
        #expect(abs(try #require(engine.table()["c"]).weight - 3.0 / 7) < 1e-12)
        dir.update("c") { $0.load = Fixture.load(rate: 0.4, cpu: 0.01, ageMs: 100) }
        let idle = try #require(engine.table()["c"])
        // 0.5 s after its last estimate (its report of age 0.5 s): 300 + (100 − 300)·e^(−0.5/60) ≈ 101.7 req/s.
        let raw = 300 - 200 * Foundation.exp(-0.5 / 60)
        #expect(idle.state == .idle && abs(idle.weight - 3 * raw / (600 + raw)) < 1e-12)
        // Without memory (a fresh engine) the idle member gets the mean, never 0.4/0.05.
        let fresh = try #require(Fixture.engine("b", dir).table()["c"])
        #expect(fresh.state == .unknown && abs(fresh.weight - 1) < 1e-12)
        // /v1/mesh shows the state.
        #expect(engine.meshReport().members.first { $0.name == "c" }?.state == "idle")
    }

    @Test func onlyRealMemberChangesAreSignificant() {
        var log = MemberChangeLog()
        let tags = ["role": "sessionmesh", "app": "127.0.0.1:8080", "load": "if=0 lat=0.0ms s=0 cpu=1% err=0%"]
        var refreshed = tags
        refreshed["load"] = "if=3 lat=1.2ms s=4 cpu=9% err=0%"
        var moved = refreshed
        moved["app"] = "127.0.0.1:9090"
        let steps: [(String, String, String, [String: String]?, Bool, Bool)] = [
            ("a", "alive", "127.0.0.1:7946", tags, false, true),  // new
            ("a", "alive", "127.0.0.1:7946", refreshed, false, false),  // the periodic Meta refresh: only `load` changed
            ("a", "alive", "127.0.0.1:7946", refreshed, false, false),
            ("a", "suspect", "127.0.0.1:7946", refreshed, false, true),
            ("a", "alive", "127.0.0.1:7946", refreshed, false, true),
            ("a", "alive", "127.0.0.2:7946", refreshed, false, true),  // address
            ("a", "alive", "127.0.0.2:7946", moved, false, true),  // a tag that matters
            ("b", "alive", "127.0.0.3:7946", nil, false, true),
            ("a", "left", "127.0.0.2:7946", moved, true, true),  // gone: forgotten
            ("a", "alive", "127.0.0.2:7946", moved, false, true),  // so its return is a change
        ]
        var got: [Bool] = []
        for (name, status, address, tags, gone, _) in steps {
            got.append(log.record(name: name, status: status, address: address, tags: tags, gone: gone))
        }
        #expect(got == steps.map(\.5))
    }
}
