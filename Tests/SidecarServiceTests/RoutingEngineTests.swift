import Foundation
import Routing
import SeededRandom
import SessionCore
import SidecarAPI
import Synchronization
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// An in-memory membership view: what the gossip mesh would publish. Every change publishes a
/// new snapshot (a new version), as the gossip shell does.
final class FakeDirectory: MeshDirectory {
    private let state: Mutex<MeshSnapshot>
    init(_ members: [MeshMember]) { state = Mutex(MeshSnapshot(version: 1, members: members, isJoined: true)) }
    var snapshot: MeshSnapshot { state.withLock { $0 } }
    func set(_ members: [MeshMember]) {
        state.withLock { $0 = MeshSnapshot(version: $0.version + 1, members: members, isJoined: true) }
    }
    func update(_ name: String, _ change: (inout MeshMember) -> Void) {
        state.withLock { s in
            var ms = s.members
            for i in ms.indices where ms[i].name == name { change(&ms[i]) }
            s = MeshSnapshot(version: s.version + 1, members: ms, isJoined: true)
        }
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let ms: Atomic<Int64>
    init(ms: Int64) { self.ms = Atomic(ms) }
    var nowMs: Int64 { ms.load(ordering: .relaxed) }
    var seconds: Double { Double(nowMs) / 1000 }
    func advance(ms delta: Int64) { ms.add(delta, ordering: .relaxed) }
}

enum Fixture {
    /// Wall time of the tests, seconds.
    static let now = 1_800_000_000.0
    static let nowMs = Int64(now * 1000)

    static func load(rate: Double = 100, cpu: Double = 0.5, latencyMs: Double = 10, sessions: Int = 10, inFlight: Int = 1,
                     errorRate: Double = 0, ageMs: Int64 = 500, startedSecondsAgo: Int64 = 3600, draining: Bool = false) -> HostLoad {
        HostLoad(inFlight: inFlight, latencyMs: latencyMs, sessions: sessions, utilization: cpu, errorRate: errorRate, requestRate: rate,
                 timestamp: HostLoad.seconds(milliseconds: nowMs - ageMs),
                 startedAt: HostLoad.seconds(milliseconds: nowMs - startedSecondsAgo * 1000), draining: draining)
    }

    static func member(_ name: String, _ status: MeshMember.Status = .alive, load: HostLoad? = Fixture.load(),
                       app: String? = nil, local: Bool = false) -> MeshMember {
        var tags = ["role": "sessionmesh"]
        if let app { tags["app"] = app }
        return MeshMember(name: name, address: "10.0.0.\(name.utf8.last! % 200):7946", status: status, incarnation: 3, tags: tags,
                          load: load, loadAge: load.map { now - $0.timestamp }, isLocal: local)
    }

    static func engine(_ local: String, _ directory: any MeshDirectory, seed: UInt64 = 1) -> RoutingEngine {
        RoutingEngine(localName: local, directory: directory, now: { Fixture.now }, rng: SeededGenerator(seed: seed))
    }
}

@Suite struct RoutingEngineTests {
    @Test func tableIsDeterministicAcrossEnginesAndArrivalOrder() {
        let members = [
            Fixture.member("a", load: Fixture.load(rate: 300)), Fixture.member("b", load: Fixture.load(rate: 100, errorRate: 0.1)),
            Fixture.member("c", load: Fixture.load(rate: 200, cpu: 0.9)), Fixture.member("d", load: nil),
        ]
        let one = Fixture.engine("a", FakeDirectory(members))
        let two = Fixture.engine("c", FakeDirectory(members.reversed()), seed: 99)
        let t1 = one.table()
        #expect(t1 == two.table())
        #expect(t1 == one.table())
        #expect(t1.entries.map(\.node) == ["a", "b", "c", "d"])
        #expect(t1.computedAt == Fixture.now)
    }

    @Test func theMembersLoadReachesTheWeightTableAsTheRoutingModuleExpects() throws {
        let load = Fixture.load(rate: 120, cpu: 0.4, latencyMs: 25, sessions: 7, inFlight: 3, errorRate: 0.05)
        #expect(load.timestamp == Fixture.now - 0.5 && load.startedAt == Fixture.now - 3600 && !load.draining)
        let table = RoutingEngine.table(
            members: [Fixture.member("a", load: load, app: "10.1.0.1:8080"), Fixture.member("b", load: nil)], now: Fixture.now)
        let a = try #require(table["a"])
        #expect(a.address == "10.1.0.1:8080" && a.state == .weighted && a.reportTimestamp == Fixture.now - 0.5)
        #expect(a.inFlight == 3 && a.latencyEWMA == 0.025 && a.sessions == 7 && a.utilization == 0.4)
        #expect(a.rawWeight == 120 / (0.4 + 0.05))
        // No load: a report-less entry (expired: mean weight, no signals).
        let b = try #require(table["b"])
        #expect(b.state == .expired && abs(b.weight - 1) < 1e-12 && b.inFlight == 0)
        #expect(b.reportTimestamp == -.infinity && b.address == "")
    }

