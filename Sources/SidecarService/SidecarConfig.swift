import Foundation
import MemcachedStore
import RedisStore
import SessionCore

/// Every setting of `sessionmesh run`. Sources, later ones winning: defaults, the config file
/// (JSON, same keys), environment variables (`SESSIONMESH_` + the key in upper snake case),
/// then command-line flags.
public struct SidecarConfig: Codable, Sendable, Equatable {
    /// Unix socket of the session API.
    public var socket: String = "/run/sessionmesh/sessionmesh.sock"
    /// File mode of the socket, octal text (default 0660: owner and group only).
    public var socketMode: String = "0660"
    /// memcached nodes, `host:port`, in the same order on every sidecar. Empty: `127.0.0.1:11211`
    /// unless `redis` is set (the two are never set together).
    public var memcached: [String] = []
    /// Redis nodes, `host:port`, in the same order on every sidecar: the store on Redis instead of memcached.
    public var redis: [String] = []
    /// File holding the Redis password (AUTH on every connection); unset: no AUTH.
    public var redisPasswordFile: String?
    /// Copies of every session.
    public var replicas: Int = 2
    /// Copies a write needs before it is acknowledged (default: `replicas`).
    public var writeQuorum: Int?
    /// Keyring file: one base64 32-byte key per line, first = primary (see `sessionmesh keygen`).
    public var keyring: String?
    /// libmemcached connect timeout, ms.
    public var connectTimeoutMs: Int = 250
    /// libmemcached poll timeout (the I/O deadline), ms.
    public var pollTimeoutMs: Int = 250
    /// A failed memcached node is skipped for this long, ms.
    public var retryIntervalMs: Int = 1000
    /// Upper bound on one store operation, ms.
    public var operationBudgetMs: Int = 1000
    /// Threads for the blocking libmemcached calls of writes.
    public var storeThreads: Int = 8
    /// Threads that serve session reads, each batching every read queued meanwhile into one
    /// multi-key `gets` per memcached node.
    public var readThreads: Int = 1
    /// Event-loop threads (session API, gossip, agent check); a connection's requests are
    /// handled on its own loop.
    public var eventLoopThreads: Int = 1
    /// Default and maximum sliding idle timeout, seconds.
    public var idleTimeout: Int = 900
    /// Default and maximum absolute session lifetime, seconds.
    public var absoluteTimeout: Int = 28_800
    /// The memcached-protocol front door on a Unix socket (same mode as `socket`); unset = off.
    public var memcacheSocket: String?
    /// The front door on TCP `host:port` (Tomcat/spymemcached need TCP); loopback only unless `memcacheListenAny`.
    public var memcacheListen: String?
    public var memcacheListenAny: Bool = false
    /// Largest value the front door stores, bytes (memcached's default item size limit).
    public var memcacheMaxValueBytes: Int = 1 << 20
    /// How long an idempotency key and its stored response are kept, seconds (Stripe keeps 24 h).
    public var idempotencyRetention: Int = 86_400
    /// Largest accepted request body, bytes.
    public var maxBodyBytes: Int = 256 * 1024
    /// trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    /// This node's name in the mesh (default: the host name).
    public var nodeName: String?
    /// Gossip UDP+TCP address, `host:port`; unset = gossip off.
    public var gossipBind: String?
    /// Address peers should use for this node, when it differs from gossipBind (e.g. bind 0.0.0.0).
    public var gossipAdvertise: String?
    /// Seeds to join at start, `host:port` each.
    public var join: [String] = []
    /// Gossip keyring (serf's JSON array of base64 keys, or one base64 key per line; first = primary).
    public var gossipKeyring: String?
    /// The app beside this sidecar, `host:port`, advertised to the mesh (tag `app`).
    public var appAddress: String?
    /// HAProxy agent-check responder, `host:port`; unset = off.
    public var agentCheckBind: String?
    /// Write the nginx `upstream` block with the mesh weights to this file; unset = off.
    public var nginxUpstreamFile: String?
    /// Command run when the nginx file changes, e.g. `nginx -s reload`.
    public var nginxReloadCommand: String?
    /// Upstream name in the nginx file.
    public var nginxUpstreamName: String = "sessionmesh_apps"
    /// On SIGTERM, report `drain` this long before the API stops accepting, ms.
    public var drainDelayMs: Int = 0
    /// Loopback `host:port` serving the same API, `/ui` and `/metrics` over TCP; unset = off.
    public var adminBind: String?
    /// Run gossip without a keyring (plaintext, unauthenticated). Without it, gossipBind with no
    /// gossipKeyring is refused.
    public var gossipInsecure: Bool = false
    /// Refuse keyring files that group or others may read or write (default: a warning).
    public var strictKeyringPermissions: Bool = false
    /// Open connections per listener (API socket, admin port); at the cap, new connections wait
    /// in the listen backlog. Also bounded by the fd limit less a reserve (see README).
    public var maxConnections: Int = 1024
    /// An HTTP connection with no request activity for this long is closed, ms.
    public var httpIdleTimeoutMs: Int = 60_000
    /// A request's header must be complete this long after its first byte, ms (slowloris).
    public var httpHeaderTimeoutMs: Int = 10_000
    /// Most gossip members kept (any state); bounds the member table and push/pull size.
    public var maxGossipMembers: Int = 1024
    /// After the store's write quorum was lost, it must hold this long before `/readyz`, the agent
    /// and the nginx file say ready again (losing it says unready at once), ms.
    public var readyHoldMs: Int = 3000
    /// How often an idle sidecar probes every memcached node (one `get` of a probe key), ms.
    public var storeProbeIntervalMs: Int = 500
    /// Zone (country, region, data centre) of this host, gossiped as serf tag `zone`; nil = none.
    public var zone: String?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case socket, socketMode, memcached, redis, redisPasswordFile, replicas, writeQuorum, keyring, connectTimeoutMs, pollTimeoutMs,
             retryIntervalMs, operationBudgetMs, storeThreads, readThreads, eventLoopThreads, idleTimeout, absoluteTimeout, memcacheSocket, memcacheListen, memcacheListenAny, memcacheMaxValueBytes, idempotencyRetention, maxBodyBytes, logLevel,
             nodeName, gossipBind, gossipAdvertise, join, gossipKeyring, appAddress, agentCheckBind,
             nginxUpstreamFile, nginxReloadCommand, nginxUpstreamName, drainDelayMs, adminBind,
             gossipInsecure, strictKeyringPermissions, maxConnections, httpIdleTimeoutMs, httpHeaderTimeoutMs, maxGossipMembers,
             readyHoldMs, storeProbeIntervalMs, zone
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SidecarConfig()
        socket = try c.decodeIfPresent(String.self, forKey: .socket) ?? d.socket
        socketMode = try c.decodeIfPresent(String.self, forKey: .socketMode) ?? d.socketMode
        memcached = try c.decodeIfPresent([String].self, forKey: .memcached) ?? d.memcached
        redis = try c.decodeIfPresent([String].self, forKey: .redis) ?? d.redis
        redisPasswordFile = try c.decodeIfPresent(String.self, forKey: .redisPasswordFile)
        replicas = try c.decodeIfPresent(Int.self, forKey: .replicas) ?? d.replicas
        writeQuorum = try c.decodeIfPresent(Int.self, forKey: .writeQuorum)
        keyring = try c.decodeIfPresent(String.self, forKey: .keyring)
        connectTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .connectTimeoutMs) ?? d.connectTimeoutMs
        pollTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .pollTimeoutMs) ?? d.pollTimeoutMs
        retryIntervalMs = try c.decodeIfPresent(Int.self, forKey: .retryIntervalMs) ?? d.retryIntervalMs
        operationBudgetMs = try c.decodeIfPresent(Int.self, forKey: .operationBudgetMs) ?? d.operationBudgetMs
        storeThreads = try c.decodeIfPresent(Int.self, forKey: .storeThreads) ?? d.storeThreads
        readThreads = try c.decodeIfPresent(Int.self, forKey: .readThreads) ?? d.readThreads
        eventLoopThreads = try c.decodeIfPresent(Int.self, forKey: .eventLoopThreads) ?? d.eventLoopThreads
        idleTimeout = try c.decodeIfPresent(Int.self, forKey: .idleTimeout) ?? d.idleTimeout
        absoluteTimeout = try c.decodeIfPresent(Int.self, forKey: .absoluteTimeout) ?? d.absoluteTimeout
        memcacheSocket = try c.decodeIfPresent(String.self, forKey: .memcacheSocket)
        memcacheListen = try c.decodeIfPresent(String.self, forKey: .memcacheListen)
        memcacheListenAny = try c.decodeIfPresent(Bool.self, forKey: .memcacheListenAny) ?? d.memcacheListenAny
        memcacheMaxValueBytes = try c.decodeIfPresent(Int.self, forKey: .memcacheMaxValueBytes) ?? d.memcacheMaxValueBytes
        idempotencyRetention = try c.decodeIfPresent(Int.self, forKey: .idempotencyRetention) ?? d.idempotencyRetention
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? d.maxBodyBytes
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? d.logLevel
        nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName)
        gossipBind = try c.decodeIfPresent(String.self, forKey: .gossipBind)
        gossipAdvertise = try c.decodeIfPresent(String.self, forKey: .gossipAdvertise)
        join = try c.decodeIfPresent([String].self, forKey: .join) ?? []
        gossipKeyring = try c.decodeIfPresent(String.self, forKey: .gossipKeyring)
        appAddress = try c.decodeIfPresent(String.self, forKey: .appAddress)
        agentCheckBind = try c.decodeIfPresent(String.self, forKey: .agentCheckBind)
        nginxUpstreamFile = try c.decodeIfPresent(String.self, forKey: .nginxUpstreamFile)
        nginxReloadCommand = try c.decodeIfPresent(String.self, forKey: .nginxReloadCommand)
        nginxUpstreamName = try c.decodeIfPresent(String.self, forKey: .nginxUpstreamName) ?? d.nginxUpstreamName
        drainDelayMs = try c.decodeIfPresent(Int.self, forKey: .drainDelayMs) ?? d.drainDelayMs
        adminBind = try c.decodeIfPresent(String.self, forKey: .adminBind)
        gossipInsecure = try c.decodeIfPresent(Bool.self, forKey: .gossipInsecure) ?? d.gossipInsecure
        strictKeyringPermissions = try c.decodeIfPresent(Bool.self, forKey: .strictKeyringPermissions) ?? d.strictKeyringPermissions
        maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? d.maxConnections
        httpIdleTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .httpIdleTimeoutMs) ?? d.httpIdleTimeoutMs
        httpHeaderTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .httpHeaderTimeoutMs) ?? d.httpHeaderTimeoutMs
        maxGossipMembers = try c.decodeIfPresent(Int.self, forKey: .maxGossipMembers) ?? d.maxGossipMembers
        readyHoldMs = try c.decodeIfPresent(Int.self, forKey: .readyHoldMs) ?? d.readyHoldMs
        storeProbeIntervalMs = try c.decodeIfPresent(Int.self, forKey: .storeProbeIntervalMs) ?? d.storeProbeIntervalMs
        zone = try c.decodeIfPresent(String.self, forKey: .zone)
    }

    /// Reads a JSON config file; unknown keys are an error (a typo must not pass silently).
    /// Lines whose first non-blank characters are `//` are comments.
    public static func load(file path: String) throws(ConfigError) -> SidecarConfig {
        guard let raw = FileManager.default.contents(atPath: path) else { throw .init("cannot read config file \(path)") }
        let data = Data(String(decoding: raw, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String($0) }
            .joined(separator: "\n").utf8)
        do {
            let object = try JSONSerialization.jsonObject(with: data)
            guard let dict = object as? [String: Any] else { throw ConfigError("config file \(path) must hold a JSON object") }
            let known = Set(CodingKeys.allCases.map(\.rawValue))
            if let unknown = dict.keys.sorted().first(where: { !known.contains($0) }) {
                throw ConfigError("unknown setting '\(unknown)' in \(path)")
            }
            return try JSONDecoder().decode(SidecarConfig.self, from: data)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw .init("config file \(path) is not valid: \(error)")
        }
    }

    /// Applies `SESSIONMESH_*` environment variables.
    public mutating func applyEnvironment(_ env: [String: String]) throws(ConfigError) {
        func value(_ key: CodingKeys) -> String? {
            let snake = key.rawValue.reduce(into: "") { s, c in
                if c.isUppercase { s += "_" }
                s += c.uppercased()
            }
            return env["SESSIONMESH_" + snake]
        }
        func int(_ key: CodingKeys) throws(ConfigError) -> Int? {
            guard let text = value(key) else { return nil }
            guard let v = Int(text) else { throw .init("SESSIONMESH_ variable for \(key.rawValue) must be an integer, got '\(text)'") }
            return v
        }
        func bool(_ key: CodingKeys) throws(ConfigError) -> Bool? {
            guard let text = value(key) else { return nil }
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw .init("SESSIONMESH_ variable for \(key.rawValue) must be true or false, got '\(text)'")
            }
        }
        if let v = value(.socket) { socket = v }
        if let v = value(.socketMode) { socketMode = v }
        if let v = value(.memcached) { memcached = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let v = value(.redis) { redis = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let v = value(.redisPasswordFile) { redisPasswordFile = v }
        if let v = try int(.replicas) { replicas = v }
        if let v = try int(.writeQuorum) { writeQuorum = v }
        if let v = value(.keyring) { keyring = v }
        if let v = try int(.connectTimeoutMs) { connectTimeoutMs = v }
        if let v = try int(.pollTimeoutMs) { pollTimeoutMs = v }
        if let v = try int(.retryIntervalMs) { retryIntervalMs = v }
        if let v = try int(.operationBudgetMs) { operationBudgetMs = v }
        if let v = try int(.storeThreads) { storeThreads = v }
        if let v = try int(.readThreads) { readThreads = v }
        if let v = try int(.eventLoopThreads) { eventLoopThreads = v }
        if let v = try int(.idleTimeout) { idleTimeout = v }
        if let v = try int(.absoluteTimeout) { absoluteTimeout = v }
        if let v = value(.memcacheSocket) { memcacheSocket = v }
        if let v = value(.memcacheListen) { memcacheListen = v }
        if let v = value(.memcacheListenAny) { memcacheListenAny = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = try int(.memcacheMaxValueBytes) { memcacheMaxValueBytes = v }
        if let v = try int(.idempotencyRetention) { idempotencyRetention = v }
        if let v = try int(.maxBodyBytes) { maxBodyBytes = v }
        if let v = value(.logLevel) { logLevel = v }
        if let v = value(.nodeName) { nodeName = v }
        if let v = value(.gossipBind) { gossipBind = v }
        if let v = value(.gossipAdvertise) { gossipAdvertise = v }
        if let v = value(.join) { join = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let v = value(.gossipKeyring) { gossipKeyring = v }
        if let v = value(.appAddress) { appAddress = v }
        if let v = value(.agentCheckBind) { agentCheckBind = v }
        if let v = value(.nginxUpstreamFile) { nginxUpstreamFile = v }
        if let v = value(.nginxReloadCommand) { nginxReloadCommand = v }
        if let v = value(.nginxUpstreamName) { nginxUpstreamName = v }
        if let v = try int(.drainDelayMs) { drainDelayMs = v }
        if let v = value(.adminBind) { adminBind = v }
        if let v = try bool(.gossipInsecure) { gossipInsecure = v }
        if let v = try bool(.strictKeyringPermissions) { strictKeyringPermissions = v }
        if let v = try int(.maxConnections) { maxConnections = v }
        if let v = try int(.httpIdleTimeoutMs) { httpIdleTimeoutMs = v }
        if let v = try int(.httpHeaderTimeoutMs) { httpHeaderTimeoutMs = v }
        if let v = try int(.maxGossipMembers) { maxGossipMembers = v }
        if let v = try int(.readyHoldMs) { readyHoldMs = v }
        if let v = try int(.storeProbeIntervalMs) { storeProbeIntervalMs = v }
        if let v = value(.zone) { zone = v }
    }

    /// `host:port` split, for the gossip, agent and app addresses.
    public static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port), colon != text.startIndex else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// The node name: configured, else the host name.
    public var resolvedNodeName: String { nodeName ?? ProcessInfo.processInfo.hostName }

    /// Which store the sessions live in.
    public enum StoreBackend: String, Sendable { case memcached, redis }
    public var backend: StoreBackend { redis.isEmpty ? .memcached : .redis }

    /// The memcached nodes in use: the configured ones, else the local default.
    public var memcachedNodes: [String] { memcached.isEmpty ? ["127.0.0.1:11211"] : memcached }

    /// The nodes of the store in use.
    public var storeNodes: [String] { backend == .redis ? redis : memcachedNodes }

    public var storeConfig: MemcachedStoreConfig {
        MemcachedStoreConfig(nodes: memcachedNodes, replicas: replicas, writeQuorum: writeQuorum, connectTimeoutMs: connectTimeoutMs,
                             pollTimeoutMs: pollTimeoutMs, retryIntervalMs: retryIntervalMs,
                             operationBudgetMs: operationBudgetMs, threads: storeThreads,
                             readThreads: readThreads)
    }

    /// The Redis store settings; `password` is read from `redisPasswordFile` by the caller.
    public func redisStoreConfig(password: String?) -> RedisStoreConfig {
        RedisStoreConfig(nodes: redis, password: password, replicas: replicas, writeQuorum: writeQuorum,
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

    /// The socket mode as a number, if it is valid octal.
    public var socketModeValue: UInt16? {
        guard let v = UInt16(socketMode.hasPrefix("0o") ? String(socketMode.dropFirst(2)) : socketMode, radix: 8), v <= 0o777 else { return nil }
        return v
    }

    /// The first problem with these settings, for the operator.
    public func validate() -> String? {
        if socket.isEmpty { return "socket path is empty" }
        if socket.utf8.count > 100 { return "socket path is longer than 100 bytes (Unix socket limit)" }
        if socketModeValue == nil { return "socketMode must be octal such as 0660, got '\(socketMode)'" }
        if keyring == nil { return "no keyring: pass --keyring PATH (create one with `sessionmesh keygen > keyring`)" }
        if idleTimeout < 1 || absoluteTimeout < 1 { return "timeouts must be at least 1 second" }
        if idleTimeout > absoluteTimeout { return "idleTimeout must not exceed absoluteTimeout" }
        if maxBodyBytes < 1024 { return "maxBodyBytes must be at least 1024" }
        if let listen = memcacheListen {
            guard let hp = Self.hostPort(listen) else { return "memcacheListen must be HOST:PORT, got '\(listen)'" }
            if !memcacheListenAny, !(hp.host.hasPrefix("127.") || hp.host == "::1" || hp.host == "localhost") {
                return "memcacheListen is loopback only unless memcacheListenAny is set (the front door has no authentication)"
            }
        }
        if memcacheSocket != nil, memcacheSocket == socket { return "memcacheSocket must differ from socket" }
        if memcacheMaxValueBytes < 1024 || memcacheMaxValueBytes > 64 << 20 { return "memcacheMaxValueBytes must be between 1024 and 67108864" }
        if idempotencyRetention < 60 || idempotencyRetention > 30 * 86_400 { return "idempotencyRetention must be between 60 and 2592000 seconds" }
        if Logger.Level(rawValue: logLevel) == nil { return "unknown logLevel '\(logLevel)'" }
        for (name, value) in [("gossipBind", gossipBind), ("gossipAdvertise", gossipAdvertise), ("appAddress", appAddress),
                              ("agentCheckBind", agentCheckBind)] {
            if let value, Self.hostPort(value) == nil { return "\(name) must be HOST:PORT, got '\(value)'" }
        }
        if let admin = adminBind {
            guard let hp = Self.hostPort(admin) else { return "adminBind must be HOST:PORT, got '\(admin)'" }
            if !(hp.host.hasPrefix("127.") || hp.host == "::1" || hp.host == "localhost") {
                return "adminBind must be a loopback address (the admin port has no authentication)"
            }
        }
        for seed in join where Self.hostPort(seed) == nil { return "join address must be HOST:PORT, got '\(seed)'" }
        if !join.isEmpty && gossipBind == nil { return "join needs gossipBind (--gossip-bind HOST:PORT)" }
        if gossipBind != nil && gossipKeyring == nil && !gossipInsecure {
            return "gossip without a keyring: pass --gossip-keyring PATH (create one with `sessionmesh keygen`), "
                + "or --gossip-insecure to accept unauthenticated plaintext gossip"
        }
        if maxConnections < 1 || maxConnections > 1_000_000 { return "maxConnections must be between 1 and 1000000" }
        if httpIdleTimeoutMs < 100 || httpHeaderTimeoutMs < 100 { return "httpIdleTimeoutMs and httpHeaderTimeoutMs must be at least 100" }
        if maxGossipMembers < 2 || maxGossipMembers > 65_536 { return "maxGossipMembers must be between 2 and 65536" }
        if let name = nodeName, name.isEmpty || name.utf8.count > 128 { return "nodeName must be 1 to 128 bytes" }
        if drainDelayMs < 0 || drainDelayMs > 60_000 { return "drainDelayMs must be between 0 and 60000" }
        if eventLoopThreads < 1 || eventLoopThreads > 64 { return "eventLoopThreads must be between 1 and 64" }
        if readyHoldMs < 0 || readyHoldMs > 600_000 { return "readyHoldMs must be between 0 and 600000" }
        if let zone, zone.isEmpty || zone.utf8.count > 64 || !zone.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)) }) {
            return "zone must be 1 to 64 characters of A-Z, a-z, 0-9, '-', '_', '.', got '\(zone)'"
        }
        if storeProbeIntervalMs < 50 || storeProbeIntervalMs > 60_000 { return "storeProbeIntervalMs must be between 50 and 60000" }
        if !memcached.isEmpty && !redis.isEmpty {
            return "memcached and redis are both set: a sidecar stores its sessions in one of them (set only --memcached or only --redis)"
        }
        if redisPasswordFile != nil && redis.isEmpty { return "redisPasswordFile is set but no redis nodes are" }
        if backend == .redis { return redisStoreConfig(password: nil).validate() }
        return storeConfig.validate()
    }
}

import Logging

public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
