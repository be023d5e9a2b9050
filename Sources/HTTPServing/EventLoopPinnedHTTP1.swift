import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOLoopExecutor

/// Runs each connection's handler task on the event loop that owns the connection.
///
/// Hummingbird handles a connection in a task on the global concurrency pool: every request
/// then crosses threads twice on top of the store's own hand-off (event loop → pool to read
/// the request, pool → event loop to write the response), and on a 2-core host those
/// wake-ups were the largest share of the sidecar's CPU (README, Performance). With the
/// connection's event loop as the task's preferred executor, a request is read, handled and
/// answered on one thread; only the blocking store calls leave it (libmemcached runs on the
/// store's own threads, never on an event loop), and their replies resume the task there.
///
/// The handlers do no blocking work of their own, which is what running on an event loop needs.
struct EventLoopPinnedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    /// Header timeout, keep-alive and close rules, Host check (`HTTPConnectionGuards`), and no
    /// socket reads while the socket is not writable (`WritabilityReadGate`); nil: none.
    var guards: HTTPGuardSettings? = nil
    /// Handlers of HTTP request and response parts (`HTTPRequestPart`, `HTTPResponsePart`) that
    /// go in front of the router, after Hummingbird's connection state handler (idle timeout,
    /// graceful shutdown), made on the connection's event loop. They may answer a request
    /// themselves, so with them requests are handed on one at a time (NIO's
    /// `HTTPServerPipelineHandler`: the next request, further socket reads and parse errors wait
    /// until the answer before has ended), and no answer can overtake another.
    var connectionHandlers: (@Sendable (any EventLoop) -> [any ChannelHandler])? = nil
    /// Runs last, on the connection's event loop, with the pipeline otherwise complete: for
    /// handlers that must sit elsewhere than in front of the router (the session path on the bytes).
    var connectionSetup: (@Sendable (any Channel) throws -> Void)? = nil

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard guards != nil || connectionHandlers != nil || connectionSetup != nil else { return base.setup(channel: channel, logger: logger) }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { [guards, connectionHandlers, connectionSetup] value in
            try guards?.install(on: channel)
            if let connectionHandlers {
                let sync = channel.pipeline.syncOperations
                try sync.addHandler(HTTPServerPipelineHandler(), position: .before(try sync.handler(type: HTTP1ToHTTPServerCodec.self)))
                let state = try sync.handler(type: HTTPConnectionStateHandler.self)
                try sync.addHandlers(connectionHandlers(channel.eventLoop), position: .after(state))
            }
            try connectionSetup?(channel)
            // Head-most, once every other handler is in place: every socket read passes it, those
            // a handler in front of the decoder (the session path on the bytes) asks for too.
            if guards != nil { try channel.pipeline.syncOperations.addHandler(WritabilityReadGate(), position: .first) }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with each connection's requests handled on its own event loop.
    /// `connectionHandlers` go in front of the router on every connection, and `connectionSetup`
    /// runs last on every connection (see `EventLoopPinnedChildChannel`).
    public static func eventLoopPinnedHTTP1(configuration: HTTP1Channel.Configuration = .init(), guards: HTTPGuardSettings? = nil,
                                            connectionHandlers: (@Sendable (any EventLoop) -> [any ChannelHandler])? = nil,
                                            connectionSetup: (@Sendable (any Channel) throws -> Void)? = nil) -> HTTPServerBuilder {
        .init { responder in
            EventLoopPinnedChildChannel(base: HTTP1Channel(responder: responder, configuration: configuration), guards: guards,
                                        connectionHandlers: connectionHandlers, connectionSetup: connectionSetup)
        }
    }
}
