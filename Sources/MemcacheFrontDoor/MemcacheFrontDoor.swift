import Logging
import MemcacheProtocol
import NIOCore
import NIOLoopExecutor
import NIOPosix
import ServiceLifecycle

/// The memcached-protocol front door: stock session handlers (php-memcached, memcached-session-
/// manager, Django, gomemcache, Dalli) pointed at the sidecar get its guarantees unchanged.
///
/// Per connection the first byte picks the protocol (0x80 binary, anything else text, as memcached
/// does). Each connection is served by one task that prefers the connection's event loop: the pure
/// decoder runs on the bytes as they arrive, requests are answered in order (pipelining), and only
/// the store's blocking calls leave the loop. Concurrent reads share the store's coalesced
/// multi-key `gets`. On graceful shutdown it stops accepting, lets each connection finish the
/// requests it has read, and closes.
public final class MemcacheFrontDoor: Service {
    public struct Listener: Sendable, Equatable {
        public enum Address: Sendable, Equatable {
            case unixSocket(path: String)
            case tcp(host: String, port: Int)
        }

        public var address: Address
        public init(_ address: Address) { self.address = address }
    }

    let listeners: [Listener]
    let limits: MemcacheLimits
    let maxConnections: Int
    let responder: MemcacheResponder
    let logger: Logger
    let onListening: @Sendable (Listener) -> Void

    /// - Parameters:
    ///   - onListening: called once a listener is bound (the composition sets the socket's mode there).
    public init(listeners: [Listener], items: MemcacheItems, limits: MemcacheLimits = MemcacheLimits(),
                maxConnections: Int = 1024, logger: Logger, onListening: @escaping @Sendable (Listener) -> Void = { _ in }) {
        self.listeners = listeners
        self.limits = limits
        self.maxConnections = maxConnections
        self.responder = MemcacheResponder(items: items, stats: FrontDoorStats(wallMillis: items.now()))
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for listener in listeners {
                group.addTask { try await self.serve(listener) }
            }
        }
    }

    private func serve(_ listener: Listener) async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        switch listener.address {
        case .unixSocket(let path):
            server = try await bootstrap.bind(unixDomainSocketPath: path, childChannelInitializer: initializer)
        case .tcp(let host, let port):
            server = try await bootstrap.bind(host: host, port: port, childChannelInitializer: initializer)
        }
        onListening(listener)
        logger.notice("memcache front door listening", metadata: ["address": "\(listener.address)"])
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { connections in
                for try await connection in inbound.cancelOnGracefulShutdown() {
                    let stats = responder.stats
                    guard stats.currentConnections.load(ordering: .relaxed) < maxConnections else {
                        stats.refusedConnections.add(1, ordering: .relaxed)
                        logger.warning("memcache front door at its connection cap; closing a new connection",
                                       metadata: ["maxConnections": "\(maxConnections)"])
                        connection.channel.close(promise: nil)
                        continue
                    }
                    connections.addTask {
                        await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
                            await self.handle(connection)
                        }
                    }
                }
            }
        }
    }

    /// One connection: decode what arrives, answer every complete request in order, write the
    /// answers of one read together.
    private func handle(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let stats = responder.stats
        stats.currentConnections.add(1, ordering: .relaxed)
        stats.totalConnections.add(1, ordering: .relaxed)
        defer { stats.currentConnections.subtract(1, ordering: .relaxed) }
        var decoder = MemcacheRequestDecoder(limits: limits)
        do {
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { inbound, outbound in
                    var events = [MemcacheRequestDecoder.Event]()
                    var out = [UInt8]()
                    for try await buffer in inbound {
                        events.removeAll(keepingCapacity: true)
                        buffer.withUnsafeReadableBytes { decoder.feed($0) { events.append($0) } }
                        out.removeAll(keepingCapacity: true)
                        var close = false
                        for event in events where !close {
                            switch event {
                            case .request(let request):
                                close = await responder.respond(to: request, into: &out)
                            case .textError(let error):
                                if error.shouldRespond { error.response.encode(into: &out) }
                                close = error.closeConnection
                            case .binaryError(let error):
                                error.response?.encode(into: &out)
                                close = error.closeConnection
                            }
                        }
                        if !out.isEmpty { try await outbound.write(ByteBuffer(bytes: out)) }
                        if close || decoder.isClosed { return }
                    }
                }
            } onGracefulShutdown: {
                // Stop reading: what was read is answered, then the connection closes.
                connection.channel.close(mode: .input, promise: nil)
            }
        } catch {
            logger.debug("memcache connection ended", metadata: ["error": "\(error)"])
        }
    }
}
