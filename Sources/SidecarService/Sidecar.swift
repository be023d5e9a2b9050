import RoutingFrontends
import MeshRouting
import MeshMembers
import LoadSampling
import Foundation
import GossipNIO
import HTTPServing
import Hummingbird
import HummingbirdCore
import Logging
import MemcacheFrontDoor
import MemcacheProtocol
import MemcachedStore
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Replication
import RedisStore
import Routing
import ServiceLifecycle
import SessionCore
import SidecarAPI
import SidecarSettings
import StoreHealth
import StoreShell

/// Composes one sidecar: the store on its thread pool, the API on the Unix socket, metrics,
/// all under a `ServiceGroup` that drains on SIGTERM/SIGINT: stop accepting, finish in-flight
/// requests, then stop the store's threads and remove the socket.
public enum Sidecar {
    /// The `Server` header of every HTTP answer.
    static let serverName = "sessionmesh"

    /// Runs until a shutdown signal. Throws `ConfigError` on a bad configuration.
    /// Once per process: it sizes NIO's singleton event-loop group and bootstraps metrics.
    public static func run(config: SidecarConfig, logger: Logger) async throws {
        if let problem = config.validate() { throw ConfigError(problem) }
        // Every event loop of the process (API, gossip, agent check) is in the singleton group.
        // Few threads that stay busy beat many that sleep and wake: on a 2-core host one loop
        // and one read thread serve the most sessions, and each thread costs idle memory
        // (README, Performance).
        NIOSingletons.groupLoopCountSuggestion = config.eventLoopThreads
        let limits = ListenerLimits(config: config, fdLimit: FileDescriptorLimit.raiseSoftLimit())
        logger.info("file descriptors", metadata: [
            "limit": "\(limits.fdLimit)", "reserve": "\(limits.reserve)", "api_connections": "\(limits.api)",
            "admin_connections": "\(limits.admin)", "agent_connections": "\(limits.agent)", "gossip_streams": "\(limits.gossip)",
        ])
        try checkKeyringPermissions(config.keyring, strict: config.strictKeyringPermissions, logger: logger)
        if let path = config.gossipKeyring {
            try checkKeyringPermissions(path, strict: config.strictKeyringPermissions, logger: logger)
        }
        let keyring: SessionKeyring
        do {
            let text = try String(contentsOfFile: config.keyring, encoding: .utf8)
            keyring = try SessionKeyring(text: text)
        } catch let error as KeyringError {
            throw ConfigError("keyring \(config.keyring): \(error)")
        } catch {
            throw ConfigError("cannot read keyring \(config.keyring): \(error.localizedDescription)")
        }

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let threadPool = NIOThreadPool(numberOfThreads: config.storeThreads)
        threadPool.start()
        let store: ReplicatedRecordStore
        switch config.backend {
        case .memcached:
            store = try ReplicatedRecordStore.memcached(config: config.storeConfig, sealing: RecordSealer(keyring: keyring),
                                                        threadPool: threadPool, logger: logger)
        case .redis:
            store = try ReplicatedRecordStore.redis(config: config.redisStoreConfig(password: config.readRedisPassword()),
                                                    sealing: RecordSealer(keyring: keyring), threadPool: threadPool, logger: logger)
        }
        let wallClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
        let manager = SessionManager(storage: store, policy: config.policy, now: wallClock)
        let load = LoadCounters()
        let activity = SessionActivity()
        let drain = DrainSignal(delay: .milliseconds(config.drainDelayMs))
        // One health model (store quorum with hysteresis) for /readyz, the agent and the load report:
        // an unready sidecar reports itself draining, so every member's weights and nginx file skip it.
        let clock = store.driver.clock
        let readiness = StoreReadiness(holdMs: config.readyHoldMs, now: { clock.monotonicNanos() },
                                       liveQuorum: { store.hasWriteQuorum }, initiallyQuorate: true)
        let monitor = LoadMonitor(counters: load, activity: activity, isDraining: { drain.isDraining || !readiness.isReady })
        let (directory, mesh) = try makeMesh(config: config, monitor: monitor, logger: logger, maxStreams: limits.gossip)

        let engine = RoutingEngine(localName: config.resolvedNodeName, directory: directory)
        let api = APIRoutes(
            sessions: manager,
            tokens: TokenService(sealer: TokenSealer(keyring: keyring), storage: store, maxTTL: config.policy.absoluteTimeout, now: wallClock),
            idempotency: IdempotencyService(storage: store, retention: Int64(config.idempotencyRetention) * 1000, now: wallClock),
            maxBodyBytes: config.maxBodyBytes, load: load, activity: activity
        )
        let router = api.buildRouter()
        // Session reads and merge patches are answered in front of the router (`SessionFastPath`).
        let fastPath = api.sessionFastPath(serverName: Self.serverName, logger: logger)
        let connectionHandlers: @Sendable (any EventLoop) -> [any ChannelHandler] = { [fastPath.handler(on: $0)] }
        MeshRoutes(engine: engine, monitor: monitor).register(on: router)
        OperationsRoutes(
            notReadyReason: {
                if let reason = readiness.notReadyReason { return reason }
                if !directory.isJoined { return "not joined to the gossip mesh yet" }
                return nil
            },
            metricsText: { registry.emitToBuffer() }
        ).register(on: router)

        try prepareSocketFile(config.socket)
        SocketFile.ensureDirectory(of: config.socket)
        // The socket is created by bind(); a restrictive umask keeps it private until chmod below.
        umask(0o177)
        let socketPath = config.socket, mode = config.socketMode.rawValue
        let responder = router.buildResponder()
        let http = HTTP1Channel.Configuration(idleTimeout: .milliseconds(Int64(config.httpIdleTimeoutMs)))
        let headerTimeout = TimeAmount.milliseconds(Int64(config.httpHeaderTimeoutMs))
        // The API socket: session calls are answered from the bytes in front of NIO's decoder
        // (`SessionWireHandler`), which keeps the idle timeout, so Hummingbird's is off there.
        let idleTimeout = TimeAmount.milliseconds(Int64(config.httpIdleTimeoutMs))
        let app = Application(
            responder: responder,
            server: .eventLoopPinnedHTTP1(configuration: HTTP1Channel.Configuration(idleTimeout: nil),
                                          guards: HTTPGuardSettings(maxConnections: limits.api, headerTimeout: headerTimeout),
                                          connectionHandlers: connectionHandlers,
                                          connectionSetup: { try fastPath.installWirePath(on: $0, idleTimeout: idleTimeout) }),
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: Self.serverName,
                                 availableConnectionsDelegate: ConnectionCap(max: limits.api, listener: "api", logger: logger)),
            onServerRunning: { _ in
                if !SocketFile.setMode(socketPath, mode) {
                    logger.error("could not set socket mode", metadata: ["socket": "\(socketPath)"])
                }
                logger.notice("sessionmesh ready", metadata: [
                    "socket": "\(socketPath)", "mode": "\(String(mode, radix: 8))",
                    "\(config.backend.rawValue)": "\(config.storeNodes.joined(separator: ","))", "replicas": "\(config.replicas)",
                ])
            },
            logger: logger
        )
        // Shutdown runs in reverse order: report drain, drain the API, leave the mesh, stop sampling.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreProbe(driver: store.driver, readiness: readiness,
                                      interval: .milliseconds(config.storeProbeIntervalMs), logger: logger)),
            .init(service: monitor),
        ]
        if let mesh { services.append(.init(service: mesh)) }
        // The agent keeps answering (`drain`) until the API has drained.
        if let bind = config.agentCheckBind {
            services.append(.init(service: AgentCheckServer(host: bind.host, port: bind.port, logger: logger, maxConnections: limits.agent, response: { zone in
                engine.agentCheckLine(storeAvailable: readiness.isReady, draining: drain.isDraining, balancerZone: zone)
            })))
        }
        if let path = config.nginxUpstreamFile {
            let name = config.nginxUpstreamName
            services.append(.init(service: NginxUpstreamWriter(path: path, reloadCommand: config.nginxReloadCommand, logger: logger,
                                                               render: { engine.nginxUpstream(name: name) })))
        }
        services.append(.init(service: app))
        if let frontDoor = try makeFrontDoor(config: config, store: store, now: wallClock, socketMode: mode, logger: logger) {
            services.append(.init(service: frontDoor))
        }
        if let admin = config.adminBind {
            // Only loopback Host names: a page in a browser on this host that rebinds its own
            // name to 127.0.0.1 sends its name as Host and is refused (421).
            let guards = HTTPGuardSettings(maxConnections: limits.admin, headerTimeout: headerTimeout,
                                           allowedHosts: { HTTPGuardSettings.isLoopbackHost($0) })
            services.append(.init(service: Application(
                responder: responder, server: .eventLoopPinnedHTTP1(configuration: http, guards: guards, connectionHandlers: connectionHandlers),
                configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: Self.serverName,
                                     availableConnectionsDelegate: ConnectionCap(max: limits.admin, listener: "admin", logger: logger)),
                logger: logger)))
        }
        services.append(.init(service: drain))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        // Whether the services ended cleanly or not: stop the store's threads (joining the read
        // threads blocks, so not on the concurrency pool) and remove the socket.
        try? await threadPool.runIfActive { store.shutdown() }
        try? await threadPool.shutdownGracefully()
        unlink(socketPath)
        if let path = config.memcacheSocket { unlink(path) }
        if let failure { throw failure }
        logger.notice("sessionmesh stopped")
    }

    /// The memcached-protocol front door when `memcacheSocket` or `memcacheListen` is set.
    static func makeFrontDoor(config: SidecarConfig, store: any RecordStorage, now: @escaping @Sendable () -> Int64,
                              socketMode: UInt16, logger: Logger) throws -> MemcacheFrontDoor? {
        var listeners = [MemcacheFrontDoor.Listener]()
        if let path = config.memcacheSocket {
            try prepareSocketFile(path)
            SocketFile.ensureDirectory(of: path)
            listeners.append(.init(.unixSocket(path: path)))
        }
        if let bind = config.memcacheListen {
            listeners.append(.init(.tcp(host: bind.host, port: bind.port)))
        }
        guard !listeners.isEmpty else { return nil }
        let items = MemcacheItems(storage: store, maxLifetime: config.policy.absoluteTimeout, now: now)
        return MemcacheFrontDoor(
            listeners: listeners, items: items, limits: MemcacheLimits(maxValueLength: config.memcacheMaxValueBytes), logger: logger,
            onListening: { listener in
                // Bound under umask 0177 (private); then the same mode as the API socket.
                if case .unixSocket(let path) = listener.address, !SocketFile.setMode(path, socketMode) {
                    logger.error("could not set socket mode", metadata: ["socket": "\(path)"])
                }
            })
    }

    /// The gossip mesh when `gossipBind` is set (the shell as a service, publishing into a
    /// `GossipDirectory`); otherwise a view of this node alone.
    static func makeMesh(config: SidecarConfig, monitor: LoadMonitor, logger: Logger, maxStreams: Int = 64) throws
        -> (any MeshDirectory, (any Service)?)
    {
        var tags = ["role": "sessionmesh"]
        if let app = config.appAddress { tags["app"] = app.description }
        if let zone = config.zone { tags["zone"] = zone }
        guard let bind = config.gossipBind else {
            return (LocalOnlyDirectory(name: config.resolvedNodeName, tags: tags, load: { monitor.latest }), nil)
        }
        var keyring: GossipKeyring?
        if let path = config.gossipKeyring {
            do { keyring = try GossipKeyring.load(file: path) } catch {
                throw ConfigError("gossip keyring \(path): \(error)")
            }
        } else {
            let cost = "gossip runs WITHOUT a keyring (--gossip-insecure): packets are plaintext and unauthenticated; "
                + "anyone who can reach the gossip port can read the membership and loads, add or remove members "
                + "and skew routing. Use --gossip-keyring outside a trusted network."
            logger.warning("\(cost)", metadata: ["bind": "\(bind.host):\(bind.port)"])
        }
        var settings = GossipShellSettings(
            name: config.resolvedNodeName, bindHost: bind.host, bindPort: bind.port,
            advertise: config.gossipAdvertise.map { (host: $0.host, port: $0.port) },
            seeds: config.join.map { (host: $0.host, port: $0.port) }, keyring: keyring, tags: tags)
        settings.gossip.maxMembers = config.maxGossipMembers
        settings.maxStreams = maxStreams
        // Deciseconds since 2025-01-01 (10/s, faster than the 5/s publish rate): a restarted
        // sidecar's reports are newer than its previous life's, so peers take them at once.
        settings.loadSequenceStart = UInt32(truncatingIfNeeded: Int64((Date().timeIntervalSince1970 - 1_735_689_600) * 10))
        let directory = GossipDirectory(joinedWithoutSeeds: settings.seeds.isEmpty)
        let shell = GossipShell<HostLoad>(
            settings: settings, codec: .init(encode: { LoadReportCodec.encode($0) }, decode: { LoadReportCodec.decode($0) }), logger: logger,
            observer: GossipTelemetry(logger: logger, maxMembers: settings.gossip.maxMembers),
            localLoad: { monitor.latest },
            refreshedTags: { [tags] in tags.merging(["load": LoadSummary.text($0)]) { $1 } },
            publish: { directory.publish($0) })
        return (directory, shell)
    }
}

