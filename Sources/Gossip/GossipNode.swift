/// The SWIM + Lifeguard state machine, modelled on memberlist 0.2.2 (state.go / net.go)
/// in a pure "events in, effects out" style: no sockets, no threads, no clock reads.
/// Time is passed in as nanoseconds (`now`), randomness comes from a seeded generator.
///
/// Shell contract: call `tick(now:)` at `nextDeadline` (or more often), feed UDP packets to
/// `receivePacket`, inbound TCP messages to `receiveStream`, replies of streams it opened to
/// `receiveStreamReply`, and execute the returned effects.
public struct GossipNode: Sendable {
    public let config: GossipConfig
    public let name: String
    public let address: GossipAddress
    let selfNameBytes: [UInt8]
    /// Emit `.loadReport` effects for every newer load report (the simulator turns this off).
    public var emitLoadEffects = true

    var rng: GossipRandom
    public private(set) var memberMap: [String: GossipMember] = [:]
    /// memberlist's `m.nodes`: the probe order (includes self, dead until reaped, left forever).
    var nodeOrder: [String] = []
    var probeIndex = 0
    public private(set) var awareness: Awareness
    var seqNo: UInt32 = 0
    public private(set) var suspicions: [String: Suspicion] = [:]
    var memberQueue = BroadcastQueue()
    var userQueue = BroadcastQueue()
    var probe: ProbeState?
    var ackHandlers: [UInt32: AckHandler] = [:]
    var pendingStreams: [UInt64: StreamPurpose] = [:]
    var nextStreamID: UInt64 = 0
    var nextProbeAt: Int64
    var nextGossipAt: Int64
    var nextPushPullAt: Int64
    var nextReconnectAt: Int64
    /// serf's failed-member list: survives memberlist's reaping so partitions can heal.
    public private(set) var failedMembers: [String: (address: GossipAddress, since: Int64)] = [:]
    public private(set) var load = LoadTable()
    var selfLoadSeq: UInt32 = 0
    public private(set) var serfClock = LamportClock()
    var leaveDeadAt: Int64?
    public private(set) var hasLeft = false
    public private(set) var stats = GossipStats()
    var out: [GossipEffect] = []
    /// Decompression budget (bytes) left in the current one-second window, and its start.
    var decompressBudget = 0
    var decompressWindowStart: Int64?

    struct ProbeState: Sendable {
        var target: String
        var seqNo: UInt32
        var start: Int64
        var timeoutAt: Int64
        var deadline: Int64
        var indirectSent = false
        var expectedNacks = 0
        var nacks = 0
        var tcpContact = false
    }

    enum AckHandler: Sendable {
        case probe(expires: Int64)
        /// Relay an ack for an indirect ping request; nack at `expires` if asked.
        case relay(requesterSeq: UInt32, to: GossipAddress, nack: Bool, expires: Int64)

        var expires: Int64 {
            switch self {
            case .probe(let e): e
            case .relay(_, _, _, let e): e
            }
        }
    }

    // MARK: - Lifecycle

    /// Creates the node and announces itself alive (incarnation 1), like memberlist `Create`.
    public init(config: GossipConfig = .lan, name: String, address: GossipAddress, meta: [UInt8]?,
                now: Int64, seed: UInt64) {
        self.config = config
        self.name = name
        self.selfNameBytes = Array(name.utf8.prefix(255))
        self.address = address
        self.rng = GossipRandom(seed: seed)
        self.awareness = Awareness(max: config.awarenessMaxMultiplier)
        var r = GossipRandom(seed: seed ^ 0x5EED)
        nextProbeAt = now + Int64(r.below(Int(max(1, config.probeInterval))))
        nextGossipAt = now + Int64(r.below(Int(max(1, config.gossipInterval))))
        nextPushPullAt = now + config.pushPullInterval + Int64(r.below(Int(max(1, config.pushPullInterval))))
        nextReconnectAt = now + config.reconnectInterval + Int64(r.below(Int(max(1, config.reconnectInterval))))
        let a = AliveMessage(incarnation: 1, node: name, addr: address.ip, port: address.port,
                             meta: meta, vsn: config.vsn.bytes)
        aliveNode(a, now: now, bootstrap: true)
        out.removeAll()
    }

    /// All known members (including self), sorted by name.
    public var members: [GossipMember] {
        memberMap.values.sorted { $0.name < $1.name }
    }

    public func member(named n: String) -> GossipMember? { memberMap[n] }

    public var incarnation: UInt32 { memberMap[name]?.incarnation ?? 0 }

    /// memberlist's `estNumNodes`.
    public var estimatedNodes: Int { nodeOrder.count }

    /// True once the dead-for-self has been gossiped the full retransmit count.
    public var isLeaveComplete: Bool {
        hasLeft && !memberQueue.items.contains { $0.key == name }
    }

