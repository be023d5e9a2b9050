import NIOCore
import NIOHTTPTypes

/// What the byte-level session path (`SessionWireHandler`) needs to know of the requests it hands
/// to NIO's decoder: how many are still unanswered, and when the connection last did anything.
/// Shared by the two handlers of one connection, on its event loop.
final class ExchangeLedger {
    /// Requests whose head went past `ExchangeObserver` and whose answer has not ended.
    var unanswered = 0
    /// When bytes last came in, an answer of the wire path was written, or a request head or an
    /// answer end went past `ExchangeObserver`: the idle timeout's one clock.
    var lastActivity = NIODeadline.now()
    /// Called (from a task of the loop, never inline) when the last unanswered request is answered.
    var onAllAnswered: (() -> Void)?
}

/// Sits right after Hummingbird's HTTP-types codec, so every request the router or the part-level
/// fast path (`SessionFastPathHandler`) gets and every answer they write goes past it, and keeps
/// the `ExchangeLedger` of the connection.
final class ExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let ledger: ExchangeLedger

    init(ledger: ExchangeLedger) { self.ledger = ledger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            ledger.unanswered += 1
            ledger.lastActivity = .now()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        guard isEnd, ledger.unanswered > 0 else { return }
        ledger.unanswered -= 1
        ledger.lastActivity = .now()
        if ledger.unanswered == 0, ledger.onAllAnswered != nil {
            // After this write has gone on towards the socket: an answer of the wire path must not
            // overtake the end of this one.
            let ledger = NIOLoopBound(self.ledger, eventLoop: context.eventLoop)
            context.eventLoop.execute { if ledger.value.unanswered == 0 { ledger.value.onAllAnswered?() } }
        }
    }
}
