import HTTPTypes
import NIOCore
import NIOLoopExecutor

/// The session fast path on the bytes: the first handler of an API connection, in front of NIO's
/// HTTP/1 decoder. It frames each request itself (`RequestFraming`) and
/// - answers `GET` and `PATCH /v1/sessions/{id}` whose whole request has arrived, from the bytes
///   to one written buffer, through the same `SessionFastPath` as `SessionFastPathHandler` (same
///   store call, reply, metrics, headers), without NIO's decoder, the pipelining handler, the
///   HTTP-types codec, Hummingbird's connection handler or the response encoder;
/// - hands every other request, exactly its bytes (head and `Content-Length` body), to the decoder,
///   and takes the next request only once that one is answered (`ExchangeLedger`), so HTTP/1.1's
///   answer order holds without a queue;
/// - hands the connection's input to the decoder for good at the first thing it cannot frame
///   (`Transfer-Encoding`, a head it does not take as plain HTTP/1.1, a head still incomplete when
///   a read ends): the decoder then gives its precise error, the header timeout (which sees only
///   bytes handed on) runs for the incomplete head, and the part-level fast path still answers.
///
/// Because its calls never reach Hummingbird's connection handler, it keeps the two rules that
/// handler kept for them: the idle timeout (close a connection with nothing to answer and nothing
/// received for `idleTimeout`; Hummingbird's own is off on this listener) and graceful shutdown
/// (the quiesce event waits for a call of ours to be answered). Reads from the socket are held
/// while an answer is out and `RequestFraming.maxHeadBytes` are waiting, and no request is taken
/// while the socket is not writable (the listener's `WritabilityReadGate`, in front of this
/// handler, holds the socket's reads then): one connection holds at most that, one read, and NIO's
/// write watermark of answers, also on the part-level path.
final class SessionWireHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let path: SessionFastPath
    private let inbox: LoopInbox
    private let executor: EventLoopTaskExecutor
    private let ledger: ExchangeLedger
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?

    /// Framing requests here; false once the input goes to NIO's decoder for good.
    private var framing = true
    /// Input not yet answered here or handed on.
    private var buffer = ByteBuffer()
    /// Body bytes of a request handed to the decoder that are still to come.
    private var forwarding = 0
    /// A call of ours is out (taken, not yet answered).
    private var answering = false
    private var handedOnSinceReadComplete = false
    private var readPending = false
    private var inputClosed = false
    private var inputClosedHandedOn = false
    private var quiescing = false
    private var quiesceDeferred = false
    private var idleTimer: Scheduled<Void>?
    private var date = HTTPDate()

    init(path: SessionFastPath, inbox: LoopInbox, ledger: ExchangeLedger, idleTimeout: TimeAmount) {
        self.path = path
        self.inbox = inbox
        self.executor = EventLoopTaskExecutor(inbox.loop)
        self.ledger = ledger
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        ledger.onAllAnswered = { [weak self] in self?.resume() }
        if context.channel.isActive { armIdleTimer(at: .now() + idleTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        ledger.onAllAnswered = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        armIdleTimer(at: .now() + idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        ledger.lastActivity = .now()
        guard framing else { return context.fireChannelRead(data) }
        var bytes = unwrapInboundIn(data)
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            buffer.writeBuffer(&bytes)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard framing else { return context.fireChannelReadComplete() }
        process(context, atReadEnd: true)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if framing, case .some(.inputClosed) = event as? ChannelEvent {
            inputClosed = true
            process(context, atReadEnd: true)
            return
        }
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if answering {
                quiesceDeferred = true
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Held while an answer is out (ours, or the router's with the request wholly handed on) and
    /// a head's worth of input is already waiting. Below that the socket stays readable: holding
    /// every read made NIO drop and re-add the socket's epoll interest, two `epoll_ctl` calls per
    /// request (strace: 24,103 for 12,311 requests).
    func read(context: ChannelHandlerContext) {
        if holdsReads {
            readPending = true
        } else {
            context.read()
        }
    }

    private var isResponding: Bool { answering || (ledger.unanswered > 0 && forwarding == 0) }

    private var holdsReads: Bool { framing && isResponding && buffer.readableBytes >= RequestFraming.maxHeadBytes }

    /// Requests that waited for the socket to drain are taken now.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        if framing, context.channel.isWritable { process(context, atReadEnd: false) }
    }

    private func releaseHeldRead(_ context: ChannelHandlerContext) {
        guard readPending, !holdsReads else { return }
        readPending = false
        context.read()
    }

    /// Takes the requests that can be taken now, in order, until one is out.
    private func process(_ context: ChannelHandlerContext, atReadEnd: Bool) {
        loop: while framing {
            if forwarding > 0 {
                guard buffer.readableBytes > 0 else { break }
                let n = min(forwarding, buffer.readableBytes)
                handOn(buffer.readSlice(length: n)!, context)
                forwarding -= n
                continue
            }
            if answering || ledger.unanswered > 0 || quiescing || buffer.readableBytes == 0 || !context.channel.isWritable { break }
            let frame = buffer.withUnsafeReadableBytes { RequestFraming.frame($0, maxBodyBytes: path.maxBodyBytes) }
            switch frame {
            case .incomplete:
                // More bytes may be waiting behind a read held back while an answer was out; one more
                // read decides. At the end of a read, the head goes to the decoder and its timeout.
                if atReadEnd || inputClosed { handAllOn(context) }
                break loop
            case .unframeable:
                handAllOn(context)
            case .request(let headLength, let bodyLength, let call):
                if let call, buffer.readableBytes >= headLength + bodyLength {
                    buffer.moveReaderIndex(forwardBy: headLength)
                    let body = bodyLength > 0 ? buffer.readBytes(length: bodyLength)! : []
                    start(call, body: body)
                } else {
                    let n = min(buffer.readableBytes, headLength + bodyLength)
                    handOn(buffer.readSlice(length: n)!, context)
                    forwarding = headLength + bodyLength - n
                    // The decoder took no request from a whole head (it refused it): it decides from here.
                    if ledger.unanswered == 0 { handAllOn(context) }
                }
            }
        }
        if handedOnSinceReadComplete {
            handedOnSinceReadComplete = false
            context.fireChannelReadComplete()
        }
        if inputClosed, !inputClosedHandedOn, !answering {
            // The client sent all it will send, and no answer of ours is out: what is left goes to
            // the decoder, then the half-close (NIO's pipelining handler holds it back until every
            // request before it is answered).
            inputClosedHandedOn = true
            if framing { handAllOn(context) }
            if handedOnSinceReadComplete {
                handedOnSinceReadComplete = false
                context.fireChannelReadComplete()
            }
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        releaseHeldRead(context)
    }

    private func handOn(_ bytes: ByteBuffer, _ context: ChannelHandlerContext) {
        handedOnSinceReadComplete = true
        context.fireChannelRead(wrapInboundOut(bytes))
    }

    /// The input goes to NIO's decoder from here on.
    private func handAllOn(_ context: ChannelHandlerContext) {
        framing = false
        forwarding = 0
        if buffer.readableBytes > 0 { handOn(buffer, context) }
        buffer = ByteBuffer()
    }

    /// The router answered the last request handed to it.
    private func resume() {
        guard let context, framing else { return }
        process(context, atReadEnd: false)
    }

    private func start(_ call: SessionFastPath.Call, body: [UInt8]) {
        answering = true
        let this = NIOLoopBound(self, eventLoop: inbox.loop)
        path.run(call, body: body, inbox: inbox, executor: executor) { reply in this.value.send(reply) }
    }

    private func send(_ reply: SessionFastPath.Reply) {
        answering = false
        ledger.lastActivity = .now()
        guard let context, context.channel.isActive else { return }
        var out = context.channel.allocator.buffer(capacity: reply.body.count + 160 + reply.headers.count * 40)
        path.writeHead(reply, date: &date, into: &out)
        out.writeBytes(reply.body)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(out)), promise: nil)
        if quiesceDeferred {
            quiesceDeferred = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        process(context, atReadEnd: false)
    }

    // MARK: Idle timeout

    private func armIdleTimer(at deadline: NIODeadline) {
        guard idleTimer == nil, let context else { return }
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) { this.value.idleTimerFired() }
    }

    /// As Hummingbird's connection handler rules: a connection answering a request it has wholly
    /// read is never idle; otherwise it is closed once nothing came in or went out for the timeout.
    private func idleTimerFired() {
        idleTimer = nil
        guard let context, context.channel.isActive else { return }
        let now = NIODeadline.now()
        if isResponding {
            armIdleTimer(at: now + idleTimeout)
            return
        }
        let deadline = ledger.lastActivity + idleTimeout
        if now >= deadline {
            context.close(promise: nil)
        } else {
            armIdleTimer(at: deadline)
        }
    }
}
