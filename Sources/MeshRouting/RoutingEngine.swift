import MeshMembers
import Foundation
import Routing
import Synchronization

/// The answer of `GET /v1/route` and `sessionmesh route`.
public struct RouteDecision: Codable, Sendable, Equatable {
    /// The chosen member's node name.
    public var node: String
    /// The app beside that member's sidecar (its `app` tag), or nil if it advertises none.
    public var appAddress: String?
    /// The member's mesh weight (mean 1 over routable members).
    public var weight: Double
    /// The policy's canonical name (`RoutingPolicyKind.rawValue`).
    public var policy: String
    /// `affinity` (the key's rendezvous owner) or `policy` (the policy chose).
    public var reason: String

    public init(node: String, appAddress: String?, weight: Double, policy: String, reason: String) {
        self.node = node
        self.appAddress = appAddress
        self.weight = weight
        self.policy = policy
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case node, appAddress, weight, policy, reason }

    /// `appAddress` is written as `null` when absent, so the shape is always the same.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(node, forKey: .node)
        try c.encode(appAddress, forKey: .appAddress)
        try c.encode(weight, forKey: .weight)
        try c.encode(policy, forKey: .policy)
        try c.encode(reason, forKey: .reason)
    }
}

/// The body of `GET /v1/mesh`: every member with its load and weight, plus the seed's means
/// T̄ = (1/N)·ΣTᵢ and S̄ = (1/M)·ΣSᵢ and the imbalance (max/mean).
public struct MeshReport: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var name: String
        /// Gossip address, `host:port`.
        public var address: String
        public var status: MeshMember.Status
        public var incarnation: UInt32
        public var tags: [String: String]
        public var isLocal: Bool
        /// The app beside that member's sidecar (tag `app`).
        public var appAddress: String?
        /// The member's latest load report as gossiped.
        public var load: HostLoad?
        /// Seconds since that report was taken.
        public var loadAge: Double?
        /// Mesh weight, mean 1 over routable members; 0 = send nothing (draining, dead, left).
        public var weight: Double
        /// Tᵢ: the member's response-time EWMA, ms; nil without a fresh report.
        public var responseTimeMs: Double?
        /// Sᵢ: sessions held; nil without a fresh report.
        public var sessions: Double?
        /// CPU (or app) utilization 0…1; nil without a fresh report.
        public var utilization: Double?
        /// The weight's state: `weighted`, `blackout`, `expired`, `unknown`, `idle`, `draining`
        /// (see `WeightTable.State`), `unreported` (alive, no load report yet) or `excluded`
        /// (dead or left: not routed to).
        public var state: String
    }

    public struct Imbalance: Codable, Sendable, Equatable {
        /// max/mean of Tᵢ; 1 = perfectly even, 0 = no data.
        public var responseTime: Double
        public var sessions: Double
        public var utilization: Double
    }

    public var members: [Member]
    /// T̄, ms, over the N members with a fresh report and Tᵢ > 0.
    public var meanResponseTimeMs: Double
    public var responseTimeCount: Int
    /// S̄ over the M members with a fresh report.
    public var meanSessions: Double
    public var sessionsCount: Int
    public var meanUtilization: Double
    public var imbalance: Imbalance
    /// When the weights were computed, ms since the epoch.
    public var computedAt: Int64
    /// Members grouped by their `zone` tag, with T̄ and S̄ per zone (nil from older sidecars).
    public var zones: [MeshZone]? = nil
}

/// Turns the mesh view (`MeshDirectory`) into routing: the shared weight table, `/v1/route`
/// decisions, the HAProxy agent line, the nginx upstream block and the `/v1/mesh` report.
///
/// The weight table is a pure function of the directory's snapshot and `now()`: every sidecar
/// with the same view computes the same weights. It is computed once per published snapshot
/// (`RoutingSnapshot`) and read by every consumer; since slow start, expiry and idle decay move
/// with time, a snapshot older than `refreshInterval` is recomputed at the next read. Members that are `alive` or `suspect` are in it
/// (suspicion is local to each peer, so it does not change the weight, which peers must agree
/// on; instead `route` prefers non-suspect members and picks a suspect one only when nothing
/// else is routable); `dead` and `left` members are not.
///
/// Per policy kind the engine keeps one `CandidateSet` and one `RouteSelector`. Each pick is
/// counted with `requestStarted`: the sidecar never learns when the app's request to the peer
/// finishes, so the local count means "requests this sidecar sent to the peer since the peer's
/// last report". The count restarts from zero when a fresh report for that peer arrives (the
/// report already includes what was sent before it) and, for peers with no report at all,
/// every `unreportedWindow` seconds; without the restart the count would only grow and the
/// load-aware policies would read it as ever more outstanding requests.
public final class RoutingEngine: Sendable {
    public let localName: String
    public let weights: WeightFunction
    /// How often the pick count of a peer without any load report restarts, seconds.
    public let unreportedWindow: Double
    /// Load reports older than this (seconds, by the sender's timestamp) are ignored.
    public let loadExpiry: Double
    /// The longest a computed table is reused for an unchanged snapshot, seconds.
    public let refreshInterval: Double
    private let directory: any MeshDirectory
    /// The table of the latest snapshot read.
    private let latest = Mutex<RoutingSnapshot?>(nil)
    private let now: @Sendable () -> Double
    private let state: Mutex<State>
    /// Capacity estimates remembered between tables (idle members keep theirs).
    private let memory = Mutex(CapacityMemory())

