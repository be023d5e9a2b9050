import NIOCore
import NIOHTTP1

/// One outstanding request on a connection: the handler writes it and completes the promise
/// with the whole response. A connection carries one request at a time (the pool ensures it).
struct PendingRequest {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<SidecarHTTPResponse>
}

/// The pooled connection was closed by the sidecar before this request was written (it closes
/// after a response marked `Connection: close`): nothing reached the server, so the call can be
/// sent again on a new connection.
struct ConnectionClosedBeforeRequest: Error {}

final class ResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var promise: EventLoopPromise<SidecarHTTPResponse>?
    private var response: SidecarHTTPResponse?

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard self.promise == nil else {
            request.promise.fail(SessionMeshError.transport("connection busy"))
            return
        }
        guard context.channel.isActive else {
            request.promise.fail(ConnectionClosedBeforeRequest())
            writePromise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.promise = request.promise
        // A write that fails (the peer closed meanwhile) fails the call now, not at its timeout.
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { [weak self] error in self?.fail(Self.writeFailure(error)) }
        written.futureResult.cascade(to: writePromise)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    /// A write refused because the channel was already closed sent nothing: the call may be sent again.
    static func writeFailure(_ error: any Error) -> any Error {
        if let e = error as? ChannelError, e == .ioOnClosedChannel { return ConnectionClosedBeforeRequest() }
        return SessionMeshError.transport("write failed: \(error)")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = SidecarHTTPResponse(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: [])
        case .body(var buffer):
            response?.body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            if let response, let promise {
                self.promise = nil
                self.response = nil
                promise.succeed(response)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SessionMeshError.transport("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(SessionMeshError.transport("\(error)"))
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        if let promise {
            self.promise = nil
            response = nil
            promise.fail(error)
        }
    }
}
