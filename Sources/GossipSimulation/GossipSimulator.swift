import Gossip
import SeededRandom
import SimulationSupport

/// A deterministic discrete-event simulator: N real `GossipNode` state machines on a
/// simulated network (loss, latency, crashes, partitions), every node publishing a small
/// load report each `loadInterval`. Everything (loss, latency, node randomness) derives from
/// one seed, so a run is reproducible bit for bit.
public struct GossipSimulator: Sendable {
    enum EventKind: Sendable {
        case packet(to: Int, from: Int, bytes: [UInt8])
        case wake(Int)
        case publishLoad(Int)
        case streamRequest(to: Int, from: Int, id: UInt64, bytes: [UInt8])
        case streamReply(to: Int, id: UInt64, bytes: [UInt8]?)
        case crash(Int)
        case leave(Int)
        case sample
    }

    public let config: SimulationConfig
    public private(set) var nodes: [GossipNode] = []
    var crashed: [Bool]
    var crashTime: [Int64?]
    var events = EventQueue<Int64, EventKind>()
    var scheduledWake: [Int64]
    var rng: SeededGenerator
    var now: Int64 = 0
    var genTimes: [[Int64]]
    var names: [String]
    var ageHistogram = [Int](repeating: 0, count: 6001) // 10 ms buckets up to 60 s
    var ageMax: Int64 = 0
    var ageCount = 0
    var report = SimulationReport()
    var deadSeenAt: [Int: [Int: Int64]] = [:]
    var sampleRound = 0

    public init(config: SimulationConfig) {
        self.config = config
        let n = max(1, config.nodes)
        rng = SeededGenerator(seed: config.seed)
        crashed = Array(repeating: false, count: n)
        crashTime = Array(repeating: nil, count: n)
        scheduledWake = Array(repeating: Int64.max, count: n)
        genTimes = Array(repeating: [], count: n)
        names = (0..<n).map { "node-\($0)" }
        var states: [PushNodeState] = []
        for i in 0..<n {
            let tags = (try? SerfTags.encode(["role": "sidecar"])) ?? [0xFF, 0x80]
            var node = GossipNode(config: config.gossip, name: names[i], address: Self.address(i), meta: tags,
                                  now: 0, seed: config.seed &* 1_000_003 &+ UInt64(i))
            node.emitLoadEffects = false
            nodes.append(node)
            states.append(PushNodeState(name: names[i], addr: Self.address(i).ip, port: 7946, meta: tags,
                                        incarnation: 1, state: 0, vsn: config.gossip.vsn.bytes))
        }
        if config.startConverged {
            for i in 0..<n { nodes[i].seedMembership(states, now: 0) }
        }
    }

    static func address(_ i: Int) -> GossipAddress {
        GossipAddress(ip: [10, UInt8((i >> 16) & 0xff), UInt8((i >> 8) & 0xff), UInt8(i & 0xff)], port: 7946)
    }

    static func index(_ a: GossipAddress) -> Int? {
        guard a.ip.count == 4, a.ip[0] == 10 else { return nil }
        return Int(a.ip[1]) << 16 | Int(a.ip[2]) << 8 | Int(a.ip[3])
    }

    // MARK: run

    func separated(_ a: Int, _ b: Int, at t: Int64) -> Bool {
        for p in config.partitions where t >= p.start && t < p.end {
            if p.side.contains(a) != p.side.contains(b) { return true }
        }
        return false
    }

    /// Suspicions/deaths are attributed to a partition if the pair was split by one, or if
    /// any partition had begun (death rumours from the other side legitimately spread after
    /// healing until the victim refutes).
    func everSeparated(_ a: Int, _ b: Int) -> Bool {
        config.partitions.contains { $0.side.contains(a) != $0.side.contains(b) || now >= $0.start }
    }

    mutating func latency() -> Int64 {
        config.latencyBase + (config.latencyJitter > 0 ? Int64(rng.below(Int(config.latencyJitter))) : 0)
    }

    mutating func scheduleWake(_ i: Int) {
        // Never spin at one instant: a deadline already due is retried 1 ms later.
        let d = max(nodes[i].nextDeadline, now + GossipConfig.millisecond)
        if d < scheduledWake[i] || scheduledWake[i] < now {
            scheduledWake[i] = d
            events.push(d, .wake(i))
        }
    }

