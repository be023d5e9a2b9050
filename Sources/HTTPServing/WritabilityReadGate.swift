import NIOCore

/// Holds a connection's socket reads while its socket is not writable, and lets the held read go
/// once it is again. A client that pipelines requests and never reads the answers then costs at
/// most NIO's write watermark of queued answers plus what the requests of one read produce,
/// instead of an answer in memory for every request it sends.
///
/// NIO's pipelining handler holds reads only while a request is out; it lets the next one in as
/// soon as an answer is written into the channel, flushed or not, so on its own it bounds nothing
/// against such a client.
final class WritabilityReadGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var readHeld = false

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if readHeld, context.channel.isWritable {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }
}
