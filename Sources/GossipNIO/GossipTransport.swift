import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Handles one inbound memberlist stream: receives the first message (plaintext, decrypted
/// if encryption is on; it may still be `compressMsg`) and the peer's address, and returns
/// the reply to write (plaintext; the transport encrypts it), or nil to just close.
public typealias GossipStreamHandler = @Sendable (_ message: [UInt8], _ from: SocketAddress?) async -> [UInt8]?

/// memberlist's packet and stream transport (`net_transport.go`) on SwiftNIO: UDP and TCP on
/// the same host:port, with optional AES-GCM encryption per memberlist 0.2.2.
///
/// Lifecycle: `bind()` (optional; returns the bound address), then `run()` as a
/// swift-service-lifecycle `Service` until graceful shutdown or cancellation, which closes
/// both sockets and finishes ``packets``.
///
/// - UDP: every datagram is decrypted (if a keyring is set) on the event loop and put on
///   ``packets``, a bounded `AsyncStream`; undecryptable datagrams are dropped and
///   counted, and a full queue drops per ``GossipTransportConfig/inboundQueuePolicy``.
/// - TCP: each inbound stream's first message is read (bounded size, bounded time,
///   bounded concurrency), handed to the stream handler, and its reply written back.
public final class GossipTransport: Service, Sendable {
    public let config: GossipTransportConfig
    /// Received UDP packets. Iterate it from one task only.
    public let packets: AsyncStream<GossipTransportPacket>

    let shared: GossipTransportShared
    private let group: any EventLoopGroup
    private let channels: Mutex<Channels>

    private enum Channels: Sendable {
        case idle
        case bound(udp: any Channel, tcp: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never>)
        case running(udp: any Channel, tcp: any Channel)
        case closed
    }

    /// - Parameters:
    ///   - streamHandler: answers inbound TCP streams (push/pull, TCP ping, user messages).
    ///     Without one, inbound streams are read and closed.
    ///   - group: event loops to use (default: NIO's shared singleton).
    public init(
        config: GossipTransportConfig = GossipTransportConfig(),
        logger: Logger = Logger(label: "sessionmesh.gossip.transport"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        streamHandler: GossipStreamHandler? = nil
    ) {
        self.config = config
        self.group = group
        let policy: AsyncStream<GossipTransportPacket>.Continuation.BufferingPolicy =
            switch config.inboundQueuePolicy {
            case .dropOldest: .bufferingNewest(config.inboundQueueCapacity)
            case .dropNewest: .bufferingOldest(config.inboundQueueCapacity)
            }
        let (stream, continuation) = AsyncStream.makeStream(of: GossipTransportPacket.self, bufferingPolicy: policy)
        self.packets = stream
        self.shared = GossipTransportShared(
            config: config,
            logger: logger,
            continuation: continuation,
            streamHandler: streamHandler
        )
        self.channels = Mutex(.idle)
    }

    // MARK: - State

    /// A snapshot of the transport's counters.
    public var stats: GossipTransportStats { shared.stats.withLock { $0 } }

    /// The keyring in use (nil = plaintext).
    public var keyring: GossipKeyring? { shared.keyring.withLock { $0 } }

    /// Bytes that encryption adds to each UDP packet (0 without a keyring; 29 for version 1).
    /// Subtract it from the 1400-byte `UDPBufferSize` budget when piggybacking, as memberlist does.
    public var packetOverhead: Int {
        keyring == nil ? 0 : GossipKeyring.overhead(version: config.encryptionVersion)
    }

    /// Swaps the keyring at run time (key rotation: install → use → remove).
    public func setKeyring(_ keyring: GossipKeyring?) {
        shared.keyring.withLock { $0 = keyring }
    }

    /// Replaces the inbound stream handler.
    public func setStreamHandler(_ handler: GossipStreamHandler?) {
        shared.streamHandler.withLock { $0 = handler }
    }

    /// The bound address (UDP and TCP share it), once bound.
    public var localAddress: SocketAddress? {
        channels.withLock { state -> SocketAddress? in
            switch state {
            case .bound(let udp, _), .running(let udp, _): udp.localAddress
            case .idle, .closed: nil
            }
        }
    }

    // MARK: - Binding and running

    /// Binds TCP and UDP to `config.host:config.port`. With port 0, a port free for both is
    /// found (a few tries). Calling it again after success returns the same address.
    @discardableResult
    public func bind() async throws -> SocketAddress {
        if let address = localAddress { return address }
        let attempts = config.port == 0 ? 16 : 1
        var lastError: any Error = GossipTransportError.bindFailed("no attempt")
        for _ in 0..<attempts {
            let tcp: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never>
            do {
                tcp = try await bindTCP(port: config.port)
            } catch {
                throw GossipTransportError.bindFailed("TCP \(config.host):\(config.port): \(error)")
            }
            guard let port = tcp.channel.localAddress?.port else {
                try? await tcp.channel.close()
                throw GossipTransportError.bindFailed("TCP socket has no local port")
            }
            do {
                let udp = try await bindUDP(port: port)
                let installed = channels.withLock { state -> Bool in
                    guard case .idle = state else { return false }
                    state = .bound(udp: udp, tcp: tcp)
                    return true
                }
                guard installed else {
                    try? await udp.close()
                    try? await tcp.channel.close()
                    if let address = localAddress { return address }
                    throw GossipTransportError.alreadyStarted
                }
                shared.logger.info(
                    "gossip transport bound",
                    metadata: ["address": "\(udp.localAddress.map { "\($0)" } ?? "?")",
                               "encrypted": "\(keyring != nil)"]
                )
                return udp.localAddress ?? tcp.channel.localAddress!
            } catch {
                lastError = error
                try? await tcp.channel.close()
            }
        }
        throw GossipTransportError.bindFailed("UDP \(config.host):\(config.port): \(lastError)")
    }

    // Streams are wrapped as NIOAsyncChannel<ByteBuffer, Never>: replies are written with
    // `channel.writeAndFlush`, whose future completes once the bytes reached the socket
    // (so closing right after cannot cut them), and a child accepted while the listener
    // shuts down can be dropped without tripping NIOAsyncWriter's unfinished-writer check.
    private func bindTCP(port: Int) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .bind(host: config.host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func bindUDP(port: Int) async throws -> any Channel {
        let shared = self.shared
        return try await DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: config.maxDatagramSize))
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(config.udpReceiveBufferSize))
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(GossipUDPInboundHandler(shared: shared))
                }
            }
            .bind(host: config.host, port: port)
            .get()
    }

    /// Serves until graceful shutdown or task cancellation, then closes both sockets,
    /// waits for in-flight streams (each bounded by `streamTimeout`) and finishes ``packets``.
    public func run() async throws {
        try await bind()
        let started = channels.withLock { state -> (any Channel, NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, Never>, Never>)? in
            guard case .bound(let udp, let tcp) = state else { return nil }
            state = .running(udp: udp, tcp: tcp.channel)
            return (udp, tcp)
        }
        guard let started else {
            throw GossipTransportError.alreadyStarted
        }
        let (udp, server) = started
        let shared = self.shared
        defer { shared.continuation.finish() }
        let closeSockets: @Sendable () -> Void = {
            udp.close(promise: nil)
            server.channel.close(promise: nil)
        }
        do {
            try await withTaskCancellationHandler {
                try await withGracefulShutdownHandler {
                    try await withThrowingDiscardingTaskGroup { group in
                        try await server.executeThenClose { inbound in
                            for try await connection in inbound {
                                guard shared.acquireStreamSlot() else {
                                    let rejected = shared.stats.withLock { $0.tcpRejectedLimit += 1; return $0.tcpRejectedLimit }
                                    // Rate-limited: a flood of connections must not flood the log.
                                    if rejected <= 10 || rejected % 1000 == 0 {
                                        shared.logger.warning(
                                            "gossip stream limit reached (maxConcurrentStreams), closing new streams",
                                            metadata: ["peer": "\(connection.channel.remoteAddress.map { "\($0)" } ?? "?")",
                                                       "limit": "\(shared.config.maxConcurrentStreams)", "rejected_total": "\(rejected)"]
                                        )
                                    }
                                    connection.channel.close(promise: nil)
                                    continue
                                }
                                group.addTask {
                                    defer { shared.releaseStreamSlot() }
                                    await shared.serveInbound(connection)
                                }
                            }
                        }
                    }
                } onGracefulShutdown: {
                    closeSockets()
                }
            } onCancel: {
                closeSockets()
            }
        } catch {
            if !Task.isCancelled {
                shared.logger.error("gossip TCP listener failed", metadata: ["error": "\(error)"])
            }
        }
        closeSockets()
        try? await udp.closeFuture.get()
        channels.withLock { $0 = .closed }
        shared.logger.info("gossip transport stopped")
    }

    /// Closes the sockets of a transport that was bound but never run (run() closes its own).
    public func close() async {
        let toClose = channels.withLock { state -> [any Channel] in
            defer { if case .bound = state { state = .closed } }
            switch state {
            case .bound(let udp, let tcp): return [udp, tcp.channel]
            case .running(let udp, let tcp): return [udp, tcp]
            case .idle, .closed: return []
            }
        }
        for channel in toClose { try? await channel.close() }
        if toClose.count == 2 { shared.continuation.finish() }
    }

    // MARK: - UDP send

    /// Sends one packet (encrypted with the primary key when a keyring is set).
    public func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        if let failure = try await send(batch: [(bytes, address)]).first { throw failure.error }
    }

    /// Sends several packets with one hop to the event loop and one flush (a gossip round's
    /// packets cost one wakeup of the loop, not one each). Every packet is attempted; returns
    /// the packets that failed, with their errors (none: all reached the socket).
    @discardableResult
    public func send(batch packets: [(bytes: [UInt8], to: SocketAddress)]) async throws -> [(to: SocketAddress, error: any Error)] {
        guard !packets.isEmpty else { return [] }
        let udp = try udpChannel()
        let envelopes = try packets.map { AddressedEnvelope(remoteAddress: $0.to, data: ByteBuffer(bytes: try shared.sealPacket($0.bytes))) }
        let loop = udp.eventLoop
        let results = try await loop.flatSubmit { () -> EventLoopFuture<[Result<Void, any Error>]> in
            let writes = envelopes.map { envelope -> EventLoopFuture<Void> in
                let promise = loop.makePromise(of: Void.self)
                udp.write(envelope, promise: promise)
                return promise.futureResult
            }
            udp.flush()
            return EventLoopFuture.whenAllComplete(writes, on: loop)
        }.get()
        var failed: [(to: SocketAddress, error: any Error)] = []
        for (i, result) in results.enumerated() {
            if case .failure(let error) = result { failed.append((packets[i].to, error)) }
        }
        shared.stats.withLock { $0.udpSent += packets.count - failed.count }
        return failed
    }

    /// Sends one packet to `host:port` (numeric IP).
    public func send(_ bytes: [UInt8], host: String, port: Int) async throws {
        try await send(bytes, to: SocketAddress(ipAddress: host, port: port))
    }

    private func udpChannel() throws -> any Channel {
        try channels.withLock { state in
            switch state {
            case .bound(let udp, _), .running(let udp, _): return udp
            case .idle: throw GossipTransportError.notBound
            case .closed: throw GossipTransportError.shutDown
            }
        }
    }

    // MARK: - TCP exchange

    /// Opens a stream to `address`, writes one message (encrypted as memberlist's
    /// `encryptMsg` frame when a keyring is set), and, if `expectReply`, reads the reply
    /// message and returns it (decrypted; it may be `compressMsg` or `errMsg`).
    /// Everything, connect included, is bounded by `timeout`.
    public func exchange(
        to address: SocketAddress,
        bytes: [UInt8],
        timeout: Duration = .seconds(10),
        expectReply: Bool = true
    ) async throws -> [UInt8] {
        if case .closed = channels.withLock({ $0 }) { throw GossipTransportError.shutDown }
        let shared = self.shared
        let wire = try shared.sealStream(bytes)
        let opened = Mutex<(any Channel)?>(nil)
        let timedOut = Mutex(false)
        let group = self.group
        do {
            let reply = try await withDeadline(
                timeout,
                onTimeout: {
                    timedOut.withLock { $0 = true }
                    opened.withLock { $0 }?.close(promise: nil)
                }
            ) { () async throws -> [UInt8] in
                let connection = try await ClientBootstrap(group: group)
                    .connectTimeout(.nanoseconds(Int64(timeout.nanosecondsClamped)))
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connect(to: address) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
                        }
                    }
                opened.withLock { $0 = connection.channel }
                if timedOut.withLock({ $0 }) { connection.channel.close(promise: nil) }
                return try await connection.executeThenClose { inbound in
                    try await connection.channel.writeAndFlush(ByteBuffer(bytes: wire))
                    guard expectReply else { return [] }
                    var reserved = 0
                    defer { shared.releaseBuffer(reserved) }
                    let frame = try await shared.readMessage(inbound, reserved: &reserved)
                    return try shared.openStream(frame)
                }
            }
            shared.stats.withLock { $0.tcpExchanges += 1 }
            return reply
        } catch {
            if error is CancellationError { throw error }
            if timedOut.withLock({ $0 }) {
                shared.stats.withLock { $0.tcpTimeouts += 1 }
                throw GossipTransportError.timedOut
            }
            if let error = error as? GossipTransportError {
                if case .messageTooLarge = error { shared.stats.withLock { $0.tcpRejectedOversize += 1 } }
                throw error
            }
            throw GossipTransportError.connectionFailed("\(error)")
        }
    }

    /// ``exchange(to:bytes:timeout:expectReply:)`` to `host:port` (numeric IP).
    public func exchange(
        host: String,
        port: Int,
        bytes: [UInt8],
        timeout: Duration = .seconds(10),
        expectReply: Bool = true
    ) async throws -> [UInt8] {
        try await exchange(
            to: SocketAddress(ipAddress: host, port: port),
            bytes: bytes,
            timeout: timeout,
            expectReply: expectReply
        )
    }
}