    /// The earliest time `tick` has work to do.
    public var nextDeadline: Int64 {
        var d = min(nextGossipAt, nextPushPullAt)
        if let p = probe { d = min(d, p.indirectSent ? p.deadline : p.timeoutAt) } else { d = min(d, nextProbeAt) }
        for s in suspicions.values { d = min(d, s.deadline) }
        for h in ackHandlers.values { d = min(d, h.expires) }
        if let l = leaveDeadAt { d = min(d, l) }
        return min(d, nextReconnectAt)
    }

    // MARK: - Embedder API

    /// Joins via TCP push/pull (Join = true) to each seed; also announces a serf join intent.
    public mutating func join(seeds: [GossipAddress], now: Int64) -> [GossipEffect] {
        for s in seeds where s != address {
            openStream(to: s, purpose: .pushPull(join: true), bytes: localStateBytes(join: true))
        }
        if config.sendSerfJoinIntent {
            let intent = SerfJoinIntent(lTime: serfClock.increment(), node: name)
            userQueue.queue(intent.encoded(), key: "join:" + name)
        }
        return drain()
    }

    /// Graceful leave: gossip the serf leave intent now, then (after `leavePropagateDelay`)
    /// `dead{Node: self, From: self}` so peers record `left`.
    public mutating func leave(now: Int64) -> [GossipEffect] {
        guard leaveDeadAt == nil, !hasLeft else { return drain() }
        let intent = SerfLeaveIntent(lTime: serfClock.increment(), node: name, prune: false)
        userQueue.queue(intent.encoded(), key: "leave:" + name)
        memberMap[name]?.leaving = true
        leaveDeadAt = now + config.leavePropagateDelay
        return drain()
    }

    /// New Meta (serf tags): incarnation + 1, gossip alive.
    /// Meta larger than 512 bytes (memberlist's MetaMaxSize) is refused: returns no effects
    /// and leaves the current Meta in place.
    public mutating func updateMeta(_ meta: [UInt8]?, now: Int64) -> [GossipEffect] {
        guard (meta?.count ?? 0) <= SerfTags.metaMaxSize else { return drain() }
        guard let me = memberMap[name] else { return drain() }
        let a = AliveMessage(incarnation: me.incarnation &+ 1, node: name, addr: address.ip, port: address.port,
                             meta: meta, vsn: config.vsn.bytes)
        aliveNode(a, now: now, bootstrap: true)
        return drain()
    }

    /// Queues a user message (memberlist user payload, e.g. `[serf type][msgpack]`) for
    /// piggybacking, retransmitted RetransmitMult × log10(n+1) times.
    public mutating func broadcastUser(_ payload: [UInt8], key: String? = nil) {
        userQueue.queue(payload, key: key)
    }

    /// memberlist `SendReliable`: a user message over TCP (`[8] userMsgHeader payload`).
    public mutating func sendReliable(_ payload: [UInt8], to: GossipAddress) -> [GossipEffect] {
        openStream(to: to, purpose: .userMessage, bytes: StreamCodec.encodeUser(payload, compress: config.enableCompression))
        return drain()
    }

    /// Publishes this node's load report (≤ 255 bytes); it rides on every gossip round.
    public mutating func setLocalLoad(_ payload: [UInt8], now: Int64) {
        selfLoadSeq &+= 1
        load.update(origin: name, seq: selfLoadSeq, payload: Array(payload.prefix(LoadDigest.maxPayload)), now: now)
    }

    public var localLoadSeq: UInt32 { selfLoadSeq }

    /// Where this process's load-report sequence starts. A restarted node must start above its
    /// previous life's sequence, or peers keep the old report (sequences compare as serial
    /// numbers); the shell passes a clock-derived value, e.g. deciseconds since an epoch.
    public mutating func startLoadSequence(at start: UInt32) {
        selfLoadSeq = start
    }

    /// Installs a known membership without gossiping it (restoring a snapshot, or starting a
    /// simulation from a converged mesh). Same rules as a push/pull merge.
    public mutating func seedMembership(_ states: [PushNodeState], now: Int64) {
        mergeRemoteState(states, now: now)
        memberQueue.reset()
        out.removeAll()
    }

    // MARK: - Inputs

    public mutating func receivePacket(_ bytes: [UInt8], from: GossipAddress, now: Int64) -> [GossipEffect] {
        stats.packetsReceived += 1
        stats.bytesReceived += bytes.count
        if let start = decompressWindowStart, now >= start, now - start < GossipConfig.second {
            // same window
        } else {
            decompressWindowStart = now
            decompressBudget = config.maxDecompressedPerSecond
        }
        var budget = min(config.maxDecompressedPerPacket, decompressBudget)
        let before = budget
        let decoded = PacketCodec.decode(bytes, decompressBudget: &budget)
        decompressBudget -= before - budget
        stats.packetErrors += decoded.errors.count
        stats.decompressBudgetExceeded += decoded.errors.filter { $0 == .decompressBudgetExceeded }.count
        for m in decoded.messages { handle(m, from: from, now: now) }
        return drain()
    }

