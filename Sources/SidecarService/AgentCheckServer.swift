import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// HAProxy agent-check responder: every TCP connection gets one line, e.g. `up 150%`, `drain`
/// or `down#store unavailable`, and is closed (HAProxy 2.6 parses `up N%`, ignores `weight:N%`).
public final class AgentCheckServer: Service, Sendable {
    private let host: String
    private let port: Int
    private let response: @Sendable () -> String
    private let logger: Logger

    public init(host: String, port: Int, logger: Logger, response: @escaping @Sendable () -> String) {
        self.host = host
        self.port = port
        self.response = response
        self.logger = logger
    }

    public func run() async throws {
        let response = self.response
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(AgentReplyHandler(reply: response))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("agent-check responder listening", metadata: ["address": "\(host):\(port)"])
        // Serve until the group shuts down; the drain state is reported by `response` meanwhile.
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

private final class AgentReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: @Sendable () -> String

    init(reply: @escaping @Sendable () -> String) { self.reply = reply }

    func channelActive(context: ChannelHandlerContext) {
        let line = reply() + "\n"
        let buffer = context.channel.allocator.buffer(string: line)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { [context] _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}  // agent-send text is ignored
}