// MARK: - Shared state (used from event loops and tasks)

final class GossipTransportShared: Sendable {
    let config: GossipTransportConfig
    let logger: Logger
    let continuation: AsyncStream<GossipTransportPacket>.Continuation
    let keyring: Mutex<GossipKeyring?>
    let streamHandler: Mutex<GossipStreamHandler?>
    let stats = Mutex(GossipTransportStats())
    private let activeStreams = Mutex(0)
    /// Read-buffer bytes held by all streams now (bounded by `maxTotalStreamBufferBytes`).
    let bufferedStreamBytes = Mutex(0)

    init(
        config: GossipTransportConfig,
        logger: Logger,
        continuation: AsyncStream<GossipTransportPacket>.Continuation,
        streamHandler: GossipStreamHandler?
    ) {
        self.config = config
        self.logger = logger
        self.continuation = continuation
        self.keyring = Mutex(config.keyring)
        self.streamHandler = Mutex(streamHandler)
    }

    // UDP

    /// Called on the UDP channel's event loop for each datagram. Never blocks, never traps.
    func ingest(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let keyring = self.keyring.withLock { $0 }
        let bytes: [UInt8]
        if let keyring {
            do {
                bytes = try envelope.data.withUnsafeReadableBytes { try keyring.decrypt(raw: $0) }
            } catch {
                let count = stats.withLock { stats -> Int in
                    stats.udpReceived += 1
                    stats.udpDroppedDecrypt += 1
                    return stats.udpDroppedDecrypt
                }
                // Rate-limited so a flood of garbage can't flood the log.
                if count <= 10 || count % 1000 == 0 {
                    logger.warning(
                        "dropping undecryptable gossip packet",
                        metadata: ["from": "\(envelope.remoteAddress)", "bytes": "\(envelope.data.readableBytes)",
                                   "error": "\(error)", "dropped_total": "\(count)"]
                    )
                }
                return
            }
        } else {
            bytes = Array(envelope.data.readableBytesView)
        }
        guard !bytes.isEmpty else {
            stats.withLock { $0.udpReceived += 1; $0.udpDroppedEmpty += 1 }
            return
        }
        let result = continuation.yield(GossipTransportPacket(bytes: bytes, from: envelope.remoteAddress))
        let dropped = stats.withLock { stats -> Int? in
            stats.udpReceived += 1
            switch result {
            case .enqueued:
                stats.udpEnqueued += 1
                return nil
            case .dropped:
                // With dropOldest the new packet was queued and an old one dropped.
                if config.inboundQueuePolicy == .dropOldest { stats.udpEnqueued += 1 }
                stats.udpDroppedQueueFull += 1
                return stats.udpDroppedQueueFull
            case .terminated:
                return nil
            @unknown default:
                return nil
            }
        }
        if let dropped, dropped == 1 || dropped % 10000 == 0 {
            logger.warning("gossip packet queue full, dropping", metadata: ["dropped_total": "\(dropped)"])
        }
    }