    /// An inbound TCP stream message (decoded with `StreamCodec.decode`). Returns the bytes to
    /// write back (if any) and effects.
    public mutating func receiveStream(_ msg: StreamMessage, from: GossipAddress, now: Int64) -> (reply: [UInt8]?, effects: [GossipEffect]) {
        switch msg {
        case .pushPull(let header, let nodes, _):
            // The responder sends its own state first (echoing Join), then merges.
            let reply = localStateBytes(join: header.join)
            mergeRemoteState(nodes, now: now)
            return (reply, drain())
        case .ping(let p):
            if !p.node.isEmpty && p.node != name { return (nil, drain()) }
            let ack = GossipMessage.ack(AckRespMessage(seqNo: p.seqNo, payload: nil))
            return (StreamCodec.encode(ack, compress: config.enableCompression), drain())
        case .user(let payload):
            handleUser(payload, from: from, now: now)
            return (nil, drain())
        case .ack, .err:
            return (nil, drain())
        }
    }

    /// The reply to a stream this node opened.
    public mutating func receiveStreamReply(id: UInt64, _ msg: StreamMessage, now: Int64) -> [GossipEffect] {
        guard let purpose = pendingStreams.removeValue(forKey: id) else { return drain() }
        switch (purpose, msg) {
        case (.pushPull, .pushPull(_, let nodes, _)):
            mergeRemoteState(nodes, now: now)
        case (.ping(let seq), .ack(let a)):
            if a.seqNo == seq, probe?.seqNo == seq { probe?.tcpContact = true }
        default:
            break
        }
        return drain()
    }

    /// The shell reports a stream it opened failed (connect error, timeout, bad reply), or
    /// that a no-reply stream finished.
    public mutating func streamFailed(id: UInt64, now: Int64) -> [GossipEffect] {
        pendingStreams.removeValue(forKey: id)
        return drain()
    }

    /// Runs all timers that are due.
    public mutating func tick(now: Int64) -> [GossipEffect] {
        // Leave: dead for self after the intent had time to spread.
        if let l = leaveDeadAt, now >= l {
            leaveDeadAt = nil
            hasLeft = true
            let d = DeadMessage(incarnation: incarnation, node: name, from: name)
            deadNode(d, now: now)
        }
        // Suspicion timers.
        if !suspicions.isEmpty {
            for (n, s) in suspicions where now >= s.deadline {
                suspicions.removeValue(forKey: n)
                if let m = memberMap[n], m.status == .suspect, m.stateChange == s.start {
                    deadNode(DeadMessage(incarnation: m.incarnation, node: n, from: name), now: now)
                }
            }
        }
        // Ack handler expiry (indirect ping nacks).
        if !ackHandlers.isEmpty {
            for (seq, h) in ackHandlers where now >= h.expires {
                ackHandlers.removeValue(forKey: seq)
                if case .relay(let rseq, let to, let nack, _) = h, nack {
                    sendMsg(.nack(NackRespMessage(seqNo: rseq)), to: to)
                }
            }
        }
        // Probe.
        if let p = probe {
            if !p.indirectSent && now >= p.timeoutAt { sendIndirect(now: now) }
            if now >= p.deadline { finishFailedProbe(now: now) }
        }
        if probe == nil && now >= nextProbeAt {
            if hasLeft { nextProbeAt = Int64.max } else { startProbe(now: now) }
        }
        if now >= nextReconnectAt {
            nextReconnectAt = now + config.reconnectInterval
            if !hasLeft { reconnect(now: now) }
        }
        if now >= nextGossipAt {
            nextGossipAt += config.gossipInterval
            if nextGossipAt <= now { nextGossipAt = now + config.gossipInterval }
            gossip(now: now)
        }
        if now >= nextPushPullAt {
            nextPushPullAt = now + pushPullScale(config.pushPullInterval, n: estimatedNodes)
            if !hasLeft { pushPull(now: now) }
        }
        return drain()
    }

    // MARK: - Output helpers

    /// The shell reports bytes it wrote as a stream reply (for traffic stats).
    public mutating func noteStreamBytesSent(_ n: Int) {
        stats.streamBytesSent += n
    }

    mutating func drain() -> [GossipEffect] {
        let o = out
        out.removeAll(keepingCapacity: true)
        return o
    }

