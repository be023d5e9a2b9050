import Gossip

/// What the gossip shell is told at start: who it is, where it listens, whom it joins.
public struct GossipShellSettings: Sendable {
    public var name: String
    public var bindHost: String
    public var bindPort: Int
    /// Where peers reach this node (a name is resolved); nil: the bound address, or for a
    /// wildcard bind the first private interface address (`GossipAddressResolution`).
    public var advertise: (host: String, port: Int)?
    public var seeds: [(host: String, port: Int)]
    public var keyring: GossipKeyring?
    /// Serf tags in the node's Meta at start (≤ 512 bytes encoded).
    public var tags: [String: String]
    /// How often the Meta may change (the embedder's `refreshedTags`).
    public var metaUpdateInterval: Duration = .seconds(5)
    public var gossip: GossipConfig = .lan
    /// Inbound gossip streams served at once (more are closed on accept).
    public var maxStreams = 64
    /// Where this process's load sequence starts: a restarted node must start above its
    /// previous life's (`GossipNode.startLoadSequence`), so the embedder passes a value derived
    /// from the wall clock.
    public var loadSequenceStart: UInt32 = 0
    /// Decompressed bytes inbound streams may produce per second: a dozen full-size compressed
    /// push/pulls, far above what a mesh sends (each node starts one push/pull every 30 s).
    public var streamDecompressPerSecond = 16 << 20

    public init(name: String, bindHost: String, bindPort: Int, advertise: (host: String, port: Int)? = nil,
                seeds: [(host: String, port: Int)], keyring: GossipKeyring?, tags: [String: String]) {
        self.name = name
        self.bindHost = bindHost
        self.bindPort = bindPort
        self.advertise = advertise
        self.seeds = seeds
        self.keyring = keyring
        self.tags = tags
        // SIGTERM should show `left` on peers within a second, like `serf leave`.
        gossip.leavePropagateDelay = 200 * GossipConfig.millisecond
    }

    /// The transport for these settings: stream limits sized for `gossip.maxMembers`.
    public var transportConfig: GossipTransportConfig {
        var config = GossipTransportConfig()
        config.host = bindHost
        config.port = bindPort
        config.keyring = keyring
        config.maxConcurrentStreams = maxStreams
        config.maxStreamMessageSize = Self.maxStreamMessageSize(maxMembers: gossip.maxMembers)
        config.maxTotalStreamBufferBytes = Self.maxTotalStreamBufferBytes(maxMembers: gossip.maxMembers)
        return config
    }

    /// The largest push/pull a mesh of `maxMembers` needs: a member's state is at most ~850 bytes
    /// (name ≤ 255, Meta ≤ 512, address, versions, incarnation, field names), so 1 KiB each,
    /// plus 256 KiB for serf's user state (Lamport times per member, recent events and queries).
    /// 1024 members: 1.25 MiB (memberlist allows 20 MiB).
    public static func maxStreamMessageSize(maxMembers: Int) -> Int {
        256 * 1024 + max(1, maxMembers) * 1024
    }

    /// Read buffers of all gossip streams together: room for about three full-size push/pulls at
    /// once (a 10-node mesh's push/pull is ~5 KB), and never less than 4 MiB.
    public static func maxTotalStreamBufferBytes(maxMembers: Int) -> Int {
        max(4 * 1024 * 1024, 3 * maxStreamMessageSize(maxMembers: maxMembers))
    }
}