    func sealPacket(_ bytes: [UInt8]) throws -> [UInt8] {
        guard let keyring = keyring.withLock({ $0 }) else { return bytes }
        do {
            return try keyring.encrypt(bytes, version: config.encryptionVersion)
        } catch {
            throw GossipTransportError.encryptFailed("\(error)")
        }
    }

    // TCP

    func acquireStreamSlot() -> Bool {
        activeStreams.withLock { active in
            guard active < config.maxConcurrentStreams else { return false }
            active += 1
            return true
        }
    }

    func releaseStreamSlot() {
        activeStreams.withLock { $0 -= 1 }
    }

    func sealStream(_ bytes: [UInt8]) throws -> [UInt8] {
        guard let keyring = keyring.withLock({ $0 }) else { return bytes }
        do {
            return try keyring.encryptStream(bytes, version: config.encryptionVersion)
        } catch {
            throw GossipTransportError.encryptFailed("\(error)")
        }
    }

    /// Checks the encryption mode of a complete framed message and decrypts it.
    func openStream(_ frame: [UInt8]) throws -> [UInt8] {
        let keyring = keyring.withLock { $0 }
        let encrypted = frame.first == GossipKeyring.encryptMsgType
        if encrypted {
            guard let keyring else {
                throw GossipTransportError.encryptionMismatch("remote state is encrypted and encryption is not configured")
            }
            do {
                return try keyring.decryptStream(frame)
            } catch let error as GossipDecryptError {
                throw GossipTransportError.decryptFailed(error)
            }
        }
        if keyring != nil && config.requireEncryptedStreams {
            throw GossipTransportError.encryptionMismatch("encryption is configured but remote state is not encrypted")
        }
        return frame
    }