    mutating func emitPacket(_ bytes: [UInt8], to: GossipAddress) {
        stats.packetsSent += 1
        stats.bytesSent += bytes.count
        out.append(.sendPacket(bytes, to: to))
    }

    mutating func openStream(to: GossipAddress, purpose: StreamPurpose, bytes: [UInt8]) {
        nextStreamID &+= 1
        if purpose != .userMessage { pendingStreams[nextStreamID] = purpose }
        stats.streamsOpened += 1
        stats.streamBytesSent += bytes.count
        out.append(.openStream(StreamRequest(id: nextStreamID, to: to, bytes: bytes, purpose: purpose, timeout: config.tcpTimeout)))
    }

    var transmitLimit: Int { retransmitLimit(mult: config.retransmitMult, n: estimatedNodes) }

    /// memberlist `sendMsg`: piggyback queued broadcasts; no CRC (Go's address lookup fails).
    mutating func sendMsg(_ m: GossipMessage, to: GossipAddress) {
        let msg = m.encoded()
        let avail = config.udpBufferSize - msg.count - 2
        var parts = [msg]
        parts += takeBroadcasts(limit: avail)
        emitPacket(PacketCodec.frame(PacketCodec.pack(parts), compress: config.enableCompression, crc: false), to: to)
    }

    /// memberlist `getBroadcasts`: own queue, then delegate (user) messages.
    mutating func takeBroadcasts(limit: Int) -> [[UInt8]] {
        guard limit > 2 else { return [] }
        let limitN = transmitLimit
        var parts = memberQueue.take(overhead: 2, limit: limit, transmitLimit: limitN)
        let used = parts.reduce(0) { $0 + $1.count + 2 }
        let avail = limit - used
        if avail > 3 && !userQueue.isEmpty {
            for u in userQueue.take(overhead: 3, limit: avail, transmitLimit: limitN) {
                parts.append([MessageType.user.rawValue] + u)
            }
        }
        return parts
    }

    mutating func nextSeq() -> UInt32 {
        seqNo &+= 1
        return seqNo
    }

    // MARK: - Probing

    mutating func startProbe(now: Int64) {
        var checked = 0
        var target: GossipMember?
        while checked <= nodeOrder.count {
            if probeIndex >= nodeOrder.count {
                resetNodes(now: now)
                probeIndex = 0
                checked += 1
                if nodeOrder.isEmpty { break }
                continue
            }
            let n = nodeOrder[probeIndex]
            probeIndex += 1
            if n == name { checked += 1; continue }
            guard let m = memberMap[n], !m.isDeadOrLeft else { checked += 1; continue }
            target = m
            break
        }
        guard let t = target else {
            nextProbeAt = now + config.probeInterval
            return
        }
        let interval = awareness.scale(config.probeInterval)
        let seq = nextSeq()
        let ping = PingMessage(seqNo: seq, node: t.name, sourceAddr: address.ip, sourcePort: address.port, sourceNode: name)
        probe = ProbeState(target: t.name, seqNo: seq, start: now, timeoutAt: now + config.probeTimeout, deadline: now + interval)
        ackHandlers[seq] = .probe(expires: now + interval)
        nextProbeAt = now + interval
        if t.status == .alive {
            sendMsg(.ping(ping), to: t.address)
        } else {
            // Suspect target: ping + suspect so it can refute; sent raw (CRC if PMax ≥ 5).
            let parts = [GossipMessage.ping(ping).encoded(),
                         GossipMessage.suspect(SuspectMessage(incarnation: t.incarnation, node: t.name, from: name)).encoded()]
            emitPacket(PacketCodec.frame(PacketCodec.compound(parts), compress: config.enableCompression, crc: t.vsn.pMax >= 5), to: t.address)
        }
    }

    mutating func probeSucceeded() {
        guard let p = probe else { return }
        probe = nil
        ackHandlers.removeValue(forKey: p.seqNo)
        awareness.apply(-1)
        nextProbeAt = p.start + config.probeInterval
    }

    mutating func sendIndirect(now: Int64) {
        guard var p = probe, let t = memberMap[p.target] else { probe = nil; return }
        p.indirectSent = true
        let me = name, tn = t.name
        let peers = kRandomNodes(config.indirectChecks) { m in
            m.name == me || m.name == tn || m.status != .alive
        }
        for peer in peers {
            let nack = peer.vsn.pMax >= 4
            if nack { p.expectedNacks += 1 }
            let ind = IndirectPingMessage(seqNo: p.seqNo, target: t.address.ip, port: t.address.port, node: t.name,
                                          nack: nack, sourceAddr: address.ip, sourcePort: address.port, sourceNode: name)
            sendMsg(.indirectPing(ind), to: peer.address)
        }
        probe = p
        if !config.disableTcpPings && t.vsn.pMax >= 3 {
            let ping = PingMessage(seqNo: p.seqNo, node: t.name, sourceAddr: address.ip, sourcePort: address.port, sourceNode: name)
            openStream(to: t.address, purpose: .ping(seqNo: p.seqNo), bytes: StreamCodec.encode(.ping(ping), compress: config.enableCompression))
        }
    }

