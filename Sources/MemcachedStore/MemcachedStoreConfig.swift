import Replication

/// Settings of the replicated memcached store. Times in milliseconds.
public struct MemcachedStoreConfig: Sendable, Equatable {
    /// `host:port` of every memcached node, in a stable order every sidecar shares.
    public var nodes: [String]
    /// Copies per session (default 2).
    public var replicas: Int
    /// Copies that must hold a write before it is acknowledged (default: all `replicas`).
    public var writeQuorum: Int
    /// libmemcached CONNECT_TIMEOUT, ms.
    public var connectTimeoutMs: Int
    /// libmemcached POLL_TIMEOUT, ms: the only I/O deadline that works (see reference).
    public var pollTimeoutMs: Int
    /// How long a node that failed is skipped before it is tried again, ms.
    public var retryIntervalMs: Int
    /// Whole-operation budget: no store call blocks a request longer than this, ms.
    public var operationBudgetMs: Int
    /// Threads that run the blocking libmemcached calls of writes and repairs.
    public var threads: Int
    /// Threads that serve coalesced reads (`ReadCoalescer`).
    public var readThreads: Int
    /// Handles in each node's pool: one per thread that may call at once, the writes' `threads`,
    /// the `readThreads` and the store probe's own thread (`StoreProbe`).
    public var handlesPerNode: Int { threads + readThreads + 1 }
    /// Recently used records whose highest seen version is remembered, to refuse rolled-back copies
    /// (`SeenVersions`; about 40 bytes each).
    public var rememberedVersions: Int = 16_384

    public init(nodes: [String], replicas: Int = 2, writeQuorum: Int? = nil, connectTimeoutMs: Int = 250,
                pollTimeoutMs: Int = 250, retryIntervalMs: Int = 1000, operationBudgetMs: Int = 1000, threads: Int = 8,
                readThreads: Int = 1) {
        self.nodes = nodes
        self.replicas = replicas
        self.writeQuorum = writeQuorum ?? replicas
        self.connectTimeoutMs = connectTimeoutMs
        self.pollTimeoutMs = pollTimeoutMs
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
        if nodes.isEmpty { return "no memcached nodes configured" }
        for node in nodes where MemcachedAddress(node) == nil { return "bad memcached node address '\(node)' (want HOST:PORT)" }
        if Set(nodes).count != nodes.count { return "a memcached node is listed twice" }
        if replicas < 1 || replicas > nodes.count { return "replicas must be between 1 and the number of nodes (\(nodes.count))" }
        if writeQuorum < 1 || writeQuorum > replicas { return "writeQuorum must be between 1 and replicas (\(replicas))" }
        if connectTimeoutMs < 1 || pollTimeoutMs < 1 { return "memcached timeouts must be at least 1 ms" }
        if operationBudgetMs < pollTimeoutMs { return "operationBudgetMs must be at least pollTimeoutMs" }
        if threads < 1 || threads > 256 { return "threads must be between 1 and 256" }
        if readThreads < 1 || readThreads > 64 { return "readThreads must be between 1 and 64" }
        return nil
    }
}

/// `host:port`, parsed.
public struct MemcachedAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port), colon != text.startIndex else { return nil }
        self.host = String(text[..<colon])
        self.port = port
    }
}
