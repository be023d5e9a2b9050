/// Timing and behaviour knobs. Defaults are memberlist's `DefaultLANConfig` (what
/// `serf agent -profile lan` uses). All durations are nanoseconds.
public struct GossipConfig: Sendable {
    public static let millisecond: Int64 = 1_000_000
    public static let second: Int64 = 1_000_000_000

    public var probeInterval: Int64 = 1 * second
    public var probeTimeout: Int64 = 500 * millisecond
    public var indirectChecks = 3
    public var gossipInterval: Int64 = 200 * millisecond
    public var gossipNodes = 3
    public var gossipToTheDeadTime: Int64 = 30 * second
    public var retransmitMult = 4
    public var suspicionMult = 4
    public var suspicionMaxTimeoutMult = 6
    public var awarenessMaxMultiplier = 8
    public var pushPullInterval: Int64 = 30 * second
    public var tcpTimeout: Int64 = 10 * second
    public var udpBufferSize = 1400
    public var disableTcpPings = false
    /// serf compresses streams and any packet that gets smaller. Receivers always accept both.
    public var enableCompression = true
    /// `[pmin, pmax, pcur, dmin, dmax, dcur]`; must stay `[1,5,2,2,5,5]` in a serf mesh.
    public var vsn: VersionVector = .serf094
    /// 0 disables reclaiming the name of a dead node at a new address (memberlist default).
    public var deadNodeReclaimTime: Int64 = 0
    /// Time between gossiping the serf leave intent and the memberlist dead-for-self.
    public var leavePropagateDelay: Int64 = 1 * second
    /// serf's ReconnectInterval / ReconnectTimeout: retry failed members via push/pull.
    public var reconnectInterval: Int64 = 30 * second
    public var reconnectTimeout: Int64 = 24 * 3600 * second
    /// Announce a serf join intent after joining (serf agents do).
    public var sendSerfJoinIntent = true
    /// Load-report dissemination (a SessionMesh user message, see `LoadDigest`); nil disables it.
    public var load: LoadGossipConfig? = LoadGossipConfig()
    /// Most members (any state, self included) kept; `alive` for a new name beyond it is dropped
    /// and counted (`GossipStats.membersRejectedFull`). Bounds memory and per-member state.
    public var maxMembers = 1024
    /// Longest node name accepted, bytes.
    public var maxNameBytes = 255
    /// Longest Meta accepted, bytes (memberlist `MetaMaxSize`).
    public var maxMetaBytes = 512
    /// Decompressed bytes one datagram may produce in total, over all its `compressMsg` parts.
    /// A sender compresses at most one UDP buffer (1400 bytes) of messages per packet.
    public var maxDecompressedPerPacket = 64 * 1024
    /// Decompressed bytes all datagrams may produce per second; past it, compressed packets are
    /// dropped (and counted) until the budget refills. Bounds LZW CPU (about 4 ms per MiB).
    public var maxDecompressedPerSecond = 2 * 1024 * 1024

    public init() {}

    /// memberlist DefaultLANConfig.
    public static var lan: GossipConfig { GossipConfig() }
}

/// How load reports ride on gossip rounds.
public struct LoadGossipConfig: Sendable {
    /// Gossip targets per round that carry a load digest (at least `gossipNodes` are used).
    public var fanout = 6
    /// Max times this node forwards one version of a peer's report (0 = derive from cluster size).
    public var maxTransmits = 0
    /// Byte budget for the digest inside one packet.
    public var maxDigestBytes = 1200
    public init(fanout: Int = 6, maxTransmits: Int = 0, maxDigestBytes: Int = 1200) {
        self.fanout = fanout
        self.maxTransmits = maxTransmits
        self.maxDigestBytes = maxDigestBytes
    }
}