    mutating func finishFailedProbe(now: Int64) {
        guard let p = probe else { return }
        probe = nil
        ackHandlers.removeValue(forKey: p.seqNo)
        if p.tcpContact {
            awareness.apply(-1)
            return
        }
        var delta = 0
        if p.expectedNacks > 0 {
            if p.nacks < p.expectedNacks { delta += p.expectedNacks - p.nacks }
        } else {
            delta += 1
        }
        awareness.apply(delta)
        if let t = memberMap[p.target] {
            suspectNode(SuspectMessage(incarnation: t.incarnation, node: t.name, from: name), now: now)
        }
    }

    /// memberlist `resetNodes`: reap dead nodes past GossipToTheDeadTime, then shuffle.
    mutating func resetNodes(now: Int64) {
        var kept: [String] = []
        kept.reserveCapacity(nodeOrder.count)
        for n in nodeOrder {
            if let m = memberMap[n], m.status == .dead, now - m.stateChange > config.gossipToTheDeadTime {
                memberMap.removeValue(forKey: n)
                suspicions.removeValue(forKey: n)
                load.remove(origin: n)
                continue
            }
            kept.append(n)
        }
        kept.shuffle(using: &rng)
        nodeOrder = kept
    }

    /// memberlist `kRandomNodes`.
    mutating func kRandomNodes(_ k: Int, exclude: (GossipMember) -> Bool) -> [GossipMember] {
        let n = nodeOrder.count
        var picked: [GossipMember] = []
        var pickedIdx: [Int] = []
        var i = 0
        while i < 3 * n && picked.count < k {
            i += 1
            let idx = rng.below(n)
            if pickedIdx.contains(idx) { continue }
            guard let m = memberMap[nodeOrder[idx]] else { continue }
            if exclude(m) { continue }
            pickedIdx.append(idx)
            picked.append(m)
        }
        return picked
    }

    // MARK: - Gossip and push/pull

    mutating func gossip(now: Int64) {
        let loadOn = config.load != nil && load.count > 0
        let fanout = loadOn ? max(config.gossipNodes, config.load?.fanout ?? 0) : config.gossipNodes
        let dead = config.gossipToTheDeadTime
        let me = name
        let targets = kRandomNodes(fanout) { m in
            if m.name == me { return true }
            switch m.status {
            case .alive, .suspect: return false
            case .dead: return now - m.stateChange > dead
            case .left: return true
            }
        }
        let bytesAvail = config.udpBufferSize - 2
        for t in targets {
            var parts = takeBroadcasts(limit: bytesAvail)
            if loadOn, let lc = config.load {
                let used = parts.reduce(0) { $0 + $1.count + 2 }
                let budget = min(lc.maxDigestBytes, bytesAvail - used - 3)
                if budget > 16 {
                    let digest = buildDigest(budget: budget, maxTransmits: lc.maxTransmits)
                    if !digest.isEmpty { parts.append([MessageType.user.rawValue] + digest) }
                }
            }
            if parts.isEmpty { return }
            let packet = PacketCodec.frame(PacketCodec.pack(parts), compress: config.enableCompression, crc: t.vsn.pMax >= 5)
            emitPacket(packet, to: t.address)
        }
    }

    /// `[0x4C][1][count]` + own report first + freshest peer reports, within `budget` bytes.
    mutating func buildDigest(budget: Int, maxTransmits: Int) -> [UInt8] {
        var buf: [UInt8] = [LoadDigest.messageType, LoadDigest.version, 0]
        buf.reserveCapacity(budget)
        var n = 0
        let selfIdx = load.find(selfNameBytes[...])
        if let si = selfIdx, !hasLeft, load.encoded[si].count <= budget - 3 {
            buf.append(contentsOf: load.encoded[si])
            n = 1
        }
        let limit = maxTransmits > 0 ? maxTransmits : retransmitLimit(mult: config.retransmitMult, n: estimatedNodes)
        n += load.take(into: &buf, budget: budget - buf.count, maxEntries: 255 - n, maxTransmits: limit, exclude: selfIdx)
        if n == 0 { return [] }
        buf[2] = UInt8(n)
        return buf
    }