    private struct State {
        var rng: AnyRNG
        var policies: [RoutingPolicyKind: PolicyState] = [:]
    }

    /// - Parameters:
    ///   - now: wall-clock seconds since the epoch (the time base of the load reports).
    ///   - rng: randomness for the policies; `SystemRandomNumberGenerator` when nil (tests
    ///     inject a seeded one).
    public init(localName: String, directory: any MeshDirectory, weights: WeightFunction = WeightFunction(),
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                rng: (any RandomNumberGenerator & Sendable)? = nil, unreportedWindow: Double = 1,
                loadExpiry: Double = 10, refreshInterval: Double = 1) {
        self.localName = localName
        self.loadExpiry = loadExpiry
        self.refreshInterval = refreshInterval
        self.directory = directory
        self.weights = weights
        self.now = now
        self.unreportedWindow = unreportedWindow
        self.state = Mutex(State(rng: AnyRNG(base: rng ?? SystemRandomNumberGenerator())))
    }

    // MARK: Weight table

    /// The mesh weight table of the directory's latest snapshot.
    public func table() -> WeightTable {
        current().table
    }

    /// Members that take part in routing: SessionMesh sidecars (tag `role` = `sessionmesh`; this
    /// node is one by definition) that are alive or suspect. A plain serf agent, or any other
    /// member of a shared serf mesh, is never routed to.
    static func isRoutable(_ member: MeshMember) -> Bool {
        (member.status == .alive || member.status == .suspect) && (member.isLocal || member.tags["role"] == sidecarRole)
    }

    /// The `role` tag every sidecar advertises.
    public static let sidecarRole = "sessionmesh"

    /// The weight table of these members at `now` (pure), without memory of earlier reports.
    public static func table(members: [MeshMember], now: Double, weights: WeightFunction = WeightFunction()) -> WeightTable {
        var memory = CapacityMemory()
        return table(members: members, now: now, weights: weights, memory: &memory)
    }

    /// The weight table of these members at `now`, remembering capacity estimates in `memory`
    /// (an idle member keeps its last one; see `WeightFunction`).
    public static func table(members: [MeshMember], now: Double, weights: WeightFunction, memory: inout CapacityMemory) -> WeightTable {
        // A member without a load is in the view as `HostLoad.unreported` (expired: mean weight, no signals).
        let view = MeshView(now: now, reports: members.filter { isRoutable($0) }.map {
            LoadReport(node: $0.name, address: $0.appAddress ?? "", load: $0.load ?? .unreported)
        })
        return weights.table(for: view, memory: &memory)
    }

    /// The routing snapshot of the directory's latest mesh snapshot: the cached one while the
    /// mesh has not changed and it is younger than `refreshInterval`, else computed now (once:
    /// concurrent readers wait for the first one's result).
    func current() -> RoutingSnapshot {
        let mesh = directory.snapshot
        let t = now()
        let isFresh: (RoutingSnapshot) -> Bool = { s in
            s.version == mesh.version && t >= s.computedAt && t - s.computedAt < self.refreshInterval
        }
        if let s = latest.withLock({ $0 }), isFresh(s) { return s }
        return memory.withLock { memory in
            if let s = latest.withLock({ $0 }), isFresh(s) { return s }
            let s = RoutingSnapshot(mesh: mesh, now: t, loadExpiry: loadExpiry, localName: localName, weights: weights,
                                    memory: &memory)
            latest.withLock { $0 = s }
            return s
        }
    }

    // MARK: Route

