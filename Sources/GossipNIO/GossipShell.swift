import Gossip
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The shell around the pure `GossipNode`: one actor owns the node and runs what it asks for.
///
/// Inputs (UDP packets from the transport, inbound TCP streams, replies of the streams it
/// opened, timers, joins) each change the node in one step on this actor and yield effects;
/// `execute` runs them with one `switch` per effect: packets go out in one batch, streams are
/// dialled, member changes and load reports update the published `GossipView`.
///
/// - One clock (`GossipClock`): the node's `now`, the timer and every wait read it.
/// - The timer sleeps until the node's next deadline; an input that brings that deadline
///   forward ends the sleep early, so there is no polling.
/// - Publishes this host's load every gossip round (`localLoad`, encoded with the codec, as a
///   load digest user message) and, at most every `metaUpdateInterval`, the tags the embedder
///   derives from it in the Meta (`serf members` shows them).
/// - Each peer's load is decoded once, on arrival; a peer's latest load only (never summed).
/// - On graceful shutdown: serf leave intent, then dead-for-self, so peers show `left`.
public actor GossipShell<Load: Sendable & Equatable>: Service {
    /// The load's wire form (≤ 255 bytes). Decode returns nil for anything malformed.
    public struct LoadCodec: Sendable {
        public var encode: @Sendable (Load) -> [UInt8]
        public var decode: @Sendable ([UInt8]) -> Load?
        public init(encode: @escaping @Sendable (Load) -> [UInt8], decode: @escaping @Sendable ([UInt8]) -> Load?) {
            self.encode = encode
            self.decode = decode
        }
    }

    public nonisolated let settings: GossipShellSettings
    public nonisolated let transport: GossipTransport
    private nonisolated let clock: any GossipClock
    private nonisolated let codec: LoadCodec
    private nonisolated let localLoad: @Sendable () -> Load
    private nonisolated let refreshedTags: @Sendable (Load) -> [String: String]
    private nonisolated let observer: (any GossipShellObserver)?
    private nonisolated let publish: @Sendable (GossipView<Load>) -> Void
    private nonisolated let logger: Logger

    private var node: GossipNode?
    private var view = GossipView<Load>()
    private var viewChanged = false
    /// When the view was last published (a load-only change waits until `loadPublishInterval` after it).
    private var lastPublishAt: Int64 = .min
    private var membersChanged = false
    /// Members changed in the current batch of effects, reported after the view is published.
    private var changedMembers: [GossipMember] = []
    /// The timer's current sleep and the deadline it ends at (`.max`: not sleeping).
    private var sleeper: Task<Void, Never>?
    private var sleepingUntil: Int64 = .max
    private var nextLoadAt: Int64 = 0
    private var nextMetaAt: Int64 = 0
    private var lastTags: [String: String]
    /// Decompressed bytes inbound streams may still produce in the current second, and its start.
    private var streamBudget: (left: Int, since: Int64) = (0, .min)
    /// Malformed packets logged in the current second, and its start.
    private var malformedLogged: (count: Int, since: Int64) = (0, .min)

    /// - Parameters:
    ///   - localLoad: this host's load now (read every gossip round).
    ///   - refreshedTags: the full tag set for a Meta refresh, given the current load; the Meta
    ///     changes only when it differs from the last one.
    ///   - publish: receives every new view (on this actor: keep it quick).
    public init(settings: GossipShellSettings, clock: any GossipClock = ContinuousGossipClock(), codec: LoadCodec,
                logger: Logger, observer: (any GossipShellObserver)? = nil,
                localLoad: @escaping @Sendable () -> Load,
                refreshedTags: @escaping @Sendable (Load) -> [String: String],
                publish: @escaping @Sendable (GossipView<Load>) -> Void) {
        self.settings = settings
        self.clock = clock
        self.codec = codec
        self.logger = logger
        self.observer = observer
        self.localLoad = localLoad
        self.refreshedTags = refreshedTags
        self.publish = publish
        self.lastTags = settings.tags
        transport = GossipTransport(config: settings.transportConfig, logger: logger)
    }

    /// The latest published view.
    public var currentView: GossipView<Load> { view }

    // MARK: Service

    public func run() async throws {
        let bound = try await transport.bind()
        // Name resolution and the interface scan block: NIO's blocking-I/O pool.
        let configured = settings.advertise
        let address = try await NIOThreadPool.singleton.runIfActive {
            try GossipAddressResolution.advertiseAddress(configured: configured, bound: bound)
        }
        let meta = try Self.meta(settings.tags)
        let now = clock.nanoseconds
        var n = GossipNode(config: settings.gossip, name: settings.name, address: address, meta: meta, now: now,
                           seed: UInt64.random(in: 1...UInt64.max))
        n.startLoadSequence(at: settings.loadSequenceStart)
        node = n
        nextLoadAt = now
        nextMetaAt = now + Self.nanoseconds(settings.metaUpdateInterval)
        view.localName = settings.name
        view.joined = settings.seeds.isEmpty
        membersChanged = true
        publishIfChanged()
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

    // MARK: Inputs

    private func receiveLoop() async {
        for await packet in transport.packets {
            guard let from = GossipAddress(packet.from), node != nil else { continue }
            let errorsBefore = node!.stats.packetErrors
            let effects = node!.receivePacket(packet.bytes, from: from, now: clock.nanoseconds)
            if node!.stats.packetErrors > errorsBefore { logMalformed(from: from, size: packet.bytes.count) }
            wakeTimerIfDue()
            await execute(effects)
        }
    }

    private func timerLoop() async {
        while !Task.isCancelled {
            await timerRound()
            await sleepUntilNextDeadline()
        }
    }

    /// Load refresh, Meta refresh, then every node timer that is due.
    private func timerRound() async {
        guard node != nil else { return }
        let t = clock.nanoseconds
        var effects: [GossipEffect] = []
        if t >= nextLoadAt {
            let load = localLoad()
            node!.setLocalLoad(codec.encode(load), now: t)
            setLoad(load, of: settings.name)
            nextLoadAt = t + settings.gossip.gossipInterval
        }
        if t >= nextMetaAt {
            nextMetaAt = t + Self.nanoseconds(settings.metaUpdateInterval)
            let tags = refreshedTags(view.loads[settings.name] ?? localLoad())
            if tags != lastTags, let meta = try? Self.meta(tags) {
                lastTags = tags
                effects += node!.updateMeta(meta, now: t)
            }
        }
        effects += node!.tick(now: t)
        await execute(effects)
        if let node { observer?.statsUpdated(node.stats, suspicions: node.suspicions.count) }
    }

    /// Joins the seeds; retries with exponential backoff (1 s … 30 s) until a peer is known.
    private func joinLoop() async {
        guard !settings.seeds.isEmpty else { return }
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            // Name resolution blocks (getaddrinfo): run it on NIO's blocking-I/O pool.
            let names = settings.seeds
            let seeds = (try? await NIOThreadPool.singleton.runIfActive {
                names.compactMap { GossipAddressResolution.resolve(host: $0.host, port: $0.port) }
            }) ?? []
            await runNode { $0.join(seeds: seeds, now: $1) }
            await wait(.milliseconds(500))
            if let count = node?.memberMap.count, count > 1 {
                view.joined = true
                membersChanged = true  // published at once, like a member change
                publishIfChanged()
                logger.notice("joined the mesh", metadata: ["members": "\(count)"])
                return
            }
            if Task.isCancelled { return }
            logger.warning("join failed; retrying", metadata: [
                "seeds": "\(settings.seeds.map { "\($0.host):\($0.port)" })", "backoff": "\(backoff)",
            ])
            await wait(backoff)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Serf leave intent, then dead-for-self once it has spread; waits (bounded) until gossiped.
    private func leave() async {
        await runNode { $0.leave(now: $1) }
        let deadline = clock.nanoseconds + 1500 * GossipConfig.millisecond
        while clock.nanoseconds < deadline, !Task.isCancelled {
            if node?.isLeaveComplete ?? true { break }
            await runNode { $0.tick(now: $1) }
            await wait(.milliseconds(20))
        }
        logger.notice("left the mesh")
    }

    /// An inbound TCP stream: decoded off the actor (it may decompress), within the per-second
    /// decompression budget, then handed to the node. Returns the reply to write, if any.
    private nonisolated func handleStream(_ bytes: [UInt8], from: SocketAddress?) async -> [UInt8]? {
        guard let from = from.flatMap({ GossipAddress($0) }) else { return nil }
        let maxBytes = transport.config.maxStreamMessageSize
        let allowance = await streamAllowance(max: maxBytes)
        if bytes.first == 9, allowance <= 0 {
            observer?.inputRejected(reason: "decompress_budget", count: 1)
            return nil
        }
        var decompressed = 0
        do {
            guard let (message, _) = try StreamCodec.decode(bytes, maxBytes: maxBytes, maxDecompressed: allowance,
                                                            decompressed: &decompressed) else { return nil }
            await chargeStreamBudget(decompressed)
            return await receiveStream(message, from: from)
        } catch {
            // A bomb that hit the allowance cost that much work: charge it.
            if case StreamError.lzw(.outputTooLarge) = error { decompressed = allowance }
            await chargeStreamBudget(decompressed)
            logger.info("malformed gossip stream dropped", metadata: ["from": "\(from)", "error": "\(error)"])
            return nil
        }
    }

    private func receiveStream(_ message: StreamMessage, from: GossipAddress) async -> [UInt8]? {
        guard node != nil else { return nil }
        let (reply, effects) = node!.receiveStream(message, from: from, now: clock.nanoseconds)
        wakeTimerIfDue()
        await execute(effects)
        return reply
    }

    private func streamAllowance(max maxBytes: Int) -> Int {
        let t = clock.nanoseconds
        if streamBudget.since == .min || t - streamBudget.since >= GossipConfig.second {
            streamBudget = (settings.streamDecompressPerSecond, t)
        }
        return min(maxBytes, streamBudget.left)
    }

    private func chargeStreamBudget(_ bytes: Int) {
        if bytes > 0 { streamBudget.left -= bytes }
    }

    /// A stream the node asked for: dial, write, read one reply, hand it back (or report failure).
    private nonisolated func stream(_ request: StreamRequest) async {
        guard let address = request.to.socketAddress else {
            await runNode { $0.streamFailed(id: request.id, now: $1) }
            return
        }
        do {
            let reply = try await transport.exchange(to: address, bytes: request.bytes, timeout: .nanoseconds(request.timeout))
            guard let (message, _) = try StreamCodec.decode(reply, maxBytes: transport.config.maxStreamMessageSize) else {
                throw GossipShellError("truncated stream reply")
            }
            await runNode { $0.receiveStreamReply(id: request.id, message, now: $1) }
        } catch {
            logger.debug("gossip stream failed", metadata: ["to": "\(request.to)", "error": "\(error)"])
            await runNode { $0.streamFailed(id: request.id, now: $1) }
        }
    }

    // MARK: Effects

    /// Runs `body` on the node at the clock's now (nothing before `run` made the node), wakes
    /// the timer if the node's next deadline moved forward, and executes the effects.
    private func runNode(_ body: @Sendable (inout GossipNode, Int64) -> [GossipEffect]) async {
        guard node != nil else { return }
        let effects = body(&node!, clock.nanoseconds)
        wakeTimerIfDue()
        await execute(effects)
    }

    private func execute(_ effects: [GossipEffect]) async {
        // All packets of one batch go out with one hop to the event loop.
        var packets: [(bytes: [UInt8], to: SocketAddress)] = []
        for effect in effects {
            switch effect {
            case .sendPacket(let bytes, let to):
                if bytes.first == 0 { observer?.probeSent() }  // a bare pingMsg is a probe
                if let address = to.socketAddress { packets.append((bytes, address)) }
            case .openStream(let request):
                Task { await self.stream(request) }
            case .memberChanged(let member):
                membersChanged = true
                changedMembers.append(member)
                if member.isDeadOrLeft, view.loads.removeValue(forKey: member.name) != nil { viewChanged = true }
            case .userMessage:
                break  // serf user events and queries are not used by the sidecar
            case .loadReport(let origin, _, let payload):
                guard origin != settings.name else { continue }
                if let load = codec.decode(payload) {
                    setLoad(load, of: origin)
                } else {
                    logger.debug("undecodable load report dropped", metadata: ["origin": "\(origin)"])
                }
            }
        }
        publishIfChanged()
        guard !packets.isEmpty else { return }
        do {
            for failure in try await transport.send(batch: packets) {
                logger.debug("gossip send failed", metadata: ["to": "\(failure.to)", "error": "\(failure.error)"])
            }
        } catch {
            logger.debug("gossip send failed", metadata: ["packets": "\(packets.count)", "error": "\(error)"])
        }
    }

    // MARK: The view

    private func setLoad(_ load: Load, of member: String) {
        guard view.loads[member] != load else { return }
        view.loads[member] = load
        viewChanged = true
    }

    /// Load-only changes are published at most this often (a peer's report arrives every
    /// gossip round from every member: one view per report would cost O(members) each in a
    /// large mesh); member changes go out at once. The timer round flushes what waits.
    static var loadPublishInterval: Int64 { 100 * GossipConfig.millisecond }

    /// Publishes the view if it changed (a load-only change at most every
    /// `loadPublishInterval`); then reports the changed members.
    private func publishIfChanged() {
        guard viewChanged || membersChanged else { return }
        let t = clock.nanoseconds
        if !membersChanged, lastPublishAt != .min, t - lastPublishAt < Self.loadPublishInterval { return }
        lastPublishAt = t
        if membersChanged, let node {
            view.members = node.members
            view.membersVersion &+= 1
        }
        view.version &+= 1
        viewChanged = false
        membersChanged = false
        publish(view)
        guard !changedMembers.isEmpty else { return }
        let changed = changedMembers
        changedMembers.removeAll()
        for member in changed { observer?.memberChanged(member, members: view.members) }
    }

    // MARK: Timer

    /// Sleeps until the earliest of the node's next deadline, the next load refresh and the
    /// next Meta refresh (at least 1 ms, at most 1 s); `wakeTimerIfDue` ends it early.
    private func sleepUntilNextDeadline() async {
        guard let node else { return }
        let t = clock.nanoseconds
        let due = min(node.nextDeadline, nextLoadAt, nextMetaAt)
        let deadline = min(max(due, t + GossipConfig.millisecond), t + GossipConfig.second)
        let clock = self.clock
        let sleep = Task { _ = try? await clock.sleep(until: deadline) }
        sleeper = sleep
        sleepingUntil = deadline
        await withTaskCancellationHandler { await sleep.value } onCancel: { sleep.cancel() }
        sleeper = nil
        sleepingUntil = .max
    }

    /// Ends the timer's sleep if the node now has something due before it ends.
    private func wakeTimerIfDue() {
        if let node, node.nextDeadline < sleepingUntil { sleeper?.cancel() }
    }

    /// Waits on the shell's clock; returns early when cancelled.
    private func wait(_ d: Duration) async {
        try? await clock.sleep(until: clock.nanoseconds + Self.nanoseconds(d))
    }

    // MARK: Logs and helpers

    /// One log line per malformed packet, at most 10 per second (a flood must not flood the log).
    private func logMalformed(from: GossipAddress, size: Int) {
        let t = clock.nanoseconds
        if malformedLogged.since == .min || t - malformedLogged.since > GossipConfig.second { malformedLogged = (0, t) }
        malformedLogged.count += 1
        if malformedLogged.count <= 10 {
            logger.warning("malformed gossip packet dropped", metadata: ["from": "\(from)", "bytes": "\(size)"])
        }
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    /// Serf tags as Meta; throws if they do not fit in 512 bytes.
    public static func meta(_ tags: [String: String]) throws -> [UInt8] {
        do { return try SerfTags.encode(tags) } catch { throw GossipShellError("serf tags do not fit in 512 bytes of Meta: \(error)") }
    }
}