    /// serf's reconnect: every ReconnectInterval, with probability failed/alive, push/pull
    /// (join) with a random failed member. This is what heals a partition in which both
    /// sides declared each other dead (memberlist alone never talks to them again).
    mutating func reconnect(now: Int64) {
        failedMembers = failedMembers.filter { now - $0.value.since < config.reconnectTimeout }
        guard !failedMembers.isEmpty else { return }
        let alive = max(1, memberMap.values.filter { $0.status == .alive }.count)
        let prob = Double(failedMembers.count) / Double(alive)
        if rng.unit() > prob { return }
        let names = failedMembers.keys.sorted()
        guard let a = failedMembers[names[rng.below(names.count)]]?.address else { return }
        openStream(to: a, purpose: .pushPull(join: true), bytes: localStateBytes(join: true))
    }

    mutating func pushPull(now: Int64) {
        let me = name
        let peers = kRandomNodes(1) { m in m.name == me || m.status != .alive }
        guard let p = peers.first else { return }
        openStream(to: p.address, purpose: .pushPull(join: false), bytes: localStateBytes(join: false))
    }

    /// `[6] header pushNodeState×n userState` (compressed when enabled). Every known node,
    /// including self, dead and left ones. User state is empty (serf accepts UserStateLen 0).
    public func localStateBytes(join: Bool) -> [UInt8] {
        var states: [PushNodeState] = []
        states.reserveCapacity(nodeOrder.count)
        for n in nodeOrder { if let m = memberMap[n] { states.append(m.pushState()) } }
        return StreamCodec.encodePushPull(header: PushPullHeader(nodes: states.count, userStateLen: 0, join: join),
                                          nodes: states, userState: [], compress: config.enableCompression)
    }

    /// memberlist `verifyProtocol`. Returns false if any node's current versions fall outside
    /// what every alive node understands.
    func verifyProtocol(_ remote: [PushNodeState]) -> Bool {
        var maxPMin: UInt8 = 0, minPMax: UInt8 = 255, maxDMin: UInt8 = 0, minDMax: UInt8 = 255
        for r in remote where r.state == Int64(MemberStatus.alive.rawValue) {
            guard let v = r.vsn, !v.isEmpty else { continue }
            guard v.count >= 6 else { return false } // Go would index out of range
            maxPMin = max(maxPMin, v[0]); minPMax = min(minPMax, v[1])
            maxDMin = max(maxDMin, v[3]); minDMax = min(minDMax, v[4])
        }
        for m in memberMap.values where m.status == .alive {
            maxPMin = max(maxPMin, m.vsn.pMin); minPMax = min(minPMax, m.vsn.pMax)
            maxDMin = max(maxDMin, m.vsn.dMin); minDMax = min(minDMax, m.vsn.dMax)
        }
        for r in remote {
            var pCur: UInt8 = 0, dCur: UInt8 = 0
            if let v = r.vsn, !v.isEmpty {
                guard v.count >= 6 else { return false }
                pCur = v[2]; dCur = v[5]
            }
            if pCur < maxPMin || pCur > minPMax || dCur < maxDMin || dCur > minDMax { return false }
        }
        for m in memberMap.values {
            if m.vsn.pCur < maxPMin || m.vsn.pCur > minPMax || m.vsn.dCur < maxDMin || m.vsn.dCur > minDMax { return false }
        }
        return true
    }

    mutating func mergeRemoteState(_ remote: [PushNodeState], now: Int64) {
        guard verifyProtocol(remote) else {
            stats.pushPullRejected += 1
            return
        }
        for r in remote {
            switch r.state {
            case Int64(MemberStatus.alive.rawValue):
                aliveNode(AliveMessage(incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn), now: now, bootstrap: false)
            case Int64(MemberStatus.left.rawValue):
                deadNode(DeadMessage(incarnation: r.incarnation, node: r.name, from: r.name), now: now)
            case Int64(MemberStatus.dead.rawValue), Int64(MemberStatus.suspect.rawValue):
                suspectNode(SuspectMessage(incarnation: r.incarnation, node: r.name, from: name), now: now)
            default:
                break
            }
        }
    }

    // MARK: - Message handling

