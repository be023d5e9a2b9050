import Foundation
import GossipNIO
import Hummingbird
import Logging
import MemcachedStore
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import RedisStore
import ServiceLifecycle
import SessionCore
import SidecarAPI
import StoreShell

/// Composes one sidecar: the store on its thread pool, the API on the Unix socket, metrics,
/// all under a `ServiceGroup` that drains on SIGTERM/SIGINT: stop accepting, finish in-flight
/// requests, then stop the store's threads and remove the socket.
public enum Sidecar {
    /// Runs until a shutdown signal. Throws `ConfigError` on a bad configuration.
    /// Once per process: it sizes NIO's singleton event-loop group and bootstraps metrics.
    public static func run(config: SidecarConfig, logger: Logger) async throws {
        if let problem = config.validate() { throw ConfigError(problem) }
        // Every event loop of the process (API, gossip, agent check) is in the singleton group.
        // Few threads that stay busy beat many that sleep and wake: on a 2-core host one loop
        // and one read thread serve the most sessions, and each thread costs idle memory
        // (README, Performance).
        NIOSingletons.groupLoopCountSuggestion = config.eventLoopThreads
        let keyring: SessionKeyring
        do {
            let text = try String(contentsOfFile: config.keyring!, encoding: .utf8)
            keyring = try SessionKeyring(text: text)
        } catch let error as KeyringError {
            throw ConfigError("keyring \(config.keyring!): \(error)")
        } catch {
            throw ConfigError("cannot read keyring \(config.keyring!): \(error.localizedDescription)")
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
        let manager = SessionManager(storage: store, policy: config.policy, now: { Int64(Date().timeIntervalSince1970 * 1000) })
        let load = LoadCounters()
        let activity = SessionActivity()
        let drain = DrainSignal(delay: .milliseconds(config.drainDelayMs))
        let monitor = LoadMonitor(counters: load, activity: activity, isDraining: { drain.isDraining })
        let (directory, mesh) = try makeMesh(config: config, monitor: monitor, logger: logger)

        let engine = RoutingEngine(localName: config.resolvedNodeName, directory: directory)
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(load: load))
        router.add(middleware: ErrorMiddleware(maxBodyBytes: config.maxBodyBytes))
        SessionRoutes(manager: manager, maxBodyBytes: config.maxBodyBytes, activity: activity).register(on: router)
        MeshRoutes(engine: engine, monitor: monitor).register(on: router)
        OperationsRoutes(
            notReadyReason: {
                if !store.hasWriteQuorum { return "fewer live \(config.backend.rawValue) nodes than the write quorum" }
                if !directory.isJoined { return "not joined to the gossip mesh yet" }
                return nil
            },
            metricsText: { registry.emitToBuffer() }
        ).register(on: router)

        try SocketFile.prepare(config.socket)
        SocketFile.ensureDirectory(of: config.socket)
        // The socket is created by bind(); a restrictive umask keeps it private until chmod below.
        umask(0o177)
        let socketPath = config.socket, mode = config.socketModeValue!
        let responder = router.buildResponder()
        let app = Application(
            responder: responder,
            server: .eventLoopPinnedHTTP1(),
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "sessionmesh"),
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
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: monitor)]
        if let mesh { services.append(.init(service: mesh)) }
        // The agent keeps answering (`drain`) until the API has drained.
        if let bind = config.agentCheckBind.flatMap(SidecarConfig.hostPort) {
            services.append(.init(service: AgentCheckServer(host: bind.host, port: bind.port, logger: logger, response: {
                engine.agentCheckLine(storeAvailable: store.hasWriteQuorum, draining: drain.isDraining)
            })))
        }
        if let path = config.nginxUpstreamFile {
            let name = config.nginxUpstreamName
            services.append(.init(service: NginxUpstreamWriter(path: path, reloadCommand: config.nginxReloadCommand, logger: logger,
                                                               render: { engine.nginxUpstream(name: name) })))
        }
        services.append(.init(service: app))
        if let admin = config.adminBind.flatMap(SidecarConfig.hostPort) {
            services.append(.init(service: Application(
                responder: responder, server: .eventLoopPinnedHTTP1(),
                configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: "sessionmesh"),
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
        if let failure { throw failure }
        logger.notice("sessionmesh stopped")
    }

    /// The gossip mesh when `gossipBind` is set; otherwise a view of this node alone.
    static func makeMesh(config: SidecarConfig, monitor: LoadMonitor, logger: Logger) throws -> (any MeshDirectory, MeshService?) {
        var tags = ["role": "sessionmesh"]
        if let app = config.appAddress { tags["app"] = app }
        guard let bind = config.gossipBind.flatMap(SidecarConfig.hostPort) else {
            return (LocalOnlyDirectory(name: config.resolvedNodeName, tags: tags, load: { monitor.latest }), nil)
        }
        var keyring: GossipKeyring?
        if let path = config.gossipKeyring {
            do { keyring = try GossipKeyring.load(file: path) } catch {
                throw ConfigError("gossip keyring \(path): \(error)")
            }
        }
        let settings = MeshService.Settings(
            name: config.resolvedNodeName, bindHost: bind.host, bindPort: bind.port,
            advertise: config.gossipAdvertise.flatMap(SidecarConfig.hostPort),
            seeds: config.join.compactMap(SidecarConfig.hostPort), keyring: keyring, tags: tags)
        let mesh = MeshService(settings: settings, logger: logger, load: { monitor.latest })
        return (mesh, mesh)
    }
}
