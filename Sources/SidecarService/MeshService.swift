import Foundation
import Gossip
import GossipNIO
import Logging
import Metrics
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The gossip mesh of one sidecar: the pure `GossipNode` (SWIM/Lifeguard, memberlist wire)
/// driven over `GossipTransport` (UDP+TCP on one port, serf keyring).
///
/// - Joins its seeds at start and retries with backoff until it has a peer.
/// - Publishes this host's load every gossip round (`LoadReportCodec`, as a load digest user
///   message) and, at a bounded rate, a summary as Serf tags in its Meta (`serf members` shows it).
/// - Keeps each peer's latest report (never summed); reports expire.
/// - On graceful shutdown: serf leave intent, then dead-for-self, so peers show `left`.
public final class MeshService: Service, MeshDirectory, Sendable {
    public struct Settings: Sendable {
        public var name: String
        public var bindHost: String
        public var bindPort: Int
        public var advertise: (host: String, port: Int)?
        public var seeds: [(host: String, port: Int)]
        public var keyring: GossipKeyring?
        public var tags: [String: String]
        /// How often the load summary in the Serf tags may change.
        public var metaUpdateInterval: Duration = .seconds(5)
        /// Reports older than this are dropped from the view.
        public var loadExpiry: Duration = .seconds(10)
        public var gossip: GossipConfig = .lan
        /// Inbound gossip streams served at once (more are closed on accept).
        public var maxStreams = 64

        public init(name: String, bindHost: String, bindPort: Int, advertise: (host: String, port: Int)? = nil,
                    seeds: [(host: String, port: Int)], keyring: GossipKeyring?, tags: [String: String]) {
            self.name = name
            self.bindHost = bindHost
            self.bindPort = bindPort
            self.advertise = advertise
            self.seeds = seeds
            self.keyring = keyring
            self.tags = tags
            // A sidecar's SIGTERM should show `left` on peers within a second, like `serf leave`.
            gossip.leavePropagateDelay = 200 * GossipConfig.millisecond
        }
    }

    private struct Peers {
        var loads: [String: HostLoad] = [:]
        var joined = false
    }

