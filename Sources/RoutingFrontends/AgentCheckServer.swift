import LoadSampling
import MeshMembers
import MeshRouting
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// HAProxy agent-check responder: every TCP connection gets one line, e.g. `up 150%`, `drain`
/// or `down#store unavailable`, and is closed (HAProxy 2.6 parses `up N%`, ignores `weight:N%`).
///
/// A balancer configured with `agent-send "zone=NAME\n"` gets the weight for its zone
/// (`AgentZoneRequest`): the reply waits for that line up to `zoneWait`, then goes zone-blind.
public final class AgentCheckServer: Service, Sendable {
    private let host: String
    private let port: Int
    private let response: @Sendable (String?) -> String
    private let zoneWait: TimeAmount
    private let logger: Logger

    private let maxConnections: Int

    public init(host: String, port: Int, logger: Logger, maxConnections: Int = 32, zoneWait: TimeAmount = .milliseconds(50),
                response: @escaping @Sendable (_ balancerZone: String?) -> String) {
        self.zoneWait = zoneWait
        self.host = host
        self.port = port
        self.maxConnections = max(1, maxConnections)
        self.response = response
        self.logger = logger
    }

    public func run() async throws {
        let response = self.response, zoneWait = self.zoneWait
        let open = Mutex(0)
        let cap = maxConnections, logger = self.logger
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                // One line and close: a connection is short-lived unless the peer never reads.
                // Beyond the cap, new ones are closed at once (rate-limited log line).
                let admitted = open.withLock { n -> Bool in
                    guard n < cap else { return false }
                    n += 1
                    return true
                }
                guard admitted else {
                    logAgentCapReached(logger: logger, cap: cap)
                    return child.close()
                }
                child.closeFuture.whenComplete { _ in open.withLock { $0 -= 1 } }
                // A peer that neither reads nor closes is dropped after 5 s.
                child.eventLoop.scheduleTask(in: .seconds(5)) { child.close(promise: nil) }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(AgentReplyHandler(reply: response, zoneWait: zoneWait))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("agent-check responder listening", metadata: ["address": "\(host):\(port)"])
        // Serve until the group shuts down; the drain state is reported by `response` meanwhile.
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

private final class AgentReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: @Sendable (String?) -> String
    let zoneWait: TimeAmount
    private var received = ""
    private var answered = false

    init(reply: @escaping @Sendable (String?) -> String, zoneWait: TimeAmount) {
        self.reply = reply
        self.zoneWait = zoneWait
    }

    func channelActive(context: ChannelHandlerContext) {
        // Without an agent-send line within `zoneWait`, answer zone-blind.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: zoneWait) {
            let (handler, context) = loopBound.value
            handler.answer(context: context, zone: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: min(buffer.readableBytes, AgentZoneRequest.maxLength)) ?? ""
        if received.contains("\n") || received.utf8.count >= AgentZoneRequest.maxLength {
            answer(context: context, zone: AgentZoneRequest.zone(in: received))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        answered = true
        context.fireChannelInactive()
    }

    private func answer(context: ChannelHandlerContext, zone: String?) {
        guard !answered else { return }
        answered = true
        let buffer = context.channel.allocator.buffer(string: reply(zone) + "\n")
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { [context] _ in context.close(promise: nil) }
    }
}

private let agentCapLogged = Mutex<ContinuousClock.Instant?>(nil)

private func logAgentCapReached(logger: Logger, cap: Int) {
    let log = agentCapLogged.withLock { last -> Bool in
        if let l = last, ContinuousClock.now - l < .seconds(10) { return false }
        last = .now
        return true
    }
    if log { logger.warning("connection limit reached: closing new agent-check connections", metadata: ["maxConnections": "\(cap)"]) }
}
