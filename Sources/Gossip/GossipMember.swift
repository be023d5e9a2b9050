/// One member as this node sees it.
public struct GossipMember: Sendable, Equatable {
    public var name: String
    public var address: GossipAddress
    public var incarnation: UInt32
    public var status: MemberStatus
    public var meta: [UInt8]?
    public var vsn: VersionVector
    /// When `status` last changed (nanoseconds, the node's clock).
    public var stateChange: Int64
    /// A serf leave intent was seen for this member.
    public var leaving: Bool

    public init(name: String, address: GossipAddress, incarnation: UInt32, status: MemberStatus,
                meta: [UInt8]?, vsn: VersionVector, stateChange: Int64, leaving: Bool = false) {
        self.name = name; self.address = address; self.incarnation = incarnation; self.status = status
        self.meta = meta; self.vsn = vsn; self.stateChange = stateChange; self.leaving = leaving
    }

    /// serf tags decoded from Meta.
    public var tags: [String: String]? { SerfTags.decode(meta) }

    /// The status `serf members` would print: alive, leaving, left or failed.
    public var serfStatus: String {
        switch status {
        case .alive, .suspect: leaving ? "leaving" : "alive"
        case .left: "left"
        case .dead: leaving ? "left" : "failed"
        }
    }

    public var isDeadOrLeft: Bool { status == .dead || status == .left }

    func pushState() -> PushNodeState {
        PushNodeState(name: name, addr: address.ip, port: address.port, meta: meta ?? [],
                      incarnation: incarnation, state: Int64(status.rawValue), vsn: vsn.bytes)
    }
}

/// What the state machine asks its shell (or the simulator) to do.
public enum GossipEffect: Sendable, Equatable {
    /// Send one UDP datagram (already framed; encrypt it first if a keyring is set).
    case sendPacket([UInt8], to: GossipAddress)
    /// Dial TCP, write `bytes`, read one reply message (`StreamCodec.decode`) and hand it to
    /// `receiveStreamReply(id:…)`; on any failure or after `timeout` call `streamFailed(id:…)`.
    case openStream(StreamRequest)
    /// A member joined, changed status, or changed Meta.
    case memberChanged(GossipMember)
    /// A user message for the embedder (serf payload: `[serf type][msgpack]`, or anything else).
    case userMessage([UInt8], from: GossipAddress?)
    /// A newer load report arrived (only when `emitLoadEffects` is on).
    case loadReport(origin: String, seq: UInt32, payload: [UInt8])
}

public struct StreamRequest: Sendable, Equatable {
    public var id: UInt64
    public var to: GossipAddress
    public var bytes: [UInt8]
    public var purpose: StreamPurpose
    public var timeout: Int64
}

public enum StreamPurpose: Sendable, Equatable {
    case pushPull(join: Bool)
    /// TCP fallback ping for a probe.
    case ping(seqNo: UInt32)
    /// A reliable user message: write and close, no reply is read.
    case userMessage
}

extension StreamRequest {
    /// Whether the shell should read one reply message before closing.
    public var expectsReply: Bool {
        if case .userMessage = purpose { return false }
        return true
    }
}

/// Traffic counters.
public struct GossipStats: Sendable, Equatable {
    public var packetsSent = 0
    public var bytesSent = 0
    public var packetsReceived = 0
    public var bytesReceived = 0
    public var packetErrors = 0
    public var streamsOpened = 0
    public var streamBytesSent = 0
    public var refutations = 0
    public var pushPullRejected = 0
    /// `alive` messages dropped for a missing or invalid address, port or protocol version,
    /// an over-long name or Meta.
    public var membersRejectedInvalid = 0
    /// `alive` messages for new names dropped because the member table is full.
    public var membersRejectedFull = 0
    /// Compressed parts not decompressed because the per-packet or per-second budget was spent.
    public var decompressBudgetExceeded = 0
}
