import ArgumentParser
import Foundation
import Logging
import SidecarService

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sidecar.",
        discussion: """
        Settings come from, in increasing priority: built-in defaults, the JSON config file
        (--config; keys as in the flag names, camelCase, e.g. "pollTimeoutMs"), environment
        variables SESSIONMESH_<KEY> (e.g. SESSIONMESH_POLL_TIMEOUT_MS, SESSIONMESH_MEMCACHED=
        h1:11211,h2:11211 or SESSIONMESH_REDIS=h1:6379,h2:6379), then these flags. The sidecar logs one line "sessionmesh ready"
        when it serves, drains on SIGTERM, and exits non-zero with a message on a bad config.
        """
    )

    @Option(help: "JSON config file.") var config: String?
    @Option(help: "Unix socket path of the session API. Default /run/sessionmesh/sessionmesh.sock.") var socket: String?
    @Option(help: "Socket file mode, octal. Default 0660.") var socketMode: String?
    @Option(help: "memcached nodes, HOST:PORT,HOST:PORT,… (same order on every sidecar). Default 127.0.0.1:11211 unless --redis is set.") var memcached: String?
    @Option(help: "Redis nodes, HOST:PORT,HOST:PORT,… (same order on every sidecar): store the sessions in independent Redis nodes instead of memcached. Never together with --memcached.") var redis: String?
    @Option(help: "File with the Redis password (AUTH on every connection).") var redisPasswordFile: String?
    @Option(help: "Copies of each session. Default 2.") var replicas: Int?
    @Option(help: "Copies a write needs before it is acknowledged. Default: --replicas.") var writeQuorum: Int?
    @Option(help: "Keyring file: one base64 32-byte key per line, the first is the primary.") var keyring: String?
    @Option(help: "Store node (memcached or Redis) connect timeout, ms. Default 250.") var connectTimeoutMs: Int?
    @Option(help: "Store node I/O timeout (memcached poll timeout, Redis send/receive deadline), ms. Default 250.") var pollTimeoutMs: Int?
    @Option(help: "A failed store node is skipped this long, ms. Default 1000.") var retryIntervalMs: Int?
    @Option(help: "Upper bound of one store operation, ms. Default 1000.") var operationBudgetMs: Int?
    @Option(help: "Threads for the blocking store calls of writes. Default 8.") var storeThreads: Int?
    @Option(help: "Threads that serve reads, batching queued reads into one multi-key gets per node. Default 1.") var readThreads: Int?
    @Option(help: "Event-loop threads: session API, gossip, agent check (a connection is handled on its loop). Default 1.") var eventLoopThreads: Int?
    @Option(help: "Default and maximum idle timeout, seconds. Default 900.") var idleTimeout: Int?
    @Option(help: "Default and maximum absolute session lifetime, seconds. Default 28800.") var absoluteTimeout: Int?
    @Option(help: "Serve the memcached protocol (text, binary, meta) on this Unix socket (mode as --socket-mode). Default off.") var memcacheSocket: String?
    @Option(help: "Serve the memcached protocol on TCP HOST:PORT, loopback only unless --memcache-listen-any. Default off.") var memcacheListen: String?
    @Flag(help: "Allow --memcache-listen on a non-loopback address (the protocol has no authentication).") var memcacheListenAny = false
    @Option(help: "Largest value the memcached front door stores, bytes. Default 1048576.") var memcacheMaxValueBytes: Int?
    @Option(help: "How long idempotency keys and their stored responses are kept, seconds. Default 86400.") var idempotencyRetention: Int?
    @Option(help: "Largest request body, bytes. Default 262144.") var maxBodyBytes: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Default info.") var logLevel: String?
    @Option(help: "Node name in the gossip mesh. Default: the host name.") var nodeName: String?
    @Option(help: "Gossip UDP+TCP bind address HOST:PORT (memberlist/serf compatible). Unset: gossip off.") var gossipBind: String?
    @Option(help: "Gossip address advertised to peers, when it differs from --gossip-bind.") var gossipAdvertise: String?
    @Option(help: "Seed to join at start, HOST:PORT (repeatable; a serf agent works too).") var join: [String] = []
    @Option(help: "Gossip keyring file (serf keyring JSON, or one base64 key per line; first = primary).") var gossipKeyring: String?
    @Option(help: "Address of the app beside this sidecar, HOST:PORT, advertised to the mesh.") var appAddress: String?
    @Option(help: "HAProxy agent-check responder HOST:PORT (answers up N% / drain / down).") var agentCheckBind: String?
    @Option(help: "Write an nginx upstream block with the mesh weights to this file.") var nginxUpstreamFile: String?
    @Option(help: "Command to run when the nginx file changes, e.g. 'nginx -s reload'.") var nginxReloadCommand: String?
    @Option(help: "Upstream name in the nginx file. Default sessionmesh_apps.") var nginxUpstreamName: String?
    @Option(help: "On SIGTERM, answer 'drain' for this long before closing the API, ms. Default 0.") var drainDelayMs: Int?
    @Option(help: "Loopback HOST:PORT that also serves the API, /ui and /metrics over TCP. Default off.") var adminBind: String?
    @Flag(help: "Allow gossip without --gossip-keyring: plaintext, and anyone who can reach the gossip port can add members and forge load.") var gossipInsecure = false
    @Flag(help: "Refuse keyring files that group or others can access (default: warn).") var strictKeyringPermissions = false
    @Option(help: "Open connections per listener (API socket, admin port); more wait in the backlog. Default 1024.") var maxConnections: Int?
    @Option(help: "Close an HTTP connection idle this long, ms. Default 60000.") var httpIdleTimeoutMs: Int?
    @Option(help: "A request header must arrive within this long of its first byte, ms. Default 10000.") var httpHeaderTimeoutMs: Int?
    @Option(help: "Most gossip members kept; bounds the member table and push/pull size. Default 1024.") var maxGossipMembers: Int?
    @Option(help: "After the write quorum was lost, it must hold this long before the sidecar reads ready again, ms. Default 3000.") var readyHoldMs: Int?
    @Option(help: "How often every memcached node is probed, so an idle sidecar notices a dead one, ms. Default 500.") var storeProbeIntervalMs: Int?
    @Option(help: "Zone of this host (country, region), gossiped as serf tag 'zone'; /v1/mesh groups members by it.") var zone: String?

    func run() async throws {
        var settings: SidecarConfig
        do {
            settings = try config.map { path throws(ConfigError) in try SidecarConfig.load(file: path) } ?? SidecarConfig()
            try settings.applyEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        if let v = socket { settings.socket = v }
        if let v = socketMode { settings.socketMode = v }
        if let v = memcached { settings.memcached = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let v = redis { settings.redis = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let v = redisPasswordFile { settings.redisPasswordFile = v }
        if let v = replicas { settings.replicas = v }
        if let v = writeQuorum { settings.writeQuorum = v }
        if let v = keyring { settings.keyring = v }
        if let v = connectTimeoutMs { settings.connectTimeoutMs = v }
        if let v = pollTimeoutMs { settings.pollTimeoutMs = v }
        if let v = retryIntervalMs { settings.retryIntervalMs = v }
        if let v = operationBudgetMs { settings.operationBudgetMs = v }
        if let v = storeThreads { settings.storeThreads = v }
        if let v = readThreads { settings.readThreads = v }
        if let v = eventLoopThreads { settings.eventLoopThreads = v }
        if let v = idleTimeout { settings.idleTimeout = v }
        if let v = absoluteTimeout { settings.absoluteTimeout = v }
        if let v = memcacheSocket { settings.memcacheSocket = v }
        if let v = memcacheListen { settings.memcacheListen = v }
        if memcacheListenAny { settings.memcacheListenAny = true }
        if let v = memcacheMaxValueBytes { settings.memcacheMaxValueBytes = v }
        if let v = idempotencyRetention { settings.idempotencyRetention = v }
        if let v = maxBodyBytes { settings.maxBodyBytes = v }
        if let v = logLevel { settings.logLevel = v }
        if let v = nodeName { settings.nodeName = v }
        if let v = gossipBind { settings.gossipBind = v }
        if let v = gossipAdvertise { settings.gossipAdvertise = v }
        if !join.isEmpty { settings.join = join }
        if let v = gossipKeyring { settings.gossipKeyring = v }
        if let v = appAddress { settings.appAddress = v }
        if let v = agentCheckBind { settings.agentCheckBind = v }
        if let v = nginxUpstreamFile { settings.nginxUpstreamFile = v }
        if let v = nginxReloadCommand { settings.nginxReloadCommand = v }
        if let v = nginxUpstreamName { settings.nginxUpstreamName = v }
        if let v = drainDelayMs { settings.drainDelayMs = v }
        if let v = adminBind { settings.adminBind = v }
        if gossipInsecure { settings.gossipInsecure = true }
        if strictKeyringPermissions { settings.strictKeyringPermissions = true }
        if let v = maxConnections { settings.maxConnections = v }
        if let v = httpIdleTimeoutMs { settings.httpIdleTimeoutMs = v }
        if let v = httpHeaderTimeoutMs { settings.httpHeaderTimeoutMs = v }
        if let v = maxGossipMembers { settings.maxGossipMembers = v }
        if let v = readyHoldMs { settings.readyHoldMs = v }
        if let v = storeProbeIntervalMs { settings.storeProbeIntervalMs = v }
        if let v = zone { settings.zone = v }
        if let problem = settings.validate() { throw ValidationError(problem) }

        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sessionmesh")
        do {
            try await Sidecar.run(config: settings, logger: logger)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }
}
