import Hummingbird
import NIOCore
import NIOHTTPTypes
import NIOLoopExecutor
import SessionCore

/// Answers the two calls of a session workload, `GET` and `PATCH /v1/sessions/{id}` (nine in ten
/// and one in ten), in front of the router on the same connection, without the router's
/// per-request machinery (request and response streams, router and middleware tasks):
/// - a read goes to the store's read coalescer with a callback, and its answer comes back through
///   the loop's `LoopInbox` (one loop wake-up per read batch), with no Swift task at all;
/// - a merge patch's body is collected here (its `Content-Length` within the body limit), and the
///   patch runs in one task on the connection's event loop.
///
/// Anything else, and a call that is not plainly one of these (chunked, `Connection: close`, an
/// ill-formed id or `If-Match`, another media type), goes on to the router unchanged, which gives
/// the precise error. Requests reach this handler one at a time (the server puts NIO's
/// `HTTPServerPipelineHandler` in front of it), so HTTP/1.1's answer order holds without any
/// queue here; only a half-close is held back while our answer is out.
final class SessionFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    typealias Call = SessionFastPath.Call

    private let path: SessionFastPath
    private let inbox: LoopInbox
    private let executor: EventLoopTaskExecutor
    private var context: ChannelHandlerContext?
    /// A call of ours is out (from its head until its answer is written).
    private var answering = false
    /// Our call's request is still arriving (its body and end are ours).
    private var receiving: Call?
    private var body: [UInt8] = []
    /// The client half-closed while a call of ours was out: told to the router after our answer,
    /// or the router, seeing no request of its own, would close the connection before it.
    private var inputClosedDeferred = false
    private var date = HTTPDate()

    init(path: SessionFastPath, inbox: LoopInbox) {
        self.path = path
        self.inbox = inbox
        self.executor = EventLoopTaskExecutor(inbox.loop)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handle(unwrapInboundIn(data), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent, answering {
            inputClosedDeferred = true
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        if let call = receiving {
            switch part {
            case .head:
                // NIO's decoder ends a request before the next head; should that ever break, the
                // stream cannot be trusted, so the connection goes (never a crash).
                path.logger.error("HTTP request head before the previous request ended; closing the connection")
                receiving = nil
                context.close(promise: nil)
            case .body(let buffer):
                if case .patch(_, _, let length) = call, body.count + buffer.readableBytes <= length {
                    buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
                }
            case .end:
                receiving = nil
                start(call)
            }
            return
        }
        if case .head(let request) = part, let call = Self.call(request, maxBodyBytes: path.maxBodyBytes) {
            answering = true
            receiving = call
            body = []
            if case .patch(_, _, let length) = call { body.reserveCapacity(length) }
            return
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    /// The call in a request head if this handler answers it, else nil (the router does).
    static func call(_ request: HTTPRequest, maxBodyBytes: Int) -> Call? {
        guard request.method == .get || request.method == .patch, let target = request.path else { return nil }
        let fields = request.headerFields
        if fields[.transferEncoding] != nil || fields[.connection] != nil || fields[.expect] != nil { return nil }
        var length: Int?
        if let text = fields[.contentLength] {
            guard let value = Int(text) else { return nil }
            length = value
        }
        return SessionFastPath.call(isGet: request.method == .get, target: target.utf8, contentLength: length,
                                    contentType: { fields[.contentType] }, ifMatch: { fields[.ifMatch] }, maxBodyBytes: maxBodyBytes)
    }

    private func start(_ call: Call) {
        let this = NIOLoopBound(self, eventLoop: inbox.loop)
        let bytes = body
        body = []
        path.run(call, body: bytes, inbox: inbox, executor: executor) { reply in this.value.send(reply) }
    }

    /// Our call's body broke off (truncated, or a bad chunk): answered as the router answers it,
    /// 400 with `Connection: close` (the guards then close the connection), and not passed on.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard receiving != nil else { return context.fireErrorCaught(error) }
        let started = path.metrics.begin()
        receiving = nil
        let apiError = APIError.malformedBody(error)
        send(path.reply(status: apiError.status, headers: apiError.responseHeaders, body: apiError.body, method: "PATCH", started: started))
    }

    private func send(_ reply: SessionFastPath.Reply) {
        answering = false
        guard let context, context.channel.isActive else { return }
        let headers = path.responseHeaders(reply, date: &date)
        context.write(wrapOutboundOut(.head(HTTPResponse(status: reply.status, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: reply.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if inputClosedDeferred, !answering {
            inputClosedDeferred = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
    }
}