    private let settings: Settings
    private let load: @Sendable () -> HostLoad
    private let logger: Logger
    private let transport: GossipTransport
    private let node: Mutex<GossipNode?> = Mutex(nil)
    private let peers = Mutex(Peers())
    private let epoch = ContinuousClock.now
    private let membersGauge = [
        "alive": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "alive")]),
        "suspect": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "suspect")]),
        "dead": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "dead")]),
        "left": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "left")]),
    ]
    private let memberEvents = Counter(label: "sessionmesh_gossip_member_changes_total")
    private let probes = Counter(label: "sessionmesh_gossip_probes_total")
    private let suspicionsTotal = Counter(label: "sessionmesh_gossip_suspicions_total")
    private let suspicionsNow = Gauge(label: "sessionmesh_gossip_suspicions")
    private let traffic = [
        "bytes_sent": Counter(label: "sessionmesh_gossip_bytes_sent_total"),
        "bytes_received": Counter(label: "sessionmesh_gossip_bytes_received_total"),
        "packets_sent": Counter(label: "sessionmesh_gossip_packets_sent_total"),
        "packets_received": Counter(label: "sessionmesh_gossip_packets_received_total"),
        "packet_errors": Counter(label: "sessionmesh_gossip_packet_errors_total"),
        "refutations": Counter(label: "sessionmesh_gossip_refutations_total"),
    ]
    private let lastStats = Mutex<GossipStats?>(nil)
    /// What was last logged per member: only real changes go out at info (`MemberChangeLog`).
    private let changeLog = Mutex(MemberChangeLog())
    /// The timer loop sleeps until the node's next deadline; node changes from packets and
    /// streams wake it when they bring that deadline forward.
    private let sleeper = DeadlineSleeper()

    public init(settings: Settings, logger: Logger, load: @escaping @Sendable () -> HostLoad) {
        self.settings = settings
        self.logger = logger
        self.load = load
        var config = GossipTransportConfig()
        config.host = settings.bindHost
        config.port = settings.bindPort
        config.keyring = settings.keyring
        config.maxConcurrentStreams = settings.maxStreams
        config.maxStreamMessageSize = Self.maxStreamMessageSize(maxMembers: settings.gossip.maxMembers)
        config.maxTotalStreamBufferBytes = Self.maxTotalStreamBufferBytes(maxMembers: settings.gossip.maxMembers)
        transport = GossipTransport(config: config, logger: logger)
    }

    /// The largest push/pull a mesh of `maxMembers` needs: a member's state is at most ~850 bytes
    /// (name ≤ 255, Meta ≤ 512, address, versions, incarnation, field names), so 1 KiB each,
    /// plus 256 KiB for serf's user state (Lamport times per member, recent events and queries).
    /// 1024 members: 1.25 MiB (memberlist allows 20 MiB).
    static func maxStreamMessageSize(maxMembers: Int) -> Int {
        256 * 1024 + max(1, maxMembers) * 1024
    }

    /// Read buffers of all gossip streams together: room for about three full-size push/pulls at
    /// once (a 10-node mesh's push/pull is ~5 KB), and never less than 4 MiB.
    static func maxTotalStreamBufferBytes(maxMembers: Int) -> Int {
        max(4 * 1024 * 1024, 3 * maxStreamMessageSize(maxMembers: maxMembers))
    }

    // MARK: MeshDirectory

    public var isJoined: Bool { settings.seeds.isEmpty || peers.withLock { $0.joined } }

    public func members() -> [MeshMember] {
        let snapshot = node.withLock { $0?.members } ?? []
        let loads = peers.withLock { $0.loads }
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let expiry = Int64(settings.loadExpiry.components.seconds * 1000)
        return snapshot.map { m in
            let isLocal = m.name == settings.name
            var report = isLocal ? load() : loads[m.name]
            if let r = report, nowMs - r.timestamp > expiry { report = nil }
            return MeshMember(
                name: m.name, address: "\(m.address)", status: MeshMember.Status(m),
                incarnation: m.incarnation, tags: m.tags ?? [:], load: report,
                loadAge: report.map { Double(nowMs - $0.timestamp) / 1000 }, isLocal: isLocal)
        }
    }

    /// The bound gossip address (after `run` started).
    public var boundAddress: SocketAddress? { transport.localAddress }

    // MARK: Service

    public func run() async throws {
        let bound = try await transport.bind()
        let address = try Self.advertiseAddress(configured: settings.advertise, bound: bound)
        let meta = try Self.meta(settings.tags)
        node.withLock {
            var n = GossipNode(config: settings.gossip, name: settings.name, address: address, meta: meta, now: now(),
                               seed: UInt64.random(in: 1...UInt64.max))
            // Deciseconds since 2025-01-01 (10/s, faster than the 5/s publish rate): a restarted
            // sidecar's reports are newer than its previous life's, so peers take them at once.
            n.startLoadSequence(at: UInt32(truncatingIfNeeded: Int64((Date().timeIntervalSince1970 - 1_735_689_600) * 10)))
            $0 = n
        }
        transport.setStreamHandler { [weak self] bytes, from in await self?.handleStream(bytes, from: from) }
        logger.notice("gossip mesh listening", metadata: ["bind": "\(bound)", "advertise": "\(address)", "node": "\(settings.name)"])

        // The transport must outlive our graceful shutdown (the leave goes out through it),
        // so it runs detached from the group's shutdown signal and is cancelled after the leave.
        let transport = self.transport
        let transportTask = Task.detached { try await transport.run() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.receiveLoop() }
            group.addTask { await self.timerLoop() }
            group.addTask { await self.joinLoop() }
            try? await gracefulShutdown()
            await self.leave()
            group.cancelAll()
        }
        transportTask.cancel()
        _ = try? await transportTask.value
    }

    // MARK: Loops

    private func receiveLoop() async {
        for await packet in transport.packets {
            guard let from = Self.gossipAddress(packet.from) else { continue }
            let (effects, errors) = withNode { n -> ([GossipEffect], Int) in
                let before = n.stats.packetErrors
                let effects = n.receivePacket(packet.bytes, from: from, now: now())
                return (effects, n.stats.packetErrors - before)
            } ?? ([], 0)
            if errors > 0 { logMalformed(from: from, size: packet.bytes.count) }
            await execute(effects)
        }
    }

    private func timerLoop() async {
        var nextLoad = ContinuousClock.now
        var nextMeta = ContinuousClock.now + settings.metaUpdateInterval
        var lastSummary = ""
        while !Task.isCancelled {
            let t = now()
            if ContinuousClock.now >= nextLoad {
                let payload = LoadReportCodec.encode(load())
                node.withLock { $0?.setLocalLoad(payload, now: t) }
                nextLoad = ContinuousClock.now + .milliseconds(Int(settings.gossip.gossipInterval / GossipConfig.millisecond))
            }
            if ContinuousClock.now >= nextMeta {
                nextMeta = ContinuousClock.now + settings.metaUpdateInterval
                let summary = Self.loadSummary(load())
                if summary != lastSummary, let meta = try? Self.meta(settings.tags.merging(["load": summary]) { $1 }) {
                    lastSummary = summary
                    await execute(node.withLock { $0?.updateMeta(meta, now: t) ?? [] })
                }
            }
            let effects = node.withLock { $0?.tick(now: t) ?? [] }
            await execute(effects)
            exportStats()
            // Sleep until the earliest of: the node's next deadline, the next load refresh, the
            // next meta update. Packets and streams that bring the node's deadline forward wake
            // the sleep early (`withNode`), so there is no polling.
            let after = now()
            var deadline = node.withLock { $0?.nextDeadline } ?? (after + 50 * GossipConfig.millisecond)
            deadline = min(deadline, after + Self.nanoseconds(nextLoad - ContinuousClock.now))
            deadline = min(deadline, after + Self.nanoseconds(nextMeta - ContinuousClock.now))
            let wait = min(max(1 * GossipConfig.millisecond, deadline - after), 1 * GossipConfig.second)
            await sleeper.sleep(nanoseconds: wait, until: after + wait)
        }
    }

    /// Joins the seeds; retries with exponential backoff (1 s … 30 s) until a peer is known.
    private func joinLoop() async {
        guard !settings.seeds.isEmpty else { return }
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            // Name resolution blocks (getaddrinfo): run it on NIO's blocking-I/O pool.
            let names = settings.seeds.map { ($0.host, $0.port) }
            let seeds = (try? await NIOThreadPool.singleton.runIfActive {
                names.compactMap { Self.resolve(host: $0.0, port: $0.1) }
            }) ?? []
            await execute(withNode { $0.join(seeds: seeds, now: now()) } ?? [])
            try? await Task.sleep(for: .milliseconds(500))
            if (node.withLock { $0?.members.count ?? 0 }) > 1 {
                peers.withLock { $0.joined = true }
                logger.notice("joined the mesh", metadata: ["members": "\(node.withLock { $0?.members.count ?? 0 })"])
                return
            }
            logger.warning("join failed; retrying", metadata: ["seeds": "\(settings.seeds.map { "\($0.host):\($0.port)" })", "backoff": "\(backoff)"])
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Serf leave intent, then dead-for-self once it has spread; waits (bounded) until gossiped.
    private func leave() async {
        await execute(node.withLock { $0?.leave(now: now()) ?? [] })
        let deadline = ContinuousClock.now + .milliseconds(1500)
        while ContinuousClock.now < deadline {
            if node.withLock({ $0?.isLeaveComplete ?? true }) { break }
            await execute(node.withLock { $0?.tick(now: now()) ?? [] })
            try? await Task.sleep(for: .milliseconds(20))
        }
        logger.notice("left the mesh")
    }

    // MARK: Effects

    private func execute(_ effects: [GossipEffect]) async {
        // All packets of one batch of effects go out with one hop to the event loop.
        var packets: [(bytes: [UInt8], to: SocketAddress)] = []
        for case .sendPacket(let bytes, let to) in effects {
            if bytes.first == 0 { probes.increment() }  // a bare pingMsg is a probe
            if let address = Self.socketAddress(to) { packets.append((bytes, address)) }
        }
        do {
            for failure in try await transport.send(batch: packets) {
                logger.debug("gossip send failed", metadata: ["to": "\(failure.to)", "error": "\(failure.error)"])
            }
        } catch {
            logger.debug("gossip send failed", metadata: ["packets": "\(packets.count)", "error": "\(error)"])
        }
        for effect in effects {
            switch effect {
            case .sendPacket:
                break  // sent above
            case .openStream(let request):
                Task { await self.stream(request) }
            case .memberChanged(let member):
                memberEvents.increment()
                if member.status == .suspect { suspicionsTotal.increment() }
                let significant = changeLog.withLock { $0.record(member) }
                logger.log(level: significant ? .info : .debug, "member changed",
                           metadata: ["node": "\(member.name)", "status": "\(member.serfStatus)", "address": "\(member.address)"])
                if member.isDeadOrLeft { _ = peers.withLock { $0.loads.removeValue(forKey: member.name) } }
                updateMemberGauges()
            case .userMessage:
                break  // serf user events and queries are not used by the sidecar
            case .loadReport(let origin, _, let payload):
                guard origin != settings.name else { continue }
                if let report = LoadReportCodec.decode(payload) {
                    peers.withLock { $0.loads[origin] = report }
                } else {
                    logger.debug("undecodable load report dropped", metadata: ["origin": "\(origin)"])
                }
            }
        }
    }

    private func stream(_ request: StreamRequest) async {
        guard let address = Self.socketAddress(request.to) else {
            await execute(withNode { $0.streamFailed(id: request.id, now: now()) } ?? [])
            return
        }
        do {
            let reply = try await transport.exchange(to: address, bytes: request.bytes, timeout: .nanoseconds(request.timeout))
            guard let (message, _) = try StreamCodec.decode(reply, maxBytes: transport.config.maxStreamMessageSize) else {
                throw MeshError("truncated stream reply")
            }
            await execute(withNode { $0.receiveStreamReply(id: request.id, message, now: now()) } ?? [])
        } catch {
            logger.debug("gossip stream failed", metadata: ["to": "\(request.to)", "error": "\(error)"])
            await execute(withNode { $0.streamFailed(id: request.id, now: now()) } ?? [])
        }
    }

    /// Decompressed bytes inbound streams may still produce in the current second.
    private let streamDecompressBudget = Mutex<(left: Int, since: ContinuousClock.Instant)>((MeshService.streamDecompressPerSecond, .now))
    /// 16 MiB a second: a dozen full-size compressed push/pulls, far above what a mesh sends
    /// (each node starts one push/pull every 30 s).
    static let streamDecompressPerSecond = 16 << 20

    private func handleStream(_ bytes: [UInt8], from: SocketAddress?) async -> [UInt8]? {
        guard let from = from.flatMap(Self.gossipAddress) else { return nil }
        let maxBytes = transport.config.maxStreamMessageSize
        let allowance = streamDecompressBudget.withLock { b -> Int in
            if ContinuousClock.now - b.since >= .seconds(1) { b = (Self.streamDecompressPerSecond, .now) }
            return min(maxBytes, b.left)
        }
        if bytes.first == 9, allowance <= 0 {
            Counter(label: "sessionmesh_gossip_rejected_total", dimensions: [("reason", "decompress_budget")]).increment()
            logRejected(reason: "decompress_budget", count: 1)
            return nil
        }
        do {
            var decompressed = 0
            defer { if decompressed > 0 { streamDecompressBudget.withLock { $0.left -= decompressed } } }
            guard let (message, _) = try StreamCodec.decode(bytes, maxBytes: maxBytes, maxDecompressed: allowance,
                                                            decompressed: &decompressed) else { return nil }
            let (reply, effects) = withNode { $0.receiveStream(message, from: from, now: now()) } ?? (nil, [])
            await execute(effects)
            return reply
        } catch {
            // A bomb that hit the allowance cost that much work: charge it.
            if case StreamError.lzw(.outputTooLarge) = error { streamDecompressBudget.withLock { $0.left -= allowance } }
            logger.info("malformed gossip stream dropped", metadata: ["from": "\(from)", "error": "\(error)"])
            return nil
        }
    }

    /// Mirrors the node's traffic counters into metrics (by delta since the last export).
    private func exportStats() {
        guard let (stats, suspected) = node.withLock({ n in n.map { ($0.stats, $0.suspicions.count) } }) else { return }
        guard let last = lastStats.withLock({ l in defer { l = stats }; return l }) else { return }
        let deltas = [("bytes_sent", stats.bytesSent - last.bytesSent), ("bytes_received", stats.bytesReceived - last.bytesReceived),
                      ("packets_sent", stats.packetsSent - last.packetsSent), ("packets_received", stats.packetsReceived - last.packetsReceived),
                      ("packet_errors", stats.packetErrors - last.packetErrors), ("refutations", stats.refutations - last.refutations)]
        for (name, delta) in deltas where delta > 0 { traffic[name]?.increment(by: delta) }
        suspicionsNow.record(suspected)
        let rejected = [("invalid", stats.membersRejectedInvalid - last.membersRejectedInvalid),
                        ("table_full", stats.membersRejectedFull - last.membersRejectedFull),
                        ("decompress_budget", stats.decompressBudgetExceeded - last.decompressBudgetExceeded)]
        for (reason, delta) in rejected where delta > 0 {
            Counter(label: "sessionmesh_gossip_rejected_total", dimensions: [("reason", reason)]).increment(by: delta)
            logRejected(reason: reason, count: delta)
        }
    }

    private let malformedLogged = Mutex<(count: Int, since: ContinuousClock.Instant)>((0, .now))

    /// One log line per malformed packet, at most 10 per second (a flood must not flood the log).
    private func logMalformed(from: GossipAddress, size: Int) {
        let allowed = malformedLogged.withLock { s -> Bool in
            if ContinuousClock.now - s.since > .seconds(1) { s = (0, .now) }
            s.count += 1
            return s.count <= 10
        }
        if allowed { logger.warning("malformed gossip packet dropped", metadata: ["from": "\(from)", "bytes": "\(size)"]) }
    }

    private let rejectedLogged = Mutex<ContinuousClock.Instant?>(nil)

    /// At most one line per 10 s: what gossip input was dropped and why.
    private func logRejected(reason: String, count: Int) {
        let allowed = rejectedLogged.withLock { last -> Bool in
            if let l = last, ContinuousClock.now - l < .seconds(10) { return false }
            last = .now
            return true
        }
        guard allowed else { return }
        let what = switch reason {
        case "invalid": "alive messages without a valid address, port or protocol version (or an over-long name or Meta)"
        case "table_full": "alive messages for new members: the member table is full (maxGossipMembers \(settings.gossip.maxMembers))"
        default: "compressed gossip packets or streams: the decompression budget per packet or per second is spent"
        }
        logger.warning("gossip input dropped", metadata: ["dropped": "\(count)", "what": "\(what)"])
    }

    private func updateMemberGauges() {
        let members = node.withLock { $0?.members } ?? []
        for (state, gauge) in membersGauge {
            gauge.record(members.filter { MeshMember.Status($0).rawValue == state }.count)
        }
    }

    // MARK: Helpers

    /// Runs `body` on the node (nil before `run` created it) and wakes the timer loop if the
    /// node's next deadline is now earlier than the loop sleeps.
    private func withNode<T>(_ body: (inout GossipNode) -> T) -> T? {
        let (result, deadline) = node.withLock { n -> (T?, Int64) in
            guard n != nil else { return (nil, .max) }
            let result = body(&n!)
            return (result, n!.nextDeadline)
        }
        if result != nil { sleeper.wake(ifSleepingPast: deadline) }
        return result
    }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    private func now() -> Int64 {
        Self.nanoseconds(ContinuousClock.now - epoch)
    }

    static func meta(_ tags: [String: String]) throws -> [UInt8] {
        do { return try SerfTags.encode(tags) } catch { throw MeshError("serf tags do not fit in 512 bytes of Meta: \(error)") }
    }

    /// `if=3 lat=1.2ms s=40 cpu=12% err=0%`: what `serf members` shows in the `load` tag.
    static func loadSummary(_ l: HostLoad) -> String {
        "if=\(l.inFlight) lat=\(oneDecimal(l.latencyMs))ms s=\(l.sessions) cpu=\(Int(l.cpu * 100))% err=\(Int(l.errorRate * 100))%"
    }

    /// `%.1f` for a non-negative value, without Foundation's formatter (this runs every few seconds).
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0.0" }
        let tenths = Int((min(value, 1e12) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The address peers should use: the configured one (a name is resolved), else the bound
    /// one; for a wildcard bind (0.0.0.0), the first private IPv4 interface address, as memberlist
    /// does. Throws if none fits.
    static func advertiseAddress(configured: (host: String, port: Int)?, bound: SocketAddress) throws -> GossipAddress {
        if let configured {
            guard let a = resolve(host: configured.host, port: configured.port) else {
                throw MeshError("cannot resolve the gossip advertise address \(configured.host):\(configured.port)")
            }
            return a
        }
        if let a = gossipAddress(bound), a.ip.contains(where: { $0 != 0 }) { return a }
        let port = UInt16(bound.port ?? 0)
        let candidates = ((try? System.enumerateDevices()) ?? []).compactMap { device -> [UInt8]? in
            guard let address = device.address, let g = gossipAddress(address), g.ip.count == 4, g.ip[0] != 127 else { return nil }
            return g.ip
        }
        let isPrivate: ([UInt8]) -> Bool = { ip in
            ip[0] == 10 || (ip[0] == 172 && (16...31).contains(ip[1])) || (ip[0] == 192 && ip[1] == 168)
        }
        guard let ip = candidates.first(where: isPrivate) ?? candidates.first else {
            throw MeshError("gossip is bound to a wildcard address and no interface address was found: set --gossip-advertise")
        }
        return GossipAddress(ip: ip, port: port)
    }

    /// A seed or advertise address: an IP literal, or a host name resolved now (seeds are
    /// resolved on every join attempt, so a name that appears later still works).
    static func resolve(host: String, port: Int) -> GossipAddress? {
        if let literal = gossipAddress(host: host, port: port) { return literal }
        return (try? SocketAddress.makeAddressResolvingHost(host, port: port)).flatMap(gossipAddress)
    }

    static func gossipAddress(host: String, port: Int) -> GossipAddress? {
        guard let a = try? SocketAddress(ipAddress: host, port: port) else { return nil }
        return gossipAddress(a)
    }

    static func gossipAddress(_ a: SocketAddress) -> GossipAddress? {
        switch a {
        case .v4(let v4):
            let ip = v4.address.sin_addr.s_addr.bigEndian
            return GossipAddress(ip: [UInt8(ip >> 24), UInt8(ip >> 16 & 0xff), UInt8(ip >> 8 & 0xff), UInt8(ip & 0xff)],
                                 port: UInt16(a.port ?? 0))
        case .v6(let v6):
            let ip = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            return GossipAddress(ip: ip, port: UInt16(a.port ?? 0))
        default:
            return nil
        }
    }

    static func socketAddress(_ a: GossipAddress) -> SocketAddress? {
        if a.ip.count == 4 { return try? SocketAddress(ipAddress: a.ip.map(String.init).joined(separator: "."), port: Int(a.port)) }
        let text = "\(a)"
        guard let close = text.lastIndex(of: "]") else { return nil }
        return try? SocketAddress(ipAddress: String(text[text.index(after: text.startIndex)..<close]), port: Int(a.port))
    }
}

public struct MeshError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
