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
/// does). Each connection is a NIO handler (`MemcacheConnectionHandler`) on its event loop: the pure
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
    let inboxes = LoopInboxes()
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
            // A client's EOF is an `inputClosed` event: what it sent before is still answered.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let responder = self.responder, limits = self.limits, inboxes = self.inboxes
        let maxConnections = self.maxConnections, logger = self.logger
        let initializer: @Sendable (any Channel) -> EventLoopFuture<(any Channel)?> = { channel in
            channel.eventLoop.makeCompletedFuture {
                let stats = responder.stats
                guard stats.currentConnections.wrappingAdd(1, ordering: .relaxed).newValue <= maxConnections else {
                    stats.currentConnections.subtract(1, ordering: .relaxed)
                    stats.refusedConnections.add(1, ordering: .relaxed)
                    logger.warning("memcache front door at its connection cap; closing a new connection",
                                   metadata: ["maxConnections": "\(maxConnections)"])
                    channel.close(promise: nil)
                    return nil
                }
                stats.totalConnections.add(1, ordering: .relaxed)
                channel.closeFuture.whenComplete { _ in stats.currentConnections.subtract(1, ordering: .relaxed) }
                try channel.pipeline.syncOperations.addHandler(
                    MemcacheConnectionHandler(responder: responder, limits: limits, inbox: inboxes.inbox(for: channel.eventLoop)))
                return channel
            }
        }
        let server: NIOAsyncChannel<(any Channel)?, Never>
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
                    guard let connection else { continue }
                    connections.addTask {
                        // On graceful shutdown: stop reading; what was read is answered, then the connection closes.
                        await withGracefulShutdownHandler {
                            try? await connection.closeFuture.get()
                        } onGracefulShutdown: {
                            connection.close(mode: .input, promise: nil)
                        }
                    }
                }
            }
        }
    }
}