    /// Chooses a member for one request, or nil if no member is routable. With `affinity` and a
    /// non-empty `key`, the key's rendezvous owner is chosen while it is routable.
    public func route(policy: RoutingPolicyKind, key: String?, affinity: Bool) -> RouteDecision? {
        let view = current()
        let (table, suspects, routers, t) = (view.table, view.suspects, view.routers, now())
        return state.withLock { s in
            var p = s.policies[policy] ?? PolicyState(kind: policy, routers: routers)
            p.update(table: table, version: view.version, computedAt: view.computedAt, suspects: suspects, routers: routers,
                     now: t, unreportedWindow: unreportedWindow)
            p.selector.affinity = affinity
            var picked: (index: Int, reason: RouteSelector.Reason)?
            // Zone-aware: draw the zone by Envoy's split, then pick among that zone's members
            // (keyed affinity keeps its owner wherever it is).
            if let plan = view.zonePlan, !(affinity && key?.isEmpty == false) {
                let zone = plan.zone(for: Double.random(in: 0..<1, using: &s.rng))
                let others = p.candidates.peers.indices.filter {
                    plan.zoneOf[p.candidates.peers[$0].node] != zone && !suspects.contains(p.candidates.peers[$0].node)
                }
                for i in others { p.candidates.setHealthy(false, at: i) }
                picked = p.selector.pick(from: p.candidates.peers, key: key, rng: &s.rng)
                for i in others { p.candidates.setHealthy(true, at: i) }
            }
            if picked == nil { picked = p.selector.pick(from: p.candidates.peers, key: key, rng: &s.rng) }
            if picked == nil, !suspects.isEmpty {
                // Nothing but suspect members is routable: use them rather than nothing.
                let indices = p.candidates.peers.indices.filter { suspects.contains(p.candidates.peers[$0].node) }
                for i in indices { p.candidates.setHealthy(true, at: i) }
                picked = p.selector.pick(from: p.candidates.peers, key: key, rng: &s.rng)
                for i in indices { p.candidates.setHealthy(false, at: i) }
            }
            var decision: RouteDecision?
            if let picked {
                let (i, reason) = (picked.index, picked.reason)
                p.candidates.requestStarted(i)
                let peer = p.candidates.peers[i]
                decision = RouteDecision(node: peer.node, appAddress: peer.address.isEmpty ? nil : peer.address,
                                         weight: peer.weight, policy: policy.rawValue, reason: reason.rawValue)
            }
            s.policies[policy] = p
            return decision
        }
    }

    /// This router's own count of picks per node for a policy since each node's last report
    /// (for tests and diagnostics).
    public func localCounts(policy: RoutingPolicyKind) -> [String: Int] {
        state.withLock { s in
            guard let p = s.policies[policy] else { return [:] }
            return Dictionary(uniqueKeysWithValues: p.candidates.peers.map { ($0.node, $0.localInFlight) })
        }
    }

    // MARK: Consumers

    /// The HAProxy agent-check line for this node (no newline): `drain` while the sidecar shuts
    /// down (or its report says draining), `down#store unavailable` when the store cannot serve,
    /// else `up N%` with N = this node's mesh weight × 100, clamped to 1…256 (HAProxy 2.6).
    ///
    /// `balancerZone`: the zone of the HAProxy asking (its `agent-send "zone=NAME\n"`, see
    /// `AgentZoneRequest`). With zones, N% is then this node's share of that zone's traffic under
    /// the zone-aware split (`ZonePlan.weighted`), and `up 0%` when the split gives this node's
    /// zone nothing (weight 0, undone by the next `up N%`, unlike `drain`).
    public func agentCheckLine(storeAvailable: Bool, draining: Bool, balancerZone: String? = nil) -> String {
        let line: String
        if draining {
            line = HAProxyAgentCheck.response(weight: 0, state: .drain)
        } else if !storeAvailable {
            line = HAProxyAgentCheck.response(weight: 0, state: .down(reason: "store unavailable"))
        } else if let balancerZone, case let view = current(), case let plain = view.table,
                  let plan = ZonePlan(members: view.members, table: plain, localZone: balancerZone),
                  let own = plain[localName], own.state != .draining, own.weight > 0,
                  let zoned = plan.weighted(plain)[localName] {
            line = zoned.weight > 0 ? HAProxyAgentCheck.response(weight: zoned.weight, state: .up) : "up 0%"
        } else {
            line = HAProxyAgentCheck.response(for: localName, in: table())
        }
        return line.hasSuffix("\n") ? String(line.dropLast()) : line
    }

    /// The nginx `upstream` block with the current weights, or nil if no member advertises an
    /// app address.
    public func nginxUpstream(name: String) -> String? {
        nginxUpstream(renderer: NginxUpstreamRenderer(name: name))
    }

    /// With zones (`ZonePlan`), the weights are this sidecar's zone-aware split: members of a
    /// zone the split gives nothing are marked `down`.
    public func nginxUpstream(renderer: NginxUpstreamRenderer) -> String? {
        let view = current()
        let table = view.zonePlan?.weighted(view.table) ?? view.table
        guard table.entries.contains(where: { !$0.address.isEmpty }) else { return nil }
        return renderer.render(table)
    }

