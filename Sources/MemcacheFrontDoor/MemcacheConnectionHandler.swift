import MemcacheProtocol
import NIOCore
import NIOLoopExecutor
import Replication

/// One front-door connection, as a NIO handler on its channel's event loop: the pure decoder runs
/// on the bytes as they arrive, requests are answered one at a time in order (pipelining), and the
/// answers of everything answered meanwhile are written together.
///
/// Gets, most of the traffic, take no task: the key goes to the store's coalesced reads and the
/// answer comes back through the loop's `LoopInbox` (one loop wake-up per read batch, not per get).
/// Every other request runs in a task that prefers the event loop. Only the store's blocking calls
/// leave the loop. Reading stops while `maxQueued` decoded requests wait, and nothing is answered
/// (nor read) while the socket is not writable: a client that does not read its answers costs at
/// most NIO's write watermark of them, not every answer it asked for. Half-closed input
/// (a client's EOF, or the front door's graceful shutdown) lets the queued requests be answered,
/// then closes.
final class MemcacheConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Decoded requests not yet answered, past which the connection is not read.
    static let maxQueued = 128

    private let responder: MemcacheResponder
    private let inbox: LoopInbox
    private let executor: EventLoopTaskExecutor
    private var decoder: MemcacheRequestDecoder
    private var queue = CircularBuffer<MemcacheRequestDecoder.Event>(initialCapacity: 4)
    private var out = [UInt8]()
    /// A request is with the store.
    private var busy = false
    /// Nothing more is answered; the channel closes once what was answered is written.
    private var closing = false
    private var inputClosed = false
    /// A read was asked for while too many requests were queued.
    private var readHeld = false
    private var context: ChannelHandlerContext?

    init(responder: MemcacheResponder, limits: MemcacheLimits, inbox: LoopInbox) {
        self.responder = responder
        self.inbox = inbox
        self.executor = EventLoopTaskExecutor(inbox.loop)
        self.decoder = MemcacheRequestDecoder(limits: limits)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        closing = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in decoder.feed(bytes) { queue.append($0) } }
        drive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            drive()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closing = true
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        if context.channel.isWritable { drive() }
    }

    func read(context: ChannelHandlerContext) {
        if queue.count >= Self.maxQueued || !context.channel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Answers queued requests until one waits on the store; writes what was answered; closes
    /// when the connection is done.
    private func drive() {
        guard let context else { return }
        while !busy, !closing, context.channel.isWritable, let event = queue.popFirst() {
            switch event {
            case .request(let request):
                start(request, on: context)
            case .textError(let error):
                if error.shouldRespond { error.response.encode(into: &out) }
                if error.closeConnection { closing = true }
            case .binaryError(let error):
                error.response?.encode(into: &out)
                if error.closeConnection { closing = true }
            }
        }
        let done = !busy && (closing || decoder.isClosed || (inputClosed && queue.isEmpty))
        if !out.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: out.count)
            buffer.writeBytes(out)
            out.removeAll(keepingCapacity: true)
            if done {
                closing = true
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
                return
            }
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        if done {
            closing = true
            context.close(promise: nil)
            return
        }
        if readHeld, queue.count < Self.maxQueued, context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    private func start(_ request: MemcacheRequest, on context: ChannelHandlerContext) {
        busy = true
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        let inbox = self.inbox
        // Text and binary gets read without a task; meta gets may write (leases), so they take the task path.
        if case .get(let keys, let withCAS) = request.command, request.meta == nil {
            let items = responder.items
            if keys.count == 1 {
                items.get(keys[0]) { result in
                    inbox.post { this.value.answered(request, keys: keys, withCAS: withCAS, found: result.map { [$0] }) }
                }
                return
            }
            // Several keys: all read at once (they share the store's read batches), answered together.
            let gathered = NIOLoopBound(GatheredGets(count: keys.count), eventLoop: context.eventLoop)
            for (i, key) in keys.enumerated() {
                items.get(key) { result in
                    inbox.post {
                        guard let found = gathered.value.add(result, at: i) else { return }
                        this.value.answered(request, keys: keys, withCAS: withCAS, found: found)
                    }
                }
            }
            return
        }
        let responder = self.responder
        let loop = context.eventLoop
        Task(executorPreference: executor) {
            var out = [UInt8]()
            let close = await responder.respond(to: request, into: &out)
            let reply = out
            let finish: @Sendable () -> Void = { this.value.answered(reply: reply, close: close) }
            if loop.inEventLoop { finish() } else { loop.execute(finish) }
        }
    }

    private func answered(_ request: MemcacheRequest, keys: [[UInt8]], withCAS: Bool,
                          found: Result<[MemcacheItems.Item?], StoreUnavailable>) {
        busy = false
        if responder.respond(toGet: request, keys: keys, withCAS: withCAS, found: found, into: &out) { closing = true }
        drive()
    }

    private func answered(reply: [UInt8], close: Bool) {
        busy = false
        out.append(contentsOf: reply)
        if close { closing = true }
        drive()
    }
}

/// The answers of a multi-key get as they arrive; complete once every key answered.
private final class GatheredGets {
    private var results: [Result<MemcacheItems.Item?, StoreUnavailable>?]
    private var left: Int

    init(count: Int) {
        results = Array(repeating: nil, count: count)
        left = count
    }

    /// Records key `i`'s answer; returns them all, in order, once the last arrived (the first failure if any).
    func add(_ result: Result<MemcacheItems.Item?, StoreUnavailable>, at i: Int) -> Result<[MemcacheItems.Item?], StoreUnavailable>? {
        results[i] = result
        left -= 1
        guard left == 0 else { return nil }
        var found = [MemcacheItems.Item?]()
        found.reserveCapacity(results.count)
        for result in results {
            switch result! {
            case .success(let item): found.append(item)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(found)
    }
}
