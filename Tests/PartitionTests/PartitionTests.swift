import Foundation
import NIOHTTP1
import SessionMeshClient
import Synchronization
import Testing
import TestSupport

/// Three hosts as network namespaces on one bridge, each with its memcached and sidecar (every
/// sidecar lists all three memcached nodes, replicas 2, write quorum 2). A workload writes through
/// every host while faults come and go:
///   1. host h0 cut off both ways (its bridge port down) for `cutSeconds`;
///   2. h0 cut one way (nft drops what it receives; it still sends), when nft works here;
///   3. h0 cut off and h1's memcached frozen (SIGSTOP) at the same time.
/// Every acknowledged write and logout is recorded; afterwards every host must return every
/// acknowledged write (nothing lost), 404 for every acknowledged logout (nothing resurrected), and
/// no answer for a live session may have been a 404 (503 is the honest answer). h0 must read
/// unready for the whole cut, the other hosts must see it not alive, and the mesh must converge
/// after each heal within `convergenceBound`.
@Suite(.serialized, .timeLimit(.minutes(3)),
       .enabled(if: NetnsBed.unavailableReason == nil, Comment(rawValue: NetnsBed.unavailableReason ?? "")))
struct PartitionTests {
    static let cutSeconds = 10.0
    /// After a heal: every host sees every member alive and reads ready within this bound
    /// (gossip rejoin within ~1-5 s plus `--ready-hold-ms`).
    static let convergenceBound = 15.0
    /// How long a freshly cut host may still read ready before its first probe or request fails.
    static let detectionBound = 2.5

    @Test func partitionsAreAnsweredHonestly() async throws {
        let bed = try NetnsBed(hosts: 3, sidecarArgs: [
            "--poll-timeout-ms", "200", "--connect-timeout-ms", "200", "--retry-interval-ms", "500",
            "--operation-budget-ms", "1000", "--ready-hold-ms", "2000",
        ])
        defer { bed.shutdown() }
        let clients = bed.hosts.map { SessionMeshClient(socketPath: $0.socket, maxConnections: 8, timeout: .seconds(4)) }
        let run = PartitionRun(bed: bed, clients: clients)

        let start = Date()
        #expect(await run.waitConverged(bound: 30) != nil, "the mesh did not form: \(bed.hosts.map(\.sidecar.log))")
        print("partition: mesh formed in \(fmt(Date().timeIntervalSince(start))) s")

        // Baseline: sessions for the patch workload, and sessions that will be logged out.
        try await run.createBaseline(patchPool: 24, logoutPool: 24)
        let workload = run.startWorkload()

        // 1. h0 cut off both ways.
        try await run.fault("two-way cut of h0", unreadyHost: 0, logouts: 8, seconds: Self.cutSeconds,
                            apply: { try bed.cut(0) }, heal: { try bed.cut(0, false) })

        // 2. One-way cut (h0 hears nothing, still sends), where nft is usable.
        if let reason = bed.oneWayUnavailableReason {
            print("partition: one-way cut SKIPPED: \(reason)")
        } else {
            try await run.fault("one-way cut of h0 (inbound dropped)", unreadyHost: 0, logouts: 8, seconds: 7,
                                apply: { try bed.blockInbound(0) }, heal: { try bed.blockInbound(0, false) })
        }

        // 3. h0 cut off and h1's memcached frozen: h1 and h2 see one live node of three.
        try await run.fault("two-way cut of h0 + h1's memcached frozen", unreadyHost: 0, logouts: 8, seconds: 6,
                            apply: { try bed.cut(0); bed.freezeMemcached(1) },
                            heal: { bed.resumeMemcached(1); try bed.cut(0, false) })

        await workload.stop()
        try await run.verifyEverything()
        let ledger = run.ledger.withLock { $0 }
        print("partition: statuses by host: \(ledger.statusSummary)")
        print("partition: total \(fmt(Date().timeIntervalSince(start))) s")
    }
}

func fmt(_ x: Double) -> String { String(format: "%.2f", x) }

/// What the workload was told: the last acknowledged value of each host's counter in each
/// session, acknowledged and uncertain logouts, and every answer that broke a rule.
struct Ledger: Sendable {
    /// Session id → field ("w0", "w1", …) → last acknowledged value.
    var acked: [String: [String: Int]] = [:]
    /// Session id → field → last value sent (acknowledged or not).
    var attempted: [String: [String: Int]] = [:]
    var patchPool: [String] = []
    var logoutPool: [String] = []
    var createdDuringFaults: [String] = []
    var loggedOut: Set<String> = []
    /// Logouts answered 503: maybe applied, maybe not; not checked either way.
    var uncertain: Set<String> = []
    var violations: [String] = []
    var statuses: [String: [Int: Int]] = [:]
    /// Session id → version the last acknowledged PATCH returned.
    var ackedVersion: [String: UInt64] = [:]
    /// The fault under way ("" between faults), for the violation messages.
    var phase = "baseline"

