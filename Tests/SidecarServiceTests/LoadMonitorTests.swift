import Foundation
import SessionCore
import SidecarAPI
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

@Suite struct LoadMonitorTests {
    @Test func cpuUsageFromProcStat() throws {
        let a = try #require(CPUUsage(procStat: "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n"))
        let b = try #require(CPUUsage(procStat: "cpu  200 0 200 800 100 0 0 0 0 0\n"))
        #expect(a.total == 1000 && a.idle == 800)
        #expect(abs(b.utilisation(since: a) - 2.0 / 3.0) < 1e-9)
        #expect(CPUUsage(procStat: "garbage") == nil)
        #expect(CPUUsage(procStat: try String(contentsOfFile: "/proc/stat", encoding: .utf8)) != nil)
    }

    @Test func samplesInFlightLatencySessionsAndErrors() {
        let counters = LoadCounters(alpha: 0.5)
        let activity = SessionActivity(windowMs: 60_000)
        let monitor = LoadMonitor(counters: counters, activity: activity)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for _ in 0..<3 { activity.touch(SessionID.random(), now: now) }
        counters.begin(); counters.end(latencyMs: 10, isError: false)
        counters.begin(); counters.end(latencyMs: 20, isError: true)
        counters.begin()
        monitor.sample()
        let load = monitor.latest
        #expect(load.inFlight == 1)
        #expect(load.latencyMs == 15)
        #expect(load.sessions == 3)
        #expect(load.errorRate == 0.5)
        #expect(load.timestamp >= Double(now) / 1000)
        activity.touch(SessionID.random(), now: now - 120_000)
        #expect(activity.activeCount(now: now) == 3)
    }
}