    @Test func deadAndLeftMembersAreExcluded() {
        let dir = FakeDirectory([
            Fixture.member("a"), Fixture.member("b", .suspect), Fixture.member("c", .dead), Fixture.member("d", .left),
        ])
        let engine = Fixture.engine("a", dir)
        #expect(engine.table().entries.map(\.node) == ["a", "b"])
        for policy in RoutingPolicyKind.allCases {
            for _ in 0..<20 {
                let node = engine.route(policy: policy, key: nil, affinity: false)?.node
                #expect(node == "a", "policy \(policy.rawValue) chose \(node ?? "nil")")  // the suspect one only as a last resort
            }
        }
        let report = engine.meshReport()
        #expect(report.members.map(\.name) == ["a", "b", "c", "d"])
        #expect(report.members.map(\.state) == ["weighted", "weighted", "excluded", "excluded"])
        #expect(report.members[2].weight == 0 && report.members[3].weight == 0)
    }

    @Test func suspectMembersAreALastResort() {
        let dir = FakeDirectory([Fixture.member("a", .suspect), Fixture.member("b", .dead)])
        let engine = Fixture.engine("a", dir)
        #expect(engine.route(policy: .roundRobin, key: nil, affinity: false)?.node == "a")
        dir.set([Fixture.member("a", .dead), Fixture.member("b", .left)])
        #expect(engine.route(policy: .roundRobin, key: nil, affinity: false) == nil)
    }

    @Test func agentLineDrainDownAndUp() {
        let dir = FakeDirectory([Fixture.member("a", load: Fixture.load(rate: 300)), Fixture.member("b", load: Fixture.load(rate: 100))])
        let a = Fixture.engine("a", dir)
        let b = Fixture.engine("b", dir)
        // Raw weights 600 and 200 (rate / cpu), mean 400: 1.5 and 0.5.
        #expect(a.agentCheckLine(storeAvailable: true, draining: false) == "up 150%")
        #expect(b.agentCheckLine(storeAvailable: true, draining: false) == "up 50%")
        #expect(a.agentCheckLine(storeAvailable: true, draining: true) == "drain")
        #expect(a.agentCheckLine(storeAvailable: false, draining: true) == "drain")
        #expect(a.agentCheckLine(storeAvailable: false, draining: false) == "down#store unavailable")
        // Draining in its own report (e.g. seen through gossip) → drain as well.
        dir.update("a") { $0.load?.draining = true }
        #expect(a.agentCheckLine(storeAvailable: true, draining: false) == "drain")
        // Not in the view at all → down.
        let c = Fixture.engine("c", dir)
        #expect(c.agentCheckLine(storeAvailable: true, draining: false) == "down#unknown node")
    }

    @Test(arguments: [
        ([100.0, 200, 300], ["up 50%", "up 100%", "up 150%"]),
        ([100.0, 100, 100], ["up 100%", "up 100%", "up 100%"]),
        ([1000.0, 10, 10], ["up 250%", "up 25%", "up 25%"]),  // 1000 clamped to 10× the median, then normalised
        ([100_000.0, 10, 10], ["up 250%", "up 25%", "up 25%"]),
        ([1000.0, 1], ["up 199%", "up 1%"]),  // 1 clamped up to 0.01× the median (500.5): 5.005 → 1%
        ([1000.0] + Array(repeating: 10.0, count: 9), ["up 256%"] + Array(repeating: "up 53%", count: 9)),  // 100/19 → capped
    ])
    func agentLineFormatForSeveralWeights(rates: [Double], expected: [String]) {
        let names = rates.indices.map { "n\($0)" }
        let dir = FakeDirectory(zip(names, rates).map { Fixture.member($0, load: Fixture.load(rate: $1, cpu: 1)) })
        let table = Fixture.engine("n0", dir).table()
        for (i, name) in names.enumerated() {
            let line = Fixture.engine(name, dir).agentCheckLine(storeAvailable: true, draining: false)
            #expect(line == "up \(HAProxyAgentCheck.percentage(weight: table[name]!.weight))%")
            #expect(line.wholeMatch(of: /up [0-9]{1,3}%/) != nil)
            #expect(line == expected[i])
        }
    }

