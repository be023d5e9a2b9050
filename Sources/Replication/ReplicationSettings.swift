/// The replication rules every sidecar of a mesh must share. Times in milliseconds.
public struct ReplicationSettings: Sendable, Equatable {
    /// Copies per record.
    public var replicas: Int
    /// Copies that must hold a write before it is acknowledged.
    public var writeQuorum: Int
    /// No operation takes longer than this, retries included.
    public var operationBudgetMs: Int

    public init(replicas: Int, writeQuorum: Int, operationBudgetMs: Int) {
        self.replicas = replicas
        self.writeQuorum = writeQuorum
        self.operationBudgetMs = operationBudgetMs
    }

    /// How many of a record's home replicas (the first `replicas` nodes of its preference list)
    /// must be heard before their silence is an answer: an acknowledged write holds `writeQuorum`
    /// of `replicas` copies, so any `replicas - writeQuorum + 1` home replicas include one of them
    /// unless a node was down when the write was made and has lost its copy since (two faults).
    public var homeReplicasForAnswer: Int { replicas - writeQuorum + 1 }
}
