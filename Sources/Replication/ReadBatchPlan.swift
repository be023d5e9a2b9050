/// What one batch of reads asks of which nodes (`ReplicaDriver.planReadBatch`): one multi-key
/// `gets` per listed node. Kept until the answers come back, for `finishReadBatch`.
public struct ReadBatchPlan: Sendable {
    /// The keys read, in the caller's order (a key may appear twice).
    public let keys: [String]
    /// Each key's home replicas: the first `replicas` nodes of its preference list.
    let homes: [[Int]]
    /// Each key's nodes to read: its first `replicas` live nodes.
    let targets: [[Int]]
    /// The nodes asked, each once.
    public let nodes: [Int]
    /// The keys asked of `nodes[i]`, each once.
    public let keysOfNode: [[String]]
    /// Each key's highest acknowledged version known before the read was sent.
    let floors: [SeenVersions.Floor?]
}