    mutating func process(_ effects: [GossipEffect], from i: Int) {
        for e in effects {
            switch e {
            case .sendPacket(let bytes, let to):
                guard let j = Self.index(to), j < nodes.count else { continue }
                if config.loss > 0 && rng.nextUnit() < config.loss { continue }
                events.push(now + latency(), .packet(to: j, from: i, bytes: bytes))
            case .openStream(let req):
                guard let j = Self.index(req.to), j < nodes.count else {
                    events.push(now + latency(), .streamReply(to: i, id: req.id, bytes: nil)); continue
                }
                events.push(now + latency(), .streamRequest(to: j, from: i, id: req.id, bytes: req.bytes))
            case .memberChanged(let m):
                observe(m, by: i)
            case .userMessage, .loadReport:
                break
            }
        }
        scheduleWake(i)
    }

    mutating func observe(_ m: GossipMember, by i: Int) {
        guard let j = Int(m.name.dropFirst(5)), j >= 0, j < nodes.count, j != i else { return }
        let targetDown = crashed[j] || (crashTime[j] != nil)
        switch m.status {
        case .suspect:
            if targetDown { break }
            if everSeparated(i, j) { report.partitionSuspicions += 1 } else if !nodes[j].hasLeft { report.falseSuspicions += 1 }
        case .dead:
            if let ct = crashTime[j] {
                deadSeenAt[j, default: [:]][i] = deadSeenAt[j]?[i] ?? now
                if report.crashFirstDeclaredDead[names[j]] == nil {
                    report.crashFirstDeclaredDead[names[j]] = Double(now - ct) / 1e9
                }
            } else if everSeparated(i, j) {
                report.partitionDeaths += 1
            } else if !nodes[j].hasLeft {
                report.falseDeaths += 1
                report.falseDeathEvents.append((names[i], names[j], Double(now) / 1e9))
            }
        default:
            break
        }
    }

    mutating func sample() {
        let stride = max(1, nodes.count / max(1, config.maxSampledObservers))
        sampleRound += 1
        var i = sampleRound % stride
        while i < nodes.count {
            defer { i += stride }
            if crashed[i] || nodes[i].hasLeft { continue }
            for j in 0..<nodes.count where j != i && !crashed[j] && !nodes[j].hasLeft {
                guard let r = nodes[i].load[names[j]] else {
                    report.loadMissing += 1
                    continue
                }
                let idx = Int(r.seq) - 1
                guard idx >= 0, idx < genTimes[j].count else { continue }
                let age = now - genTimes[j][idx]
                ageMax = max(ageMax, age)
                let b = min(ageHistogram.count - 1, Int(age / (10 * GossipConfig.millisecond)))
                ageHistogram[b] += 1
                ageCount += 1
            }
        }
    }

    func percentile(_ p: Double) -> Double {
        guard ageCount > 0 else { return 0 }
        let target = Int((Double(ageCount) * p).rounded(.up))
        var acc = 0
        for (b, c) in ageHistogram.enumerated() {
            acc += c
            if acc >= target { return Double(b + 1) * 0.01 }
        }
        return Double(ageHistogram.count) * 0.01
    }