    mutating func count(_ host: Int, _ status: Int) { statuses["h\(host)", default: [:]][status, default: 0] += 1 }

    var statusSummary: String {
        statuses.keys.sorted().map { h in "\(h) " + statuses[h]!.keys.sorted().map { "\($0)×\(statuses[h]![$0]!)" }.joined(separator: " ") }
            .joined(separator: "; ")
    }
}

/// The workload, the fault driver and the checks, over one bed.
final class PartitionRun: Sendable {
    let bed: NetnsBed
    let clients: [SessionMeshClient]
    let ledger = Mutex(Ledger())

    init(bed: NetnsBed, clients: [SessionMeshClient]) {
        self.bed = bed
        self.clients = clients
    }

    // MARK: Observations

    /// HTTP status of one call, -1 on a transport error or timeout.
    func status(_ host: Int, _ method: HTTPMethod, _ path: String, json: String? = nil, contentType: String = "application/json") async -> (Int, [UInt8]) {
        let headers = json == nil ? [] : [("Content-Type", contentType)]
        guard let r = try? await clients[host].send(method, path, headers: headers, body: json.map { Array($0.utf8) }) else { return (-1, []) }
        return (r.status, r.body)
    }

    func isReady(_ host: Int) async -> Bool? {
        let (s, _) = await status(host, .GET, "/readyz")
        return s == 200 ? true : s == 503 ? false : nil
    }

    /// Status of `member` as `host` sees it in /v1/mesh (nil if absent or the call failed).
    func memberStatus(_ host: Int, _ member: String) async -> String? {
        guard let mesh = try? await clients[host].mesh(), let members = mesh["members"] as? [[String: Any]] else { return nil }
        return members.first { $0["name"] as? String == member }?["status"] as? String
    }

    /// Waits until every host sees every member alive and reads ready; returns the time it took.
    func waitConverged(bound: Double) async -> Double? {
        let t0 = Date()
        let names = bed.hosts.map(\.name)
        let ok = await eventually(seconds: bound, every: .milliseconds(100)) {
            for h in self.clients.indices {
                guard await self.isReady(h) == true else { return false }
                for n in names {
                    if await self.memberStatus(h, n) != "alive" { return false }
                }
            }
            return true
        }
        return ok ? Date().timeIntervalSince(t0) : nil
    }

    // MARK: Workload

    func createBaseline(patchPool: Int, logoutPool: Int) async throws {
        var patch = [String](), logout = [String]()
        for i in 0..<(patchPool + logoutPool) {
            let host = i % clients.count
            let (s, body) = await status(host, .POST, "/v1/sessions", json: #"{"data":{"user":"u\#(i)"}}"#)
            try #require(s == 201, "baseline create through h\(host) answered \(s)")
            let id = try #require(Self.id(body))
            if i < patchPool { patch.append(id) } else { logout.append(id) }
        }
        ledger.withLock { $0.patchPool = patch; $0.logoutPool = logout }
    }

    static func id(_ body: [UInt8]) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["id"] as? String
    }