    /// Members, weights and the mesh means, for `GET /v1/mesh`.
    public func meshReport() -> MeshReport {
        let view = current()
        let (members, table, t) = (view.members, view.table, view.computedAt)
        let means = MeshMeans(table: table)
        var byNode: [String: MeshMeans.Member] = [:]
        for m in means.members { byNode[m.node] = m }
        let reportMembers = members.map { m -> MeshReport.Member in
            var out = MeshReport.Member(
                name: m.name, address: m.address, status: m.status, incarnation: m.incarnation, tags: m.tags,
                isLocal: m.isLocal, appAddress: m.appAddress, load: m.load, loadAge: m.loadAge.map(Self.finite),
                weight: 0, responseTimeMs: nil, sessions: nil, utilization: nil, state: "excluded")
            if Self.isRoutable(m), let e = byNode[m.name] {
                out.weight = Self.finite(e.weight)
                if m.load == nil {
                    out.state = "unreported"
                } else {
                    out.state = e.state.rawValue
                    if e.state != .expired {
                        out.responseTimeMs = Self.finite(e.responseTime * 1000)
                        out.sessions = Self.finite(e.sessions)
                        out.utilization = Self.finite(e.utilization)
                    }
                }
            }
            return out
        }
        return MeshReport(
            members: reportMembers,
            meanResponseTimeMs: Self.finite(means.meanResponseTime * 1000),
            responseTimeCount: means.responseTimeCount,
            meanSessions: Self.finite(means.meanSessions),
            sessionsCount: means.sessionsCount,
            meanUtilization: Self.finite(means.meanUtilization),
            imbalance: .init(responseTime: Self.finite(means.responseTimeImbalance),
                             sessions: Self.finite(means.sessionImbalance),
                             utilization: Self.finite(means.utilizationImbalance)),
            computedAt: t.isFinite ? Int64((t * 1000).rounded()) : 0,
            zones: MeshZone.groups(members: members, table: table))
    }

    /// JSON has no NaN or infinity.
    static func finite(_ x: Double) -> Double { x.isFinite ? x : 0 }
}

/// One policy's routing state.
private struct PolicyState: Sendable {
    let kind: RoutingPolicyKind
    var candidates = CandidateSet()
    var selector: RouteSelector
    var routers: Int
    /// What the candidate set was last built from.
    var appliedEntries: [WeightTable.Entry]?
    var appliedSuspects: Set<String> = []
    /// The routing snapshot last applied (its version and time), and whether any of its
    /// entries had no report (their counts restart by time alone).
    var appliedSnapshot: (version: UInt64, computedAt: Double)?
    var hasUnreported = false
    /// Per node: the report timestamp last seen, and when its pick count last restarted.
    var seenReport: [String: Double] = [:]
    var countSince: [String: Double] = [:]

    init(kind: RoutingPolicyKind, routers: Int) {
        self.kind = kind
        self.routers = routers
        self.selector = RouteSelector(kind: kind, routers: routers)
    }

    mutating func update(table: WeightTable, version: UInt64, computedAt: Double, suspects: Set<String>, routers: Int,
                         now: Double, unreportedWindow: Double) {
        if kind == .meshWeighted, routers != self.routers {
            let affinity = selector.affinity
            selector = RouteSelector(kind: kind, routers: routers, affinity: affinity)
            self.routers = routers
        }
        // The same snapshot as the last pick: every report timestamp is as seen, so nothing can
        // restart unless some peer has no report at all (its count restarts by time).
        if let applied = appliedSnapshot, applied.version == version, applied.computedAt == computedAt, !hasUnreported { return }
        appliedSnapshot = (version, computedAt)
        hasUnreported = table.entries.contains { !$0.reportTimestamp.isFinite }
        // Peers whose pick count restarts: a fresh report, or no report for a whole window.
        var restart = Set<String>()
        var seen: [String: Double] = [:]
        var since: [String: Double] = [:]
        for e in table.entries {
            let stamp = e.reportTimestamp
            var start = countSince[e.node] ?? now
            if let old = seenReport[e.node] {
                if stamp.isFinite ? stamp != old : now - start >= unreportedWindow {
                    restart.insert(e.node)
                    start = now
                }
            }
            seen[e.node] = stamp
            since[e.node] = start
        }
        seenReport = seen
        countSince = since
        guard !restart.isEmpty || appliedEntries != table.entries || appliedSuspects != suspects else { return }
        let healthy: (String) -> Bool = { !suspects.contains($0) }
        if !restart.isEmpty {
            // Dropping a node from the set and adding it back starts it with empty local counts.
            var reduced = table
            reduced.entries.removeAll { restart.contains($0.node) }
            candidates.apply(reduced, healthy: healthy)
        }
        candidates.apply(table, healthy: healthy)
        appliedEntries = table.entries
        appliedSuspects = suspects
    }
}

/// A type-erased, sendable random number generator.
private struct AnyRNG: RandomNumberGenerator, Sendable {
    var base: any RandomNumberGenerator & Sendable
    mutating func next() -> UInt64 { base.next() }
}