/// Connection caps per listener, within the fd limit less the reserve.
struct ListenerLimits {
    let fdLimit: Int
    let reserve: Int
    let api: Int
    let admin: Int
    let agent: Int
    let gossip: Int

    init(config: SidecarConfig, fdLimit: Int) {
        self.fdLimit = fdLimit
        reserve = FileDescriptorLimit.reserve(limit: fdLimit, storeThreads: config.storeThreads + config.readThreads,
                                              memcachedNodes: config.memcached.count)
        var budget = max(4, fdLimit - reserve)
        // Small fixed shares first: HAProxy's agent checks, gossip streams, the admin port.
        agent = config.agentCheckBind == nil ? 0 : min(32, max(1, budget / 8))
        budget -= agent
        gossip = config.gossipBind == nil ? 0 : min(64, max(1, budget / 8))
        budget -= gossip
        admin = config.adminBind == nil ? 0 : min(config.maxConnections, 64, max(1, budget / 8))
        budget -= admin
        api = max(1, min(config.maxConnections, budget))
    }
}

/// `SocketFile.prepare`, a refusal as a configuration error (the sidecar exits with its message).
func prepareSocketFile(_ path: String) throws(ConfigError) {
    do { try SocketFile.prepare(path) } catch { throw ConfigError("\(error)") }
}

/// Keyring files must be private to their owner, as OpenSSH requires of private keys: a file
/// that group or others may access is refused with `strict`, else reported.
func checkKeyringPermissions(_ path: String, strict: Bool, logger: Logger) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { return }  // reading it reports the problem
    let mode = info.st_mode & 0o777
    guard mode & 0o077 != 0 else { return }
    let text = "keyring \(path) has mode \(String(mode, radix: 8)): group or others can access it; chmod 600 it"
    if strict { throw ConfigError(text + " (refused: --strict-keyring-permissions)") }
    logger.warning("\(text) (--strict-keyring-permissions refuses such files)")
}