    static func version(_ body: [UInt8]) -> UInt64? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["version"].flatMap { ($0 as? NSNumber)?.uint64Value }
    }

    static func data(_ body: [UInt8]) -> [String: Any]? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["data"] as? [String: Any]
    }

    final class Workload: Sendable {
        let stopFlag = Atomic<Bool>(false)
        let tasks: Mutex<[Task<Void, Never>]> = Mutex([])
        func stop() async {
            stopFlag.store(true, ordering: .relaxed)
            for t in tasks.withLock({ $0 }) { await t.value }
        }
    }

    /// One writer per host: merge-patches its own counter field (`w<host>`) into random sessions
    /// of the patch pool and reads back what it wrote, until stopped.
    func startWorkload() -> Workload {
        let w = Workload()
        let pool = ledger.withLock { $0.patchPool }
        for h in clients.indices {
            let t = Task {
                var k = 0
                while !w.stopFlag.load(ordering: .relaxed) {
                    k += 1
                    let id = pool.randomElement()!
                    let field = "w\(h)"
                    ledger.withLock { $0.attempted[id, default: [:]][field] = k }
                    let (s, patched) = await status(h, .PATCH, "/v1/sessions/\(id)", json: #"{"\#(field)":\#(k)}"#,
                                                    contentType: "application/merge-patch+json")
                    ledger.withLock { l in
                        l.count(h, s)
                        switch s {
                        case 200:
                            l.acked[id, default: [:]][field] = k
                            if let v = Self.version(patched) { l.ackedVersion[id] = max(l.ackedVersion[id] ?? 0, v) }
                        case 503, -1: break
                        case 404: l.violations.append("false 404: PATCH \(id.prefix(8)) through h\(h) (live session)")
                        default: l.violations.append("PATCH \(id.prefix(8)) through h\(h) answered \(s)")
                        }
                    }
                    // Read it back through the same host: never a 404, never older than acknowledged.
                    let (before, beforeVersion) = ledger.withLock { ($0.acked[id]?[field], $0.ackedVersion[id]) }
                    let (g, body) = await status(h, .GET, "/v1/sessions/\(id)")
                    ledger.withLock { l in
                        l.count(h, g)
                        switch g {
                        case 200:
                            let seen = Self.data(body)?[field] as? Int
                            if let before, (seen ?? -1) < before {
                                l.violations.append("[\(l.phase)] acknowledged write missing: GET \(id.prefix(8)) through h\(h) shows \(field)=\(seen.map(String.init) ?? "nil") < acknowledged \(before), at version \(Self.version(body).map(String.init) ?? "?") (acknowledged PATCHes reached version \(beforeVersion.map(String.init) ?? "?"))")
                            }
                        case 503, -1: break
                        case 404: l.violations.append("false 404: GET \(id.prefix(8)) through h\(h) (live session)")
                        default: l.violations.append("GET \(id.prefix(8)) through h\(h) answered \(g)")
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            w.tasks.withLock { $0.append(t) }
        }
        return w
    }

    /// Logs out `count` sessions of the logout pool through random hosts (the cut one included) and
    /// creates as many new sessions; spread over `seconds`.
    func logoutsAndCreates(count: Int, seconds: Double) async {
        let ids = ledger.withLock { l -> [String] in
            let left = l.logoutPool.filter { !l.loggedOut.contains($0) && !l.uncertain.contains($0) }
            return Array(left.prefix(count))
        }
        guard !ids.isEmpty else { return }
        let gap = seconds / Double(ids.count)
        for (n, id) in ids.enumerated() {
            let h = n % clients.count
            let (s, _) = await status(h, .DELETE, "/v1/sessions/\(id)")
            ledger.withLock { l in
                l.count(h, s)
                switch s {
                case 204: l.loggedOut.insert(id)
                case 503, -1: l.uncertain.insert(id)
                case 404: l.violations.append("false 404: DELETE \(id.prefix(8)) through h\(h) (live session)"); l.uncertain.insert(id)
                default: l.violations.append("DELETE \(id.prefix(8)) through h\(h) answered \(s)"); l.uncertain.insert(id)
                }
            }
            let (c, body) = await status(h, .POST, "/v1/sessions", json: #"{"data":{"user":"during-fault"}}"#)
            ledger.withLock { l in
                l.count(h, c)
                if c == 201, let id = Self.id(body) { l.createdDuringFaults.append(id) }
                else if c != 503 && c != -1 { l.violations.append("POST through h\(h) answered \(c)") }
            }
            try? await Task.sleep(for: .seconds(gap))
        }
    }

    // MARK: Faults

    /// Applies a fault for `seconds` while sampling `unreadyHost`'s /readyz and how the others see
    /// it, heals it and waits for the mesh to converge. Records every breach as a test issue.
    func fault(_ name: String, unreadyHost u: Int, logouts: Int, seconds: Double,
               apply: () throws -> Void, heal: () throws -> Void) async throws {
        let t0 = Date()
        ledger.withLock { $0.phase = name }
        defer { ledger.withLock { $0.phase = "after \(name)" } }
        try apply()
        let victim = bed.hosts[u].name
        let observers = clients.indices.filter { $0 != u }
        var firstUnready: Double?
        var readyAfterUnready = 0, samples = 0, unreadySamples = 0
        var firstNotAlive = [Int: Double](), firstSuspect = [Int: Double](), firstDead = [Int: Double]()
        let side = Task { await logoutsAndCreates(count: logouts, seconds: seconds * 0.8) }
        while Date().timeIntervalSince(t0) < seconds {
            let t = Date().timeIntervalSince(t0)
            let ready = await isReady(u)
            samples += 1
            if ready == false {
                unreadySamples += 1
                if firstUnready == nil { firstUnready = t }
            } else if firstUnready != nil {
                readyAfterUnready += 1
            }
            for o in observers {
                let s = await memberStatus(o, victim)
                if let s, s != "alive", firstNotAlive[o] == nil { firstNotAlive[o] = t }
                if s == "suspect", firstSuspect[o] == nil { firstSuspect[o] = t }
                if s == "dead" || s == "failed", firstDead[o] == nil { firstDead[o] = t }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await side.value
        try heal()
        ledger.withLock { $0.phase = "healing after \(name)" }
        let converged = await waitConverged(bound: PartitionTests.convergenceBound)

        let show = { (d: [Int: Double]) in observers.map { "h\($0): " + (d[$0].map { fmt($0) + " s" } ?? "never") }.joined(separator: ", ") }
        print("""
            partition: [\(name)] \(fmt(seconds)) s
              \(victim) unready after \(firstUnready.map { fmt($0) + " s" } ?? "never"); \(unreadySamples)/\(samples) samples unready, \
            \(readyAfterUnready) ready samples after the first unready
              others see \(victim) not alive after \(show(firstNotAlive)); suspect after \(show(firstSuspect)); dead after \(show(firstDead))
              converged \(converged.map { fmt($0) + " s" } ?? "NOT within \(PartitionTests.convergenceBound) s") after the heal \
            (bound \(PartitionTests.convergenceBound) s)
            """)
        #expect(firstUnready != nil && firstUnready! <= PartitionTests.detectionBound,
                "[\(name)] \(victim) read unready only after \(firstUnready.map(fmt) ?? "never") s (bound \(PartitionTests.detectionBound) s)")
        #expect(readyAfterUnready == 0, "[\(name)] \(victim) read ready \(readyAfterUnready) times during the cut after going unready")
        for o in observers {
            #expect(firstNotAlive[o] != nil, "[\(name)] h\(o) never saw \(victim) as not alive")
        }
        #expect(converged != nil, "[\(name)] the mesh did not converge within \(PartitionTests.convergenceBound) s after the heal")
    }

    // MARK: Final checks

    /// Through every host: every acknowledged write is there, every acknowledged logout stays
    /// logged out, every session created during a fault exists; and no rule was broken on the way.
    func verifyEverything() async throws {
        let l = ledger.withLock { $0 }
        var lost = [String](), resurrected = [String](), missing = [String](), unavailable = 0
        for h in clients.indices {
            for id in l.patchPool {
                let (s, body) = await retried(h, id)
                guard s == 200, let data = Self.data(body) else {
                    if s == 503 || s == -1 { unavailable += 1 } else { lost.append("h\(h) GET \(id.prefix(8)) → \(s)") }
                    continue
                }
                for (field, acked) in l.acked[id] ?? [:] {
                    let seen = data[field] as? Int ?? -1
                    let attempted = l.attempted[id]?[field] ?? acked
                    if seen < acked || seen > attempted { lost.append("h\(h) \(id.prefix(8)) \(field)=\(seen), acknowledged \(acked), last sent \(attempted)") }
                }
            }
            for id in l.loggedOut {
                let (s, _) = await retried(h, id)
                if s == 200 { resurrected.append("h\(h) \(id.prefix(8))") } else if s != 404 { unavailable += 1 }
            }
            for id in l.createdDuringFaults {
                let (s, _) = await retried(h, id)
                if s == 404 { missing.append("h\(h) \(id.prefix(8))") } else if s != 200 { unavailable += 1 }
            }
        }
        let acks = l.acked.values.reduce(0) { $0 + $1.count }
        print("""
            partition: checked through \(clients.count) hosts: \(l.patchPool.count) sessions with \(acks) acknowledged counters, \
            \(l.loggedOut.count) acknowledged logouts (\(l.uncertain.count) answered 503, not checked), \
            \(l.createdDuringFaults.count) sessions created during faults
              lost: \(lost.count), resurrected: \(resurrected.count), missing: \(missing.count), still unavailable: \(unavailable), \
            violations during the run: \(l.violations.count)
            """)
        for v in l.violations.prefix(20) { print("  violation: \(v)") }
        #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(10))")
        #expect(resurrected.isEmpty, "logouts resurrected: \(resurrected.prefix(10))")
        #expect(missing.isEmpty, "acknowledged creates missing: \(missing.prefix(10))")
        #expect(unavailable == 0, "\(unavailable) reads still unavailable after every heal")
        #expect(l.violations.isEmpty, "\(l.violations.count) rule breaches, first: \(l.violations.prefix(10))")
        #expect(l.loggedOut.count > 0, "no logout was acknowledged: the check would be empty")
    }

    /// GET through `host`, retried while it answers 503 (up to ~3 s).
    func retried(_ host: Int, _ id: String) async -> (Int, [UInt8]) {
        var last: (Int, [UInt8]) = (-1, [])
        for _ in 0..<15 {
            last = await status(host, .GET, "/v1/sessions/\(id)")
            if last.0 != 503 && last.0 != -1 { return last }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return last
    }
}
