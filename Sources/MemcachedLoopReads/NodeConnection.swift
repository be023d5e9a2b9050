import MemcacheProtocol
import NIOCore
import NIOPosix
import Replication

/// One event loop's connection to one memcached node, for reads: multi-key `gets` pipelined on
/// one TCP connection, answered in order. Loop-confined.
///
/// - Opened on first use; requests sent meanwhile wait for it.
/// - A request not answered within `ioTimeout` fails as timed out, and so does every request
///   behind it: the connection is closed (its framing can no longer be trusted) and opened
///   again on next use.
/// - A connection that fails or closes fails what it was asked; nothing is retried here (the
///   store reads those keys again on its own threads).
final class NodeConnection {
    typealias Answer = Result<[String: StoredItem], NodeFailure>

    private struct Waiter {
        var items: [String: StoredItem] = [:]
        let deadline: NIODeadline
        let done: (Answer) -> Void
    }

    private enum State {
        case idle
        case connecting(pending: [UInt8])
        case ready(any Channel)
    }

    let loop: any EventLoop
    let host: String
    let port: Int
    let ioTimeout: TimeAmount
    let connectTimeout: TimeAmount
    let maxValueLength: Int
    private var state = State.idle
    /// Requests sent (or waiting for the connection), oldest first.
    private var waiting = CircularBuffer<Waiter>(initialCapacity: 8)
    /// Which connection the handler's events belong to: events of an earlier one are ignored.
    private var generation = 0
    private var timer: Scheduled<Void>?

    init(loop: any EventLoop, host: String, port: Int, ioTimeout: TimeAmount, connectTimeout: TimeAmount, maxValueLength: Int) {
        self.loop = loop
        self.host = host
        self.port = port
        self.ioTimeout = ioTimeout
        self.connectTimeout = connectTimeout
        self.maxValueLength = maxValueLength
    }

    /// Sends `gets` for `keys`; `done` runs on the loop, never inline, with the items found.
    func send(_ keys: [String], done: @escaping (Answer) -> Void) {
        var request = [UInt8]()
        request.reserveCapacity(keys.count * 72 + 8)
        RetrievalResponseDecoder.getsRequest(keys, into: &request)
        waiting.append(Waiter(deadline: .now() + ioTimeout, done: done))
        switch state {
        case .ready(let channel):
            var buffer = channel.allocator.buffer(capacity: request.count)
            buffer.writeBytes(request)
            channel.writeAndFlush(buffer, promise: nil)
        case .connecting(var pending):
            pending.append(contentsOf: request)
            state = .connecting(pending: pending)
        case .idle:
            connect(sending: request)
        }
        if timer == nil { armTimer() }
    }

    func close() {
        fail(.failed("the store's read connections are closing"))
    }

    private func connect(sending request: [UInt8]) {
        generation += 1
        let generation = self.generation
        state = .connecting(pending: request)
        let this = NIOLoopBound(self, eventLoop: loop)
        let maxValueLength = self.maxValueLength
        ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RetrievalHandler(maxValueLength: maxValueLength) { event in this.value.handle(event, generation: generation) })
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in this.value.connected(result, generation: generation) }
    }

    private func connected(_ result: Result<any Channel, any Error>, generation: Int) {
        guard generation == self.generation, case .connecting(let pending) = state else {
            // Given up on meanwhile (timed out): not used.
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .success(let channel):
            state = .ready(channel)
            var buffer = channel.allocator.buffer(capacity: pending.count)
            buffer.writeBytes(pending)
            channel.writeAndFlush(buffer, promise: nil)
        case .failure(let error):
            fail(.failed("connect to \(host):\(port): \(error)"))
        }
    }

    private func handle(_ event: RetrievalHandler.Event, generation: Int) {
        guard generation == self.generation else { return }
        switch event {
        case .decoded(.value(let key, _, let cas, let data)):
            guard !waiting.isEmpty else { return fail(.failed("\(host):\(port) answered a request never sent")) }
            waiting[waiting.startIndex].items[key] = StoredItem(value: data, cas: cas)
        case .decoded(.end):
            guard let waiter = waiting.popFirst() else { return fail(.failed("\(host):\(port) answered a request never sent")) }
            waiter.done(.success(waiter.items))
        case .decoded(.failure(let why)):
            fail(.failed("\(host):\(port): \(why)"))
        case .closed:
            fail(.failed("\(host):\(port) closed the connection"))
        }
    }

    /// Fails every waiting request with `outcome` and drops the connection.
    private func fail(_ outcome: NodeOutcome) {
        if case .ready(let channel) = state { channel.close(promise: nil) }
        state = .idle
        generation += 1
        timer?.cancel()
        timer = nil
        let failed = waiting
        waiting.removeAll()
        guard !failed.isEmpty else { return }
        // Never inline: a caller in `send` must return first.
        loop.execute {
            for waiter in failed { waiter.done(.failure(NodeFailure(outcome))) }
        }
    }

    /// Checks the oldest request's deadline when it falls due.
    private func armTimer() {
        guard let first = waiting.first else {
            timer = nil
            return
        }
        let this = NIOLoopBound(self, eventLoop: loop)
        timer = loop.scheduleTask(deadline: first.deadline) { this.value.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard let first = waiting.first else { return }
        if first.deadline <= .now() {
            fail(.timedOut)
        } else {
            armTimer()
        }
    }
}

/// Decodes one read connection's bytes and hands the events to its `NodeConnection`.
final class RetrievalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    enum Event {
        case decoded(RetrievalResponseDecoder.Event)
        case closed
    }

    private var decoder: RetrievalResponseDecoder
    private let onEvent: (Event) -> Void

    init(maxValueLength: Int, onEvent: @escaping (Event) -> Void) {
        self.decoder = RetrievalResponseDecoder(maxValueLength: maxValueLength)
        self.onEvent = onEvent
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in decoder.feed(bytes) { onEvent(.decoded($0)) } }
    }

    func channelInactive(context: ChannelHandlerContext) {
        onEvent(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
