import Replication

/// Settings of the replicated store over independent Redis nodes. Times in milliseconds.
public struct RedisStoreConfig: Sendable, Equatable {
    /// `host:port` of every Redis node, in a stable order every sidecar shares.
    public var nodes: [String]
    /// Sent with AUTH on every new connection; nil: no AUTH.
    public var password: String?
    /// Copies per record (default 2).
    public var replicas: Int
    /// Copies that must hold a write before it is acknowledged (default: all `replicas`).
    public var writeQuorum: Int
    /// TCP connect deadline, ms (`redisConnectWithTimeout`).
    public var connectTimeoutMs: Int
    /// Deadline of every send and receive on a connection, ms (`redisSetTimeout`).
    public var ioTimeoutMs: Int
    /// How long a node that failed is skipped before it is tried again, ms.
    public var retryIntervalMs: Int
    /// Whole-operation budget: no store call blocks a request longer than this, ms.
    public var operationBudgetMs: Int
    /// Threads that run the blocking Redis calls of writes and repairs.
    public var threads: Int
    /// Threads that serve coalesced reads. Each node keeps at most `threads + readThreads` idle connections.
    public var readThreads: Int
    /// Recently used records whose highest seen version is remembered (`SeenVersions`).
    public var rememberedVersions: Int = 16_384

    public init(nodes: [String], password: String? = nil, replicas: Int = 2, writeQuorum: Int? = nil,
                connectTimeoutMs: Int = 250, ioTimeoutMs: Int = 250, retryIntervalMs: Int = 1000,
                operationBudgetMs: Int = 1000, threads: Int = 8, readThreads: Int = 1) {
        self.nodes = nodes
        self.password = password
        self.replicas = replicas
        self.writeQuorum = writeQuorum ?? replicas
        self.connectTimeoutMs = connectTimeoutMs
        self.ioTimeoutMs = ioTimeoutMs
        self.retryIntervalMs = retryIntervalMs
        self.operationBudgetMs = operationBudgetMs
        self.threads = threads
        self.readThreads = readThreads
    }

    /// The rules the replication core applies.
    public var replication: ReplicationSettings {
        ReplicationSettings(replicas: replicas, writeQuorum: writeQuorum, operationBudgetMs: operationBudgetMs)
    }

    /// Checks the settings; returns a message for the operator on the first problem.
    public func validate() -> String? {
        if nodes.isEmpty { return "no redis nodes configured" }
        for node in nodes where RedisAddress(node) == nil { return "bad redis node address '\(node)' (want HOST:PORT)" }
        if Set(nodes).count != nodes.count { return "a redis node is listed twice" }
        if replicas < 1 || replicas > nodes.count { return "replicas must be between 1 and the number of nodes (\(nodes.count))" }
        if writeQuorum < 1 || writeQuorum > replicas { return "writeQuorum must be between 1 and replicas (\(replicas))" }
        if connectTimeoutMs < 1 || ioTimeoutMs < 1 { return "redis timeouts must be at least 1 ms" }
        if operationBudgetMs < ioTimeoutMs { return "operationBudgetMs must be at least the I/O timeout (pollTimeoutMs)" }
        if threads < 1 || threads > 256 { return "threads must be between 1 and 256" }
        if readThreads < 1 || readThreads > 64 { return "readThreads must be between 1 and 64" }
        if let password, password.isEmpty || password.contains(where: \.isNewline) { return "the redis password must be one non-empty line" }
        return nil
    }
}

/// `host:port`, parsed.
public struct RedisAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port), colon != text.startIndex else { return nil }
        self.host = String(text[..<colon])
        self.port = port
    }
}

public struct RedisConfigError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
