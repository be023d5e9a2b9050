import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import NIOLoopExecutor
import SessionCore

/// What the session fast path shares with the router: the same session manager, activity window,
/// request metrics, miss reporter and body limit, so a request answered here is counted, logged and
/// rendered exactly as the router's `GET` / `PATCH /v1/sessions/{id}` would answer it.
public struct SessionFastPath: Sendable {
    let manager: SessionManager
    let activity: SessionActivity
    let metrics: RequestMetrics
    let misses: SessionMissReporter
    let maxBodyBytes: Int
    let serverName: String?
    let logger: Logger
    let inboxes = LoopInboxes()

    /// The metrics label of the route, as the router names it.
    static let route = "/v1/sessions/{id}"

    /// A handler for one connection, made on its event loop. It goes after Hummingbird's
    /// `HTTPConnectionStateHandler`, so idle timeouts and graceful shutdown see its requests too.
    public func handler(on loop: any EventLoop) -> any ChannelHandler {
        SessionFastPathHandler(path: self, inbox: inboxes.inbox(for: loop))
    }
}

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

    /// A call this handler answers.
    enum Call: Equatable {
        case read(SessionID)
        case patch(SessionID, ifMatch: UInt64?, length: Int)
    }

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
        guard request.method == .get || request.method == .patch, var target = request.path?.utf8[...] else { return nil }
        let prefix = "/v1/sessions/".utf8
        guard target.starts(with: prefix) else { return nil }
        target = target.dropFirst(prefix.count)
        if let query = target.firstIndex(of: UInt8(ascii: "?")) { target = target[..<query] }
        guard let id = SessionID(String(decoding: target, as: UTF8.self)) else { return nil }
        let fields = request.headerFields
        if fields[.transferEncoding] != nil || fields[.connection] != nil || fields[.expect] != nil { return nil }
        let length = fields[.contentLength].map { Int($0) } ?? 0
        if request.method == .get { return length == 0 ? .read(id) : nil }
        guard let length, length <= maxBodyBytes else { return nil }
        let ifMatch: UInt64?
        do throws(SessionError) {
            try RequestParsing.requireMediaType(fields, ["application/merge-patch+json"])
            ifMatch = try RequestParsing.ifMatch(fields) ?? nil
        } catch {
            return nil
        }
        return .patch(id, ifMatch: ifMatch, length: length)
    }

    private func start(_ call: Call) {
        let started = path.metrics.begin()
        let inbox = self.inbox
        let this = NIOLoopBound(self, eventLoop: inbox.loop)
        switch call {
        case .read(let id):
            path.manager.read(id) { result in
                inbox.post { this.value.answer(result, method: "GET", started: started) }
            }
        case .patch(let id, let ifMatch, _):
            let manager = path.manager, bytes = body
            body = []
            Task(executorPreference: executor) {
                let result: Result<SessionView, SessionError>
                do throws(SessionError) {
                    let members = try RequestParsing.jsonObject(bytes)
                    result = .success(try await manager.patch(id, patch: .object(members), ifMatch: ifMatch))
                } catch {
                    result = .failure(error)
                }
                inbox.post { this.value.answer(result, method: "PATCH", started: started) }
            }
        }
    }

    /// Our call's body broke off (truncated, or a bad chunk): answered as the router answers it,
    /// 400 with `Connection: close` (the guards then close the connection), and not passed on.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard receiving != nil else { return context.fireErrorCaught(error) }
        let started = path.metrics.begin()
        receiving = nil
        let apiError = APIError.malformedBody(error)
        send(status: apiError.status, headers: apiError.responseHeaders, body: apiError.body, method: "PATCH", started: started)
    }

    private func answer(_ result: Result<SessionView, SessionError>, method: String, started: ContinuousClock.Instant) {
        switch result {
        case .success(let view):
            path.activity.touch(view.id, now: view.record.lastAccessAt)
            send(status: .ok, headers: view.responseHeaders(), body: view.json(), method: method, started: started)
        case .failure(let failure):
            path.misses.report(failure, logger: path.logger)
            let error = APIError(failure)
            send(status: error.status, headers: error.responseHeaders, body: error.body, method: method, started: started)
        }
    }

    private func send(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8], method: String, started: ContinuousClock.Instant) {
        path.metrics.end(started, route: SessionFastPath.route, method: method, status: status.code)
        answering = false
        guard let context, context.channel.isActive else { return }
        var headers = headers
        headers[.contentLength] = String(body.count)
        headers[.date] = date.now()
        if let server = path.serverName { headers[.server] = server }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if inputClosedDeferred, !answering {
            inputClosedDeferred = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
    }
}
