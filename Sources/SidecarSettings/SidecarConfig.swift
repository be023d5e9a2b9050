import Foundation
import Logging
import MemcachedStore
import RedisStore
import SessionCore

/// Every setting of `sessionmesh run`, each declared once, here: its key in the JSON config file,
/// its type and default, its help and its rule. The flag (`--poll-timeout-ms`) and the environment
/// variable (`SESSIONMESH_POLL_TIMEOUT_MS`) follow from the key (`Setting`). Sources, later ones
/// winning: the defaults, the config file, the environment, the command line
/// (`init(file:environment:arguments:)`); values are parsed into their types there, once.
public struct SidecarConfig: Sendable, Equatable {
    @Setting("socket", "path", help: "Unix socket of the session API; its directory must exist.",
             rule: SettingRule<String> { $0.isEmpty || $0.utf8.count > 100 ? "must be 1 to 100 bytes (the Unix socket path limit)" : nil })
    public var socket = "/run/sessionmesh/sessionmesh.sock"
    @Setting("socketMode", help: "File mode of the socket (and of memcacheSocket), octal: owner and group only by default.")
    public var socketMode = FileMode(0o660)
    @Setting("memcached", help: "memcached nodes, in the same order on every sidecar. Unset: 127.0.0.1:11211, unless redis is set (never both).")
    public var memcached: [HostPort] = []
    @Setting("redis", help: "Redis nodes, in the same order on every sidecar: the sessions in independent Redis nodes instead of memcached.")
    public var redis: [HostPort] = []
    @Setting("redisPasswordFile", "path", help: "File whose first line is the Redis password (AUTH on every connection). Unset: no AUTH.")
    public var redisPasswordFile: String? = nil
    @Setting("replicas", help: "Copies of every session.")
    public var replicas = 2
    @Setting("writeQuorum", help: "Copies a write needs before it is acknowledged. Unset: replicas.")
    public var writeQuorum: Int? = nil
    @Setting("keyring", "path", help: "Keyring file (required): one base64 32-byte key per line, the first is the primary (sessionmesh keygen).",
             rule: .required("pass --keyring PATH (create one with `sessionmesh keygen > keyring`)"))
    public var keyring = ""
    @Setting("connectTimeoutMs", "ms", help: "Store node (memcached or Redis) connect timeout, ms.")
    public var connectTimeoutMs = 250
    @Setting("pollTimeoutMs", "ms", help: "Store node I/O timeout (memcached poll timeout, Redis send/receive deadline), ms.")
    public var pollTimeoutMs = 250
    @Setting("retryIntervalMs", "ms", help: "A failed store node is skipped this long, ms.")
    public var retryIntervalMs = 1000
    @Setting("operationBudgetMs", "ms", help: "Upper bound of one store operation, retries included, ms.")
    public var operationBudgetMs = 1000
    @Setting("storeThreads", help: "Threads for the blocking store calls of writes.")
    public var storeThreads = 8
    @Setting("readThreads", help: "Threads that serve reads, each batching the reads queued meanwhile into one multi-key gets per node.")
    public var readThreads = 1
    @Setting("eventLoopThreads", help: "Event-loop threads: session API, gossip, agent check (a connection is handled on its loop).",
             rule: .between(1, 64))
    public var eventLoopThreads = 1
    @Setting("idleTimeout", "seconds", help: "Default and maximum sliding idle timeout of a session, seconds.", rule: .atLeast(1))
    public var idleTimeout = 900
    @Setting("absoluteTimeout", "seconds", help: "Default and maximum absolute session lifetime, seconds.", rule: .atLeast(1))
    public var absoluteTimeout = 28_800
    @Setting("memcacheSocket", "path", help: "Serve the memcached protocol (text, binary, meta) on this Unix socket (mode as socketMode). Unset: off.")
    public var memcacheSocket: String? = nil
    @Setting("memcacheListen", help: "Serve the memcached protocol on TCP, loopback only unless memcacheListenAny. Unset: off.")
    public var memcacheListen: HostPort? = nil
    @Setting("memcacheListenAny", help: "Allow memcacheListen on a non-loopback address (the protocol has no authentication).")
    public var memcacheListenAny = false
    @Setting("memcacheMaxValueBytes", "bytes", help: "Largest value the memcached front door stores, bytes.", rule: .between(1024, 64 << 20))
    public var memcacheMaxValueBytes = 1 << 20
    @Setting("idempotencyRetention", "seconds", help: "How long idempotency keys and their stored responses are kept, seconds.",
             rule: .between(60, 30 * 86_400))
    public var idempotencyRetention = 86_400
    @Setting("maxBodyBytes", "bytes", help: "Largest request body, bytes; larger ones get 413.", rule: .atLeast(1024))
    public var maxBodyBytes = 256 * 1024
    @Setting("logLevel", help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel = Logger.Level.info
    @Setting("logFormat", help: "Log lines as text, or as JSON objects, one per line (timestamp, level, label, message, metadata).")
    public var logFormat = LogFormat.text
    @Setting("nodeName", "name", help: "This node's name in the gossip mesh. Unset: the host name.", rule: .whenSet(SettingRule<String>.bytes(upTo: 128)))
    public var nodeName: String? = nil
    @Setting("gossipBind", help: "Gossip UDP+TCP bind address (memberlist/serf compatible). Unset: gossip off.")
    public var gossipBind: HostPort? = nil
    @Setting("gossipAdvertise", help: "Gossip address advertised to peers, when it differs from gossipBind (e.g. bound to 0.0.0.0).")
    public var gossipAdvertise: HostPort? = nil
    @Setting("join", help: "Seeds to join at start (repeatable; a serf agent works too); needs gossipBind.")
    public var join: [HostPort] = []
    @Setting("gossipKeyring", "path", help: "Gossip keyring file (serf's JSON array of base64 keys, or one base64 key per line; first = primary).")
    public var gossipKeyring: String? = nil
    @Setting("appAddress", help: "Address of the app beside this sidecar, advertised to the mesh (tag app).")
    public var appAddress: HostPort? = nil
    @Setting("agentCheckBind", help: "HAProxy agent-check responder (answers up N% / drain / down). Unset: off.")
    public var agentCheckBind: HostPort? = nil
    @Setting("nginxUpstreamFile", "path", help: "Write an nginx upstream block with the mesh weights to this file. Unset: off.")
    public var nginxUpstreamFile: String? = nil
    @Setting("nginxReloadCommand", "command", help: "Command run when the nginx file changes, e.g. 'nginx -s reload'.")
    public var nginxReloadCommand: String? = nil
    @Setting("nginxUpstreamName", "name", help: "Upstream name in the nginx file.")
    public var nginxUpstreamName = "sessionmesh_apps"
    @Setting("drainDelayMs", "ms", help: "On SIGTERM, answer 'drain' for this long before closing the API, ms.", rule: .between(0, 60_000))
    public var drainDelayMs = 0
    @Setting("adminBind", help: "Loopback address that also serves the API, /ui and /metrics over TCP (no authentication). Unset: off.")
    public var adminBind: HostPort? = nil
    @Setting("gossipInsecure", help: "Allow gossip without gossipKeyring: plaintext, and anyone who can reach the gossip port can add members and forge load.")
    public var gossipInsecure = false
    @Setting("strictKeyringPermissions", help: "Refuse keyring files that group or others can access (default: a warning).")
    public var strictKeyringPermissions = false
    @Setting("maxConnections", help: "Open connections per listener (API socket, admin port); more wait in the backlog. Also bounded by the fd limit less a reserve.",
             rule: .between(1, 1_000_000))
    public var maxConnections = 1024
    @Setting("httpIdleTimeoutMs", "ms", help: "Close an HTTP connection with no request activity for this long, ms.", rule: .atLeast(100))
    public var httpIdleTimeoutMs = 60_000
    @Setting("httpHeaderTimeoutMs", "ms", help: "A request header must be complete this long after its first byte, ms (slowloris).", rule: .atLeast(100))
    public var httpHeaderTimeoutMs = 10_000
    @Setting("maxGossipMembers", help: "Most gossip members kept (any state); bounds the member table and push/pull size.", rule: .between(2, 65_536))
    public var maxGossipMembers = 1024
    @Setting("readyHoldMs", "ms", help: "After the write quorum was lost, it must hold this long before the sidecar reads ready again, ms.",
             rule: .between(0, 600_000))
    public var readyHoldMs = 3000
    @Setting("storeProbeIntervalMs", "ms", help: "How often every store node is probed, so an idle sidecar notices a dead one, ms.",
             rule: .between(50, 60_000))
    public var storeProbeIntervalMs = 500
    @Setting("zone", "zone", help: "Zone of this host (country, region, data centre), gossiped as serf tag zone; /v1/mesh groups members by it.",
             rule: .whenSet(SettingRule<String> { zone in
                 zone.isEmpty || zone.utf8.count > 64 || !zone.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)) })
                     ? "must be 1 to 64 characters of A-Z, a-z, 0-9, '-', '_', '.', got '\(zone)'" : nil
             }))
    public var zone: String? = nil

    /// The defaults.
    public init() {}

    /// The settings from the config file at `file` (if any), then `environment`'s
    /// `SESSIONMESH_*` variables, then `arguments` (flags), each parsed into its type; then
    /// validated. Throws, naming the setting, on the first problem.
    public init(file: String?, environment: [String: String], arguments: [String] = []) throws(ConfigError) {
        let sources = try SettingSources(file: file, environment: environment, arguments: arguments, settings: Self.settings)
        self = try sources.resolve { SidecarConfig() }
        if let problem = validate() { throw ConfigError(problem) }
    }

    /// Every setting, in declaration order.
    static var settings: [any SettingDescription] {
        Mirror(reflecting: SidecarConfig()).children.compactMap { $0.value as? any SettingDescription }
    }

    /// The node name: configured, else the host name.
    public var resolvedNodeName: String { nodeName ?? ProcessInfo.processInfo.hostName }

    /// Which store the sessions live in.
    public enum StoreBackend: String, Sendable { case memcached, redis }
    public var backend: StoreBackend { redis.isEmpty ? .memcached : .redis }

    /// The memcached nodes in use: the configured ones, else the local default.
    public var memcachedNodes: [String] { memcached.isEmpty ? ["127.0.0.1:11211"] : memcached.map(\.description) }

    /// The nodes of the store in use.
    public var storeNodes: [String] { backend == .redis ? redis.map(\.description) : memcachedNodes }

    public var storeConfig: MemcachedStoreConfig {
        MemcachedStoreConfig(nodes: memcachedNodes, replicas: replicas, writeQuorum: writeQuorum, connectTimeoutMs: connectTimeoutMs,
                             pollTimeoutMs: pollTimeoutMs, retryIntervalMs: retryIntervalMs,
                             operationBudgetMs: operationBudgetMs, threads: storeThreads,
                             readThreads: readThreads)
    }

    /// The Redis store settings; `password` is read from `redisPasswordFile` by the caller.
    public func redisStoreConfig(password: String?) -> RedisStoreConfig {
        RedisStoreConfig(nodes: redis.map(\.description), password: password, replicas: replicas, writeQuorum: writeQuorum,
                         connectTimeoutMs: connectTimeoutMs, ioTimeoutMs: pollTimeoutMs, retryIntervalMs: retryIntervalMs,
                         operationBudgetMs: operationBudgetMs, threads: storeThreads, readThreads: readThreads)
    }

    /// The password in `redisPasswordFile` (first line, trailing whitespace dropped).
    public func readRedisPassword() throws(ConfigError) -> String? {
        guard let path = redisPasswordFile else { return nil }
        guard let raw = FileManager.default.contents(atPath: path) else { throw .init("cannot read redis password file \(path)") }
        let line = String(decoding: raw, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let password = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if password.isEmpty { throw .init("redis password file \(path) is empty") }
        return password
    }

    public var policy: SessionPolicy {
        SessionPolicy(idleTimeout: Int64(idleTimeout) * 1000, absoluteTimeout: Int64(absoluteTimeout) * 1000, maxDataBytes: maxBodyBytes)
    }

    /// The first problem with these settings, for the operator: a setting's own rule, then the
    /// rules between settings, then the store's.
    public func validate() -> String? {
        for setting in Mirror(reflecting: self).children.compactMap({ $0.value as? any SettingDescription }) {
            if let problem = setting.problem { return problem }
        }
        if idleTimeout > absoluteTimeout { return "idleTimeout must not exceed absoluteTimeout" }
        if let listen = memcacheListen, !memcacheListenAny, !listen.isLoopback {
            return "memcacheListen is loopback only unless memcacheListenAny is set (the front door has no authentication)"
        }
        if memcacheSocket != nil, memcacheSocket == socket { return "memcacheSocket must differ from socket" }
        if let admin = adminBind, !admin.isLoopback {
            return "adminBind must be a loopback address (the admin port has no authentication)"
        }
        if !join.isEmpty && gossipBind == nil { return "join needs gossipBind (--gossip-bind HOST:PORT)" }
        if gossipBind != nil && gossipKeyring == nil && !gossipInsecure {
            return "gossip without a keyring: pass --gossip-keyring PATH (create one with `sessionmesh keygen`), "
                + "or --gossip-insecure to accept unauthenticated plaintext gossip"
        }
        if !memcached.isEmpty && !redis.isEmpty {
            return "memcached and redis are both set: a sidecar stores its sessions in one of them (set only --memcached or only --redis)"
        }
        if redisPasswordFile != nil && redis.isEmpty { return "redisPasswordFile is set but no redis nodes are" }
        if backend == .redis { return redisStoreConfig(password: nil).validate() }
        return storeConfig.validate()
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
