import Gossip

/// A gossip simulation's scenario: the mesh, the network, the faults and what is sampled.
public struct SimulationConfig: Sendable {
    public var nodes = 10
    /// Packet loss probability per UDP datagram.
    public var loss = 0.0
    /// One-way latency: base + uniform jitter (ns).
    public var latencyBase: Int64 = 1 * GossipConfig.millisecond
    public var latencyJitter: Int64 = 4 * GossipConfig.millisecond
    public var seed: UInt64 = 1
    public var duration: Int64 = 30 * GossipConfig.second
    /// Load ages are sampled from here on (lets the tables fill).
    public var warmup: Int64 = 5 * GossipConfig.second
    public var sampleEvery: Int64 = 500 * GossipConfig.millisecond
    /// At most this many observers are sampled per sampling point (a deterministic stride).
    public var maxSampledObservers = 200
    /// How often each node publishes a load report (default: every gossip round).
    public var loadInterval: Int64 = 200 * GossipConfig.millisecond
    public var loadPayloadBytes = 8
    /// Node indices to crash and when.
    public var crashes: [(node: Int, at: Int64)] = []
    /// Node indices that leave gracefully and when.
    public var leaves: [(node: Int, at: Int64)] = []
    /// Nodes in `side` cannot talk to the others between `start` and `end`.
    public var partitions: [(side: Set<Int>, start: Int64, end: Int64)] = []
    /// true: start from a converged membership; false: every node joins node 0 via push/pull.
    public var startConverged = true
    public var gossip: GossipConfig = {
        var c = GossipConfig.lan
        c.enableCompression = false // CPU: compression is size-neutral for the protocol logic
        return c
    }()

    public init() {}
}