    /// Takes `bytes` more from the shared stream-buffer budget, or returns false.
    func reserveBuffer(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        return bufferedStreamBytes.withLock { total in
            guard total + bytes <= config.maxTotalStreamBufferBytes else { return false }
            total += bytes
            return true
        }
    }

    func releaseBuffer(_ bytes: Int) {
        guard bytes > 0 else { return }
        bufferedStreamBytes.withLock { $0 -= bytes }
    }

    /// Reads one complete framed message (encrypted frame or plaintext per `config.framer`),
    /// enforcing `maxStreamMessageSize` and the shared buffer budget: `reserved` is what this
    /// stream holds of it; the caller releases it (``releaseBuffer(_:)``) when done with the bytes.
    func readMessage(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, reserved: inout Int) async throws -> [UInt8] {
        let maxSize = config.maxStreamMessageSize
        var buffer = ByteBuffer()
        var minimum = 1
        for try await var chunk in inbound {
            // Count what the buffer will hold (its capacity grows by doubling), plus the copy
            // handed on below, before taking the bytes.
            let after = buffer.readableBytes + chunk.readableBytes
            var grown = 1
            while grown < after { grown <<= 1 }
            let needed = Swift.max(buffer.capacity, grown) + after
            if needed > reserved {
                guard reserveBuffer(needed - reserved) else {
                    stats.withLock { $0.tcpRejectedBufferFull += 1 }
                    throw GossipTransportError.streamBuffersFull(limit: config.maxTotalStreamBufferBytes)
                }
                reserved = needed
            }
            buffer.writeBuffer(&chunk)
            guard buffer.readableBytes >= minimum else {
                continue
            }
            let framer: any StreamFramer =
                buffer.readableBytesView.first == GossipKeyring.encryptMsgType
                ? EncryptedStreamFramer(maxLength: max(0, maxSize - 5))
                : config.framer
            let decision = buffer.withUnsafeReadableBytes { framer.decide($0) }
            switch decision {
            case .complete(let length):
                guard length <= maxSize else { throw GossipTransportError.messageTooLarge(length) }
                return Array(buffer.readableBytesView.prefix(length))
            case .needMore(let total):
                if total > maxSize { throw GossipTransportError.messageTooLarge(total) }
                minimum = max(total, buffer.readableBytes + 1)
            case .tooLarge(let length):
                throw GossipTransportError.messageTooLarge(length)
            case .invalid(let reason):
                throw GossipTransportError.invalidMessage(reason)
            }
            if buffer.readableBytes > maxSize {
                throw GossipTransportError.messageTooLarge(buffer.readableBytes)
            }
        }
        throw GossipTransportError.connectionClosed(receivedBytes: buffer.readableBytes)
    }