    @Test func percentageIsClampedForHAProxy() {
        #expect(HAProxyAgentCheck.percentage(weight: 3) == 256)
        #expect(HAProxyAgentCheck.percentage(weight: 0.001) == 1)
        #expect(HAProxyAgentCheck.percentage(weight: 1.234) == 123)
    }

    @Test func affinityKeepsAKeyOnOneMemberAcrossCallsAndSidecars() throws {
        let members = (1...5).map { Fixture.member("host\($0)", load: Fixture.load(rate: Double(50 * $0))) }
        let dir = FakeDirectory(members)
        let engines = (1...3).map { Fixture.engine("host\($0)", dir, seed: UInt64($0)) }
        var owners: [String: String] = [:]
        for k in 0..<40 {
            let key = "session-\(k)"
            let first = try #require(engines[0].route(policy: .meshWeighted, key: key, affinity: true))
            #expect(first.reason == "affinity")
            owners[key] = first.node
            for e in engines {
                for policy in [RoutingPolicyKind.meshWeighted, .roundRobin, .leastConnections] {
                    #expect(e.route(policy: policy, key: key, affinity: true)?.node == first.node)
                }
            }
        }
        #expect(Set(owners.values).count > 1)  // keys spread over members
        // Loads shift (weights change): owners do not move.
        for i in 1...5 { dir.update("host\(i)") { $0.load = Fixture.load(rate: Double(300 - 50 * i), ageMs: 100) } }
        for (key, owner) in owners { #expect(engines[1].route(policy: .meshWeighted, key: key, affinity: true)?.node == owner) }
        // One member dies: only its keys move.
        dir.update("host3") { $0.status = .dead }
        for (key, owner) in owners {
            let node = engines[2].route(policy: .meshWeighted, key: key, affinity: true)?.node
            if owner == "host3" { #expect(node != "host3" && node != nil) } else { #expect(node == owner) }
        }
        // Without affinity the key is ignored.
        let policyPick = try #require(engines[0].route(policy: .roundRobin, key: "session-1", affinity: false))
        #expect(policyPick.reason == "policy")
    }

    @Test func picksAreCountedUntilTheNextReport() {
        let dir = FakeDirectory([Fixture.member("a"), Fixture.member("b")])
        let engine = Fixture.engine("a", dir)
        for _ in 0..<10 { _ = engine.route(policy: .leastConnections, key: nil, affinity: false) }
        let counts = engine.localCounts(policy: .leastConnections)
        #expect(counts["a", default: 0] + counts["b", default: 0] == 10)
        #expect(counts["a"] == 5 && counts["b"] == 5)  // least connections balances its own picks
        // A fresh report from b already includes what was sent to it: b's count restarts.
        dir.update("b") { $0.load = Fixture.load(ageMs: 100) }
        _ = engine.route(policy: .leastConnections, key: nil, affinity: false)
        let after = engine.localCounts(policy: .leastConnections)
        #expect(after["a"] == 5 && after["b"] == 1)
        // Policies keep separate counts.
        #expect(engine.localCounts(policy: .roundRobin).isEmpty)
    }

    @Test func unreportedPeersRestartTheirCountEveryWindow() {
        let clock = ManualClock(ms: Fixture.nowMs)
        let dir = FakeDirectory([Fixture.member("a", load: nil)])
        let engine = RoutingEngine(localName: "a", directory: dir, now: { clock.seconds }, rng: SeededGenerator(seed: 3))
        for _ in 0..<4 { _ = engine.route(policy: .leastConnections, key: nil, affinity: false) }
        #expect(engine.localCounts(policy: .leastConnections)["a"] == 4)
        clock.advance(ms: 1500)
        _ = engine.route(policy: .leastConnections, key: nil, affinity: false)
        #expect(engine.localCounts(policy: .leastConnections)["a"] == 1)
    }

    @Test func routeReportsAppAddressWeightAndPolicy() throws {
        let dir = FakeDirectory([
            Fixture.member("a", load: Fixture.load(rate: 300), app: "10.1.0.1:8080"),
            Fixture.member("b", load: Fixture.load(rate: 100)),
        ])
        let engine = Fixture.engine("a", dir)
        var seen: [String: RouteDecision] = [:]
        for _ in 0..<4 {
            let d = try #require(engine.route(policy: .roundRobin, key: nil, affinity: false))
            seen[d.node] = d
        }
        let a = try #require(seen["a"]), b = try #require(seen["b"])
        #expect(a.appAddress == "10.1.0.1:8080" && abs(a.weight - 1.5) < 1e-12 && a.policy == "round-robin" && a.reason == "policy")
        #expect(b.appAddress == nil && abs(b.weight - 0.5) < 1e-12 && b.policy == "round-robin" && b.reason == "policy")
        let json = String(decoding: try JSONEncoder().encode(seen["b"]!), as: UTF8.self)
        #expect(json.contains(#""appAddress":null"#))
    }

    @Test func nothingRoutableWhenEveryMemberDrains() {
        let dir = FakeDirectory([Fixture.member("a", load: Fixture.load(draining: true)), Fixture.member("b", load: Fixture.load(draining: true))])
        let engine = Fixture.engine("a", dir)
        for policy in RoutingPolicyKind.allCases { #expect(engine.route(policy: policy, key: "k", affinity: true) == nil) }
    }

    @Test func meshPolicySpreadsLoadByWeight() throws {
        let dir = FakeDirectory([
            Fixture.member("a", load: Fixture.load(rate: 400, inFlight: 0)),
            Fixture.member("b", load: Fixture.load(rate: 100, inFlight: 0)),
        ])
        let engine = Fixture.engine("a", dir)
        var counts: [String: Int] = [:]
        for _ in 0..<1000 { counts[try #require(engine.route(policy: .meshWeighted, key: nil, affinity: false)).node, default: 0] += 1 }
        #expect(counts["a", default: 0] > counts["b", default: 0] * 2)
        #expect(counts["b", default: 0] > 0)
    }

    @Test func meshReportMeansEqualHandComputedValues() throws {
        let dir = FakeDirectory([
            Fixture.member("a", load: Fixture.load(cpu: 0.2, latencyMs: 10, sessions: 5), app: "10.1.0.1:8080", local: true),
            Fixture.member("b", load: Fixture.load(cpu: 0.4, latencyMs: 20, sessions: 10)),
            Fixture.member("c", load: Fixture.load(cpu: 0.6, latencyMs: 60, sessions: 30)),
            Fixture.member("d", load: nil),  // no report: not in the means
            Fixture.member("e", .dead, load: Fixture.load(latencyMs: 1000, sessions: 1000)),  // dead: not in the means
        ])
        let report = Fixture.engine("a", dir).meshReport()
        // T̄ = (10 + 20 + 60) / 3 = 30 ms; S̄ = (5 + 10 + 30) / 3 = 15.
        #expect(abs(report.meanResponseTimeMs - 30) < 1e-9)
        #expect(report.responseTimeCount == 3)
        #expect(report.meanSessions == 15)
        #expect(report.sessionsCount == 3)
        #expect(abs(report.meanUtilization - 0.4) < 1e-12)
        #expect(abs(report.imbalance.responseTime - 2) < 1e-9)  // 60 / 30
        #expect(report.imbalance.sessions == 2)  // 30 / 15
        #expect(abs(report.imbalance.utilization - 1.5) < 1e-12)  // 0.6 / 0.4
        #expect(report.computedAt == Fixture.nowMs)
        let a = report.members[0]
        #expect(a.isLocal && a.appAddress == "10.1.0.1:8080" && abs(a.responseTimeMs! - 10) < 1e-9 && a.sessions == 5 && a.load != nil)
        #expect(a.loadAge == 0.5 && a.incarnation == 3 && a.tags["role"] == "sessionmesh")
        #expect(report.members[3].state == "unreported" && report.members[3].responseTimeMs == nil)
        #expect(abs(report.members[3].weight - 1) < 1e-12)
        #expect(report.members[4].state == "excluded" && report.members[4].sessions == nil)
        // Same numbers as MeshMeans over the engine's table.
        let means = MeshMeans(table: Fixture.engine("a", dir).table())
        #expect(report.meanResponseTimeMs == means.meanResponseTime * 1000 && report.meanSessions == means.meanSessions)
        // Round trip through JSON.
        let decoded = try JSONDecoder().decode(MeshReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }

    @Test func nginxUpstreamNeedsAppAddresses() throws {
        let dir = FakeDirectory([Fixture.member("a", load: Fixture.load(rate: 300)), Fixture.member("b", load: Fixture.load(rate: 100))])
        let engine = Fixture.engine("a", dir)
        #expect(engine.nginxUpstream(name: "apps") == nil)
        dir.update("a") { $0.tags["app"] = "10.1.0.1:8080" }
        dir.update("b") { $0.tags["app"] = "10.1.0.2:8080" }
        let text = try #require(engine.nginxUpstream(name: "apps"))
        #expect(text.hasPrefix("upstream apps {\n"))
        #expect(text.contains("server 10.1.0.1:8080 weight=15;  # a\n"))
        #expect(text.contains("server 10.1.0.2:8080 weight=5;  # b\n"))
        dir.update("b") { $0.load?.draining = true }
        #expect(try #require(engine.nginxUpstream(name: "apps")).contains("server 10.1.0.2:8080 weight=1 down;  # b\n"))
    }
}

@Suite struct AppLoadMergeTests {
    static func monitor(_ clock: ManualClock, draining: Bool = false) -> (LoadMonitor, LoadCounters) {
        let counters = LoadCounters(alpha: 0.5)
        let monitor = LoadMonitor(counters: counters, activity: SessionActivity(), isDraining: { draining },
                                  wallClockMs: { clock.nowMs })
        return (monitor, counters)
    }

    @Test func freshAppLoadReplacesTheSidecarsRequestSignals() {
        let clock = ManualClock(ms: Fixture.nowMs)
        let (monitor, counters) = Self.monitor(clock, draining: true)
        counters.begin(); counters.end(latencyMs: 4, isError: false)
        counters.begin()
        monitor.sample()
        let own = monitor.latest
        #expect(own.inFlight == 1 && own.latencyMs == 4)

        monitor.recordAppLoad(AppLoad(inFlight: 42, latencyMs: 87.5, requestRate: 310, errorRate: 0.02))
        clock.advance(ms: 2900)
        let merged = monitor.latest
        #expect(merged.inFlight == 42 && merged.latencyMs == 87.5 && merged.requestRate == 310 && merged.errorRate == 0.02)
        // Kept from the sidecar.
        #expect(merged.sessions == own.sessions && merged.utilization == own.utilization && merged.startedAt == own.startedAt)
        #expect(merged.draining && merged.timestamp == own.timestamp)
        #expect(monitor.appLoad != nil)
        #expect(monitor.sidecarLoad == own)

        // Stale after 3 s: back to the sidecar's own values.
        clock.advance(ms: 200)
        #expect(monitor.latest == own)
        #expect(monitor.appLoad == nil)
    }

    @Test func theAppsUtilizationReplacesHostCPUOnlyWhenSent() throws {
        let clock = ManualClock(ms: Fixture.nowMs)
        let (monitor, _) = Self.monitor(clock)
        monitor.sample()
        let hostCPU = monitor.latest.utilization
        monitor.recordAppLoad(AppLoad(inFlight: 1, latencyMs: 1, requestRate: 1, errorRate: 0))
        #expect(monitor.latest.utilization == hostCPU)
        monitor.recordAppLoad(AppLoad(inFlight: 1, latencyMs: 1, requestRate: 1, errorRate: 0, utilization: 0.9))
        #expect(monitor.latest.utilization == 0.9)
        let parsed = try MeshAPI.parseAppLoad(Array(#"{"inFlight":1,"latencyMs":2,"requestRate":3,"errorRate":0,"utilization":0.25}"#.utf8))
        #expect(parsed.utilization == 0.25)
        #expect(throws: APIError.self) {
            try MeshAPI.parseAppLoad(Array(#"{"inFlight":1,"latencyMs":2,"requestRate":3,"errorRate":0,"utilization":1.5}"#.utf8))
        }
    }

    @Test func stalePushIsIgnoredAndANewPushWins() {
        let clock = ManualClock(ms: Fixture.nowMs)
        let (monitor, _) = Self.monitor(clock)
        monitor.sample()
        monitor.recordAppLoad(AppLoad(inFlight: 7, latencyMs: 1, requestRate: 1, errorRate: 0), receivedAtMs: Fixture.nowMs - 4000)
        #expect(monitor.latest.inFlight == 0)
        monitor.recordAppLoad(AppLoad(inFlight: 9, latencyMs: 1, requestRate: 1, errorRate: 0))
        #expect(monitor.latest.inFlight == 9)
    }

    @Test func engineRoutesOnTheMergedLoad() throws {
        let clock = ManualClock(ms: Fixture.nowMs)
        let (monitor, _) = Self.monitor(clock)
        monitor.sample()
        monitor.recordAppLoad(AppLoad(inFlight: 3, latencyMs: 120, requestRate: 50, errorRate: 0))
        let dir = LocalOnlyDirectory(name: "self", tags: ["app": "127.0.0.1:8080"], load: { monitor.latest })
        let engine = RoutingEngine(localName: "self", directory: dir, now: { clock.seconds })
        let entry = try #require(engine.table()["self"])
        #expect(entry.inFlight == 3 && entry.latencyEWMA == 0.12 && entry.address == "127.0.0.1:8080")
        #expect(abs(engine.meshReport().meanResponseTimeMs - 120) < 1e-9)
    }
}