    mutating func handle(_ m: GossipMessage, from: GossipAddress, now: Int64) {
        switch m {
        case .ping(let p):
            if !p.node.isEmpty && p.node != name { return }
            var dest = from
            if let a = p.sourceAddr, !a.isEmpty, p.sourcePort > 0 { dest = GossipAddress(ip: a, port: p.sourcePort) }
            sendMsg(.ack(AckRespMessage(seqNo: p.seqNo, payload: nil)), to: dest)
        case .indirectPing(let ind):
            let port = ind.port == 0 ? address.port : ind.port
            let local = nextSeq()
            var requester = from
            if let a = ind.sourceAddr, !a.isEmpty, ind.sourcePort > 0 { requester = GossipAddress(ip: a, port: ind.sourcePort) }
            ackHandlers[local] = .relay(requesterSeq: ind.seqNo, to: requester, nack: ind.nack, expires: now + config.probeTimeout)
            let ping = PingMessage(seqNo: local, node: ind.node, sourceAddr: address.ip, sourcePort: address.port, sourceNode: name)
            sendMsg(.ping(ping), to: GossipAddress(ip: ind.target ?? [], port: port))
        case .ack(let a):
            guard let h = ackHandlers[a.seqNo] else { return }
            switch h {
            case .probe:
                if probe?.seqNo == a.seqNo { probeSucceeded() } else { ackHandlers.removeValue(forKey: a.seqNo) }
            case .relay(let rseq, let to, _, _):
                ackHandlers.removeValue(forKey: a.seqNo)
                sendMsg(.ack(AckRespMessage(seqNo: rseq, payload: nil)), to: to)
            }
        case .nack(let n):
            if probe?.seqNo == n.seqNo { probe?.nacks += 1 }
        case .suspect(let s):
            suspectNode(s, now: now)
        case .alive(let a):
            aliveNode(a, now: now, bootstrap: false)
        case .dead(let d):
            deadNode(d, now: now)
        case .user(let payload):
            handleUser(payload, from: from, now: now)
        case .err:
            break
        }
    }

    mutating func handleUser(_ payload: [UInt8], from: GossipAddress?, now: Int64) {
        guard let t = payload.first else { return }
        switch t {
        case LoadDigest.messageType:
            var updated: [Int] = []
            do {
                try load.ingest(payload, now: now, skip: selfNameBytes[...], updated: &updated)
            } catch {
                stats.packetErrors += 1
            }
            if emitLoadEffects {
                for i in updated {
                    let r = load.record(at: i)
                    out.append(.loadReport(origin: r.origin, seq: r.seq, payload: r.payload))
                }
            }
        case SerfMessageType.leave.rawValue:
            guard let l = try? SerfLeaveIntent.decode(payload) else { return }
            serfClock.witness(l.lTime)
            if l.node == name { return }
            if var m = memberMap[l.node], !m.leaving {
                m.leaving = true
                memberMap[l.node] = m
                userQueue.queue(payload, key: "leave:" + l.node)
                out.append(.memberChanged(m))
            }
        case SerfMessageType.join.rawValue:
            guard let j = try? SerfJoinIntent.decode(payload) else { return }
            serfClock.witness(j.lTime)
            if j.node != name, var m = memberMap[j.node], m.leaving, m.status == .alive {
                m.leaving = false
                memberMap[j.node] = m
            }
        default:
            out.append(.userMessage(payload, from: from))
        }
    }

    // MARK: - State rules (memberlist aliveNode / suspectNode / deadNode / refute)

    mutating func refute(accused: UInt32) {
        guard var me = memberMap[name] else { return }
        var inc = me.incarnation &+ 1
        if accused >= inc { inc = accused &+ 1 }
        me.incarnation = inc
        memberMap[name] = me
        awareness.apply(1)
        stats.refutations += 1
        let a = AliveMessage(incarnation: inc, node: name, addr: me.address.ip, port: me.address.port, meta: me.meta, vsn: me.vsn.bytes)
        memberQueue.queue(GossipMessage.alive(a).encoded(), key: name)
    }

    /// Whether an `alive` names a member that can be talked to: a name and Meta within bounds,
    /// an IPv4 or IPv6 address that is not all zeros, a port, and a full protocol version vector
    /// whose current protocol lies in its own range. A forged `alive` without these (which a
    /// stock serf agent would refuse to join next to: "protocol version (0) is incompatible")
    /// is dropped.
    func isValidAlive(_ a: AliveMessage) -> Bool {
        guard !a.node.isEmpty, a.node.utf8.count <= config.maxNameBytes else { return false }
        guard (a.meta?.count ?? 0) <= config.maxMetaBytes else { return false }
        guard let ip = a.addr, ip.count == 4 || ip.count == 16, ip.contains(where: { $0 != 0 }), a.port != 0 else { return false }
        guard let v = a.vsn, v.count >= 6 else { return false }
        let vector = VersionVector(v)
        guard vector.pMin >= 1, vector.pMin <= vector.pMax, (vector.pMin...vector.pMax).contains(vector.pCur) else { return false }
        return vector.dMin <= vector.dMax
    }