    /// Serves one inbound stream: read, hand to the handler, reply, close — all within
    /// `streamTimeout`.
    func serveInbound(_ connection: NIOAsyncChannel<ByteBuffer, Never>) async {
        stats.withLock { $0.tcpAccepted += 1 }
        let channel = connection.channel
        let peer = channel.remoteAddress
        let timedOut = Mutex(false)
        do {
            try await withDeadline(
                config.streamTimeout,
                onTimeout: {
                    timedOut.withLock { $0 = true }
                    channel.close(promise: nil)
                }
            ) { () async throws -> Void in
                try await connection.executeThenClose { inbound in
                    let message: [UInt8]
                    var reserved = 0
                    defer { self.releaseBuffer(reserved) }
                    do {
                        message = try self.openStream(try await self.readMessage(inbound, reserved: &reserved))
                    } catch let error as GossipTransportError {
                        self.countStreamRejection(error)
                        self.logger.warning(
                            "failed to receive gossip stream",
                            metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")", "error": "\(error)"]
                        )
                        if self.config.sendErrorResponses, Self.isReportable(error),
                           let reply = try? self.sealStream(Self.errorResponse("\(error)")) {
                            try? await channel.writeAndFlush(ByteBuffer(bytes: reply))
                        }
                        return
                    }
                    guard let handler = self.streamHandler.withLock({ $0 }) else {
                        self.logger.debug("no stream handler, closing gossip stream")
                        return
                    }
                    guard let reply = await handler(message, peer) else { return }
                    let wire = try self.sealStream(reply)
                    try await channel.writeAndFlush(ByteBuffer(bytes: wire))
                }
            }
        } catch {
            if error is CancellationError {
                logger.debug("gossip stream cancelled by shutdown", metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")"])
            } else if timedOut.withLock({ $0 }) {
                stats.withLock { $0.tcpTimeouts += 1 }
                logger.warning("gossip stream timed out", metadata: ["peer": "\(peer.map { "\($0)" } ?? "?")"])
            } else {
                logger.debug("gossip stream ended with error", metadata: ["error": "\(error)"])
            }
        }
    }

    private func countStreamRejection(_ error: GossipTransportError) {
        stats.withLock { stats in
            switch error {
            case .messageTooLarge: stats.tcpRejectedOversize += 1
            case .connectionClosed, .streamBuffersFull: break
            default: stats.tcpRejectedInvalid += 1
            }
        }
    }

    private static func isReportable(_ error: GossipTransportError) -> Bool {
        if case .connectionClosed = error { return false }
        return true
    }

    /// memberlist `errResp`: `[13]` + msgpack `{"Error": message}`.
    static func errorResponse(_ message: String) -> [UInt8] {
        var out: [UInt8] = [13, 0x81, 0xA5]
        out.append(contentsOf: Array("Error".utf8))
        let text = Array(message.utf8.prefix(65535))
        if text.count < 32 {
            out.append(0xA0 | UInt8(text.count))
        } else {
            out.append(0xDA)
            out.append(UInt8(text.count >> 8))
            out.append(UInt8(text.count & 0xFF))
        }
        out.append(contentsOf: text)
        return out
    }
}

