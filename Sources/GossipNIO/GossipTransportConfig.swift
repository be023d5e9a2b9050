import NIOCore

/// Settings for ``GossipTransport``. Defaults follow memberlist 0.2.2 / serf's LAN profile.
public struct GossipTransportConfig: Sendable {
    /// What happens when the inbound packet queue is full.
    public enum QueuePolicy: Sendable, Equatable {
        /// Keep the newest packets, dropping the oldest queued one (default: acks are fresh).
        case dropOldest
        /// Keep what is queued, dropping the arriving packet.
        case dropNewest
    }

    /// Bind address for both UDP and TCP. memberlist advertises the bind IP.
    public var host: String
    /// Bind port for both UDP and TCP (default 7946). 0 picks a free port that is free for
    /// both protocols; read it back from ``GossipTransport/bind()``.
    public var port: Int
    /// Encrypt/decrypt with this keyring (nil = plaintext). It can be swapped at run time
    /// with ``GossipTransport/setKeyring(_:)``.
    public var keyring: GossipKeyring?
    /// Encryption version for outbound data: 1 for memberlist protocol ≥ 2 (serf), 0 for 1.
    public var encryptionVersion: UInt8

    /// Largest datagram read (memberlist `udpPacketBufSize` = 65536).
    public var maxDatagramSize: Int
    /// SO_RCVBUF asked for the UDP socket (memberlist asks for 2 MiB).
    public var udpReceiveBufferSize: Int
    /// How many received packets may wait for the embedder.
    public var inboundQueueCapacity: Int
    public var inboundQueuePolicy: QueuePolicy

    /// Inbound TCP streams handled at once; more are closed on accept.
    public var maxConcurrentStreams: Int
    /// Deadline for a whole stream (read, handler and reply; memberlist `TCPTimeout`).
    public var streamTimeout: Duration
    /// Largest stream message accepted, on the wire (memberlist `maxPushStateBytes` = 20 MiB).
    public var maxStreamMessageSize: Int
    /// Bytes all streams (inbound and replies to our own) may hold in their read buffers at once.
    /// A stream that would take the total past it is dropped, so N streams that each claim a
    /// large message cannot hold N × `maxStreamMessageSize` before they are authenticated.
    public var maxTotalStreamBufferBytes: Int
    /// Delimits plaintext stream messages. Encrypted streams are length-prefixed and always
    /// framed by ``EncryptedStreamFramer``.
    public var framer: any StreamFramer
    /// When a keyring is set, reject plaintext streams (memberlist `GossipVerifyIncoming`).
    public var requireEncryptedStreams: Bool
    /// Answer a stream that cannot be read with memberlist's `errResp` (13), as memberlist does.
    public var sendErrorResponses: Bool

    public init(
        host: String = "0.0.0.0",
        port: Int = 7946,
        keyring: GossipKeyring? = nil,
        encryptionVersion: UInt8 = GossipKeyring.defaultVersion,
        maxDatagramSize: Int = 65536,
        udpReceiveBufferSize: Int = 2 * 1024 * 1024,
        inboundQueueCapacity: Int = 1024,
        inboundQueuePolicy: QueuePolicy = .dropOldest,
        maxConcurrentStreams: Int = 128,
        streamTimeout: Duration = .seconds(10),
        maxStreamMessageSize: Int = 20 * 1024 * 1024,
        maxTotalStreamBufferBytes: Int = 4 * 1024 * 1024,
        framer: (any StreamFramer)? = nil,
        requireEncryptedStreams: Bool = true,
        sendErrorResponses: Bool = true
    ) {
        self.host = host
        self.port = port
        self.keyring = keyring
        self.encryptionVersion = encryptionVersion
        self.maxDatagramSize = maxDatagramSize
        self.udpReceiveBufferSize = udpReceiveBufferSize
        self.inboundQueueCapacity = max(1, inboundQueueCapacity)
        self.inboundQueuePolicy = inboundQueuePolicy
        self.maxConcurrentStreams = max(1, maxConcurrentStreams)
        self.streamTimeout = streamTimeout
        self.maxStreamMessageSize = maxStreamMessageSize
        self.maxTotalStreamBufferBytes = maxTotalStreamBufferBytes
        self.framer = framer ?? MemberlistStreamFramer(maxMessageSize: maxStreamMessageSize)
        self.requireEncryptedStreams = requireEncryptedStreams
        self.sendErrorResponses = sendErrorResponses
    }
}

/// One received UDP packet, decrypted if a keyring is set.
public struct GossipTransportPacket: Sendable {
    /// Plaintext bytes, starting with the memberlist type byte (possibly 12 = CRC,
    /// 9 = compressed, 7 = compound: unwrapping those is the Gossip layer's job).
    public var bytes: [UInt8]
    /// Sender's UDP address.
    public var from: SocketAddress
    /// When the transport read it.
    public var receivedAt: ContinuousClock.Instant

    public init(bytes: [UInt8], from: SocketAddress, receivedAt: ContinuousClock.Instant = .now) {
        self.bytes = bytes
        self.from = from
        self.receivedAt = receivedAt
    }
}

/// Counters kept by ``GossipTransport``; read a snapshot with ``GossipTransport/stats``.
public struct GossipTransportStats: Sendable, Equatable {
    /// Datagrams read from the socket.
    public var udpReceived = 0
    /// Datagrams handed to the packet queue.
    public var udpEnqueued = 0
    /// Datagrams dropped because the queue was full.
    public var udpDroppedQueueFull = 0
    /// Datagrams dropped because they could not be decrypted.
    public var udpDroppedDecrypt = 0
    /// Datagrams dropped because they were empty.
    public var udpDroppedEmpty = 0
    /// Datagrams written.
    public var udpSent = 0
    /// Inbound streams accepted and served.
    public var tcpAccepted = 0
    /// Inbound streams closed at once because too many were open.
    public var tcpRejectedLimit = 0
    /// Streams (inbound or replies) rejected for exceeding `maxStreamMessageSize`.
    public var tcpRejectedOversize = 0
    /// Streams dropped because all streams together already buffered `maxTotalStreamBufferBytes`.
    public var tcpRejectedBufferFull = 0
    /// Streams rejected as malformed, undecryptable or of the wrong encryption mode.
    public var tcpRejectedInvalid = 0
    /// Streams that hit `streamTimeout` (inbound) or the exchange timeout (outbound).
    public var tcpTimeouts = 0
    /// Outbound exchanges completed.
    public var tcpExchanges = 0

    public init() {}
}

/// Errors thrown by ``GossipTransport``.
public enum GossipTransportError: Error, Equatable, Sendable {
    case notBound
    case alreadyStarted
    case shutDown
    case timedOut
    /// The peer closed the stream before a whole message arrived.
    case connectionClosed(receivedBytes: Int)
    case messageTooLarge(Int)
    /// All streams together hold `maxTotalStreamBufferBytes`; this one would need more.
    case streamBuffersFull(limit: Int)
    case invalidMessage(String)
    /// One side encrypted and the other did not.
    case encryptionMismatch(String)
    case decryptFailed(GossipDecryptError)
    case encryptFailed(String)
    case bindFailed(String)
    /// Connecting, reading or writing failed (refused, reset, …); the NIO error's description.
    case connectionFailed(String)
}