    mutating func aliveNode(_ a: AliveMessage, now: Int64, bootstrap: Bool) {
        if hasLeft && a.node == name { return }
        if a.node.isEmpty { return }
        if !bootstrap && !isValidAlive(a) {
            stats.membersRejectedInvalid += 1
            return
        }
        if memberMap[a.node] == nil && a.node != name && memberMap.count >= config.maxMembers {
            stats.membersRejectedFull += 1
            return
        }
        let vsnBytes = a.vsn ?? []
        if vsnBytes.count >= 3 {
            if vsnBytes[0] == 0 || vsnBytes[1] == 0 || vsnBytes[0] > vsnBytes[1] { return }
        }
        // Go indexes Vsn[0...5] unguarded: 1–5 bytes would panic there; drop instead.
        if !vsnBytes.isEmpty && vsnBytes.count < 6 { return }
        let addr = GossipAddress(ip: a.addr ?? [], port: a.port)
        var updatesNode = false
        var state: GossipMember
        var isNew = false
        if let s = memberMap[a.node] {
            state = s
            if s.address != addr {
                let canReclaim = config.deadNodeReclaimTime > 0 && now - s.stateChange > config.deadNodeReclaimTime
                if s.status == .left || (s.status == .dead && canReclaim) {
                    updatesNode = true
                } else {
                    return // conflicting address
                }
            }
        } else {
            state = GossipMember(name: a.node, address: addr, incarnation: 0, status: .dead, meta: a.meta,
                                 vsn: VersionVector(vsnBytes), stateChange: now)
            isNew = true
        }
        let isLocal = a.node == name
        if !isNew || isLocal {
            if a.incarnation <= state.incarnation && !isLocal && !updatesNode { return }
            if a.incarnation < state.incarnation && isLocal { return }
        }
        if isNew {
            memberMap[a.node] = state
            let n = nodeOrder.count
            let off = rng.below(n + 1)
            nodeOrder.append(a.node)
            if off < n { nodeOrder.swapAt(off, n) }
        }
        suspicions.removeValue(forKey: a.node)
        let oldStatus = isNew ? MemberStatus.dead : state.status
        let oldMeta = state.meta
        if !bootstrap && isLocal {
            if a.incarnation == state.incarnation && bytesEqual(a.meta, state.meta) && vsnBytes == state.vsn.bytes {
                return
            }
            refute(accused: a.incarnation)
            return
        }
        memberQueue.queue(GossipMessage.alive(a).encoded(), key: a.node)
        if vsnBytes.count >= 6 { state.vsn = VersionVector(vsnBytes) }
        state.incarnation = a.incarnation
        state.meta = a.meta
        state.address = addr
        if state.status != .alive {
            state.status = .alive
            state.stateChange = now
        }
        if isNew || oldStatus == .dead || oldStatus == .left { state.leaving = false }
        memberMap[a.node] = state
        failedMembers.removeValue(forKey: a.node)
        if isNew || oldStatus != .alive || !bytesEqual(oldMeta, state.meta) {
            out.append(.memberChanged(state))
        }
    }

    mutating func suspectNode(_ s: SuspectMessage, now: Int64) {
        guard var state = memberMap[s.node] else { return }
        if s.incarnation < state.incarnation { return }
        if var timer = suspicions[s.node] {
            if timer.confirm(from: s.from, now: now) {
                suspicions[s.node] = timer
                memberQueue.queue(GossipMessage.suspect(s).encoded(), key: s.node)
            }
            return
        }
        if state.status != .alive { return }
        if state.name == name {
            refute(accused: s.incarnation)
            return
        }
        memberQueue.queue(GossipMessage.suspect(s).encoded(), key: s.node)
        state.incarnation = s.incarnation
        state.status = .suspect
        state.stateChange = now
        memberMap[s.node] = state
        var k = config.suspicionMult - 2
        let n = estimatedNodes
        if n - 2 < k { k = 0 }
        let minT = Suspicion.timeout(suspicionMult: config.suspicionMult, n: n, interval: config.probeInterval)
        let maxT = Int64(config.suspicionMaxTimeoutMult) * minT
        suspicions[s.node] = Suspicion(from: s.from, k: k, min: minT, max: maxT, now: now)
        out.append(.memberChanged(state))
    }

    mutating func deadNode(_ d: DeadMessage, now: Int64) {
        guard var state = memberMap[d.node] else { return }
        if d.incarnation < state.incarnation { return }
        suspicions.removeValue(forKey: d.node)
        if state.isDeadOrLeft { return }
        if state.name == name {
            if !hasLeft {
                refute(accused: d.incarnation)
                return
            }
        }
        memberQueue.queue(GossipMessage.dead(d).encoded(), key: d.node)
        state.incarnation = d.incarnation
        state.status = d.node == d.from ? .left : .dead
        state.stateChange = now
        memberMap[d.node] = state
        if state.status == .dead && !state.leaving && d.node != name {
            failedMembers[d.node] = (state.address, now)
        } else {
            failedMembers.removeValue(forKey: d.node)
        }
        out.append(.memberChanged(state))
    }
}

/// Go's `bytes.Equal`: nil and empty are equal.
@inline(__always)
func bytesEqual(_ a: [UInt8]?, _ b: [UInt8]?) -> Bool {
    (a ?? []) == (b ?? [])
}