// MARK: - UDP handler

final class GossipUDPInboundHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let shared: GossipTransportShared

    init(shared: GossipTransportShared) {
        self.shared = shared
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        shared.ingest(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket survives read errors (e.g. ICMP reports); log and go on.
        shared.logger.debug("gossip UDP socket error", metadata: ["error": "\(error)"])
    }
}

// MARK: - Deadlines

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        if seconds >= Int64.max / 1_000_000_000 { return Int64.max }
        if seconds < 0 { return 0 }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

private enum DeadlineOutcome<T: Sendable>: Sendable {
    case value(T)
    case expired
}

/// Runs `body`; if it is still running after `timeout` (or the task is cancelled),
/// calls `onTimeout` (which must make `body` finish, e.g. by closing its channel) and
/// throws ``GossipTransportError/timedOut`` (`CancellationError` when cancelled).
func withDeadline<T: Sendable>(
    _ timeout: Duration,
    onTimeout: @escaping @Sendable () -> Void,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
        group.addTask { .value(try await body()) }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return .expired
        }
        defer { group.cancelAll() }
        while let outcome = try await group.next() {
            switch outcome {
            case .value(let value):
                return value
            case .expired:
                // Closing the channel makes the body unwind; the group awaits it on exit.
                onTimeout()
                group.cancelAll()
                if Task.isCancelled { throw CancellationError() }
                throw GossipTransportError.timedOut
            }
        }
        throw GossipTransportError.timedOut
    }
}