    /// Runs the whole scenario and returns the report.
    public mutating func run() -> SimulationReport {
        let n = nodes.count
        for i in 0..<n {
            events.push(Int64(rng.below(Int(max(1, config.loadInterval)))), .publishLoad(i))
            scheduleWake(i)
        }
        if !config.startConverged {
            for i in 1..<max(1, n) {
                now = Int64(i) * GossipConfig.millisecond
                let eff = nodes[i].join(seeds: [Self.address(0)], now: now)
                process(eff, from: i)
            }
            now = 0
        }
        for c in config.crashes where c.node < n { events.push(c.at, .crash(c.node)) }
        for l in config.leaves where l.node < n { events.push(l.at, .leave(l.node)) }
        var t = config.warmup
        while t <= config.duration { events.push(t, .sample); t += config.sampleEvery }

        while let ev = events.pop() {
            if ev.time > config.duration { break }
            now = ev.time
            report.events += 1
            switch ev.payload {
            case .wake(let i):
                guard !crashed[i], scheduledWake[i] == ev.time else { continue }
                scheduledWake[i] = Int64.max
                let eff = nodes[i].tick(now: now)
                process(eff, from: i)
            case .packet(let to, let from, let bytes):
                guard !crashed[to], !separated(from, to, at: now) else { continue }
                let eff = nodes[to].receivePacket(bytes, from: Self.address(from), now: now)
                process(eff, from: to)
            case .publishLoad(let i):
                guard !crashed[i] else { continue }
                var payload = [UInt8](repeating: 0, count: config.loadPayloadBytes)
                for k in 0..<payload.count { payload[k] = UInt8(truncatingIfNeeded: rng.next()) }
                nodes[i].setLocalLoad(payload, now: now)
                genTimes[i].append(now)
                events.push(now + config.loadInterval, .publishLoad(i))
            case .streamRequest(let to, let from, let id, let bytes):
                if crashed[to] || separated(from, to, at: now) {
                    // No answer: the dialer gives up (connect timeout, shortened).
                    events.push(now + GossipConfig.second, .streamReply(to: from, id: id, bytes: nil))
                    continue
                }
                guard let (msg, _) = try? StreamCodec.decode(bytes) else {
                    events.push(now + latency(), .streamReply(to: from, id: id, bytes: nil)); continue
                }
                let (reply, eff) = nodes[to].receiveStream(msg, from: Self.address(from), now: now)
                if let reply { nodes[to].noteStreamBytesSent(reply.count) }
                process(eff, from: to)
                events.push(now + latency(), .streamReply(to: from, id: id, bytes: reply))
            case .streamReply(let to, let id, let bytes):
                guard !crashed[to] else { continue }
                let eff: [GossipEffect]
                if let bytes, let (msg, _) = try? StreamCodec.decode(bytes) {
                    eff = nodes[to].receiveStreamReply(id: id, msg, now: now)
                } else {
                    eff = nodes[to].streamFailed(id: id, now: now)
                }
                process(eff, from: to)
            case .crash(let i):
                crashed[i] = true
                crashTime[i] = now
            case .leave(let i):
                crashTime[i] = nil
                let eff = nodes[i].leave(now: now)
                process(eff, from: i)
            case .sample:
                sample()
            }
        }
        now = config.duration
        return finish()
    }

    mutating func finish() -> SimulationReport {
        let n = nodes.count
        report.nodes = n
        report.loss = config.loss
        report.simulatedSeconds = Double(config.duration) / 1e9
        report.loadAgeP50 = percentile(0.50)
        report.loadAgeP99 = percentile(0.99)
        report.loadAgeMax = Double(ageMax) / 1e9
        var bytes = 0, packets = 0
        for node in nodes {
            bytes += node.stats.bytesSent + node.stats.streamBytesSent
            packets += node.stats.packetsSent
        }
        let secs = max(1e-9, Double(config.duration) / 1e9)
        report.bytesPerNodePerSecond = Double(bytes) / Double(n) / secs
        report.packetsPerNodePerSecond = Double(packets) / Double(n) / secs
        let live = (0..<n).filter { !crashed[$0] && !nodes[$0].hasLeft }
        for (c, ct) in crashTime.enumerated() {
            guard let ct else { continue }
            let seen = deadSeenAt[c] ?? [:]
            // Dead everywhere = the last live node to mark it dead (nodes that saw it dead
            // and reaped it later count at the time they marked it).
            var latest: Int64 = 0
            var all = true
            for i in live {
                if let t = seen[i] { latest = max(latest, t) } else { all = false; break }
            }
            report.crashDeclaredDeadEverywhere[names[c]] = all ? Double(latest - ct) / 1e9 : nil
        }
        for l in config.leaves where l.node < n {
            report.leftSeenBy[names[l.node]] = live.filter { nodes[$0].member(named: names[l.node])?.status == .left }.count
        }
        report.finalAliveViews = (0..<n).map { i in nodes[i].members.filter { $0.status == .alive }.count }
        return report
    }

    /// One-call entry point (e.g. for `sessionmesh simulate gossip --nodes N --loss P`):
    /// N nodes, loss as a fraction (0.01 = 1%), the last node crashes at 5 s unless
    /// `crash` is false.
    public static func run(nodes: Int, loss: Double, seconds: Double = 30, seed: UInt64 = 1,
                           crash: Bool = true, compression: Bool = false) -> SimulationReport {
        var c = SimulationConfig()
        c.nodes = max(1, nodes)
        c.loss = min(max(loss, 0), 1)
        c.seed = seed
        c.duration = Int64(max(1, seconds) * 1e9)
        c.gossip.enableCompression = compression
        if crash && nodes > 1 { c.crashes = [(node: nodes - 1, at: 5 * GossipConfig.second)] }
        var sim = GossipSimulator(config: c)
        return sim.run()
    }

    /// A node's view, for assertions.
    public func view(of i: Int) -> GossipNode { nodes[i] }
}
