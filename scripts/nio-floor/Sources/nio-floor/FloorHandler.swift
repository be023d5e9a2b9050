import NIOCore

/// One protocol's constant answers, on the bytes.
protocol FloorDoor {
    /// Answers every whole request at the front of `input` into `output` and moves past it; a
    /// partial request stays in `input` for the next read.
    mutating func answer(_ input: inout ByteBuffer, into output: inout ByteBuffer)
}

/// A connection of a floor door: gathers what arrives until requests are whole, answers them all
/// with one write and flush per socket read.
final class FloorHandler<Door: FloorDoor>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var door: Door
    private var pending: ByteBuffer?

    init(_ door: Door) { self.door = door }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var input = incoming
        if var held = pending {
            pending = nil  // `held` is then the buffer's only owner: appending copies nothing
            held.writeBuffer(&incoming)
            input = held
        }
        var output = context.channel.allocator.buffer(capacity: 0)
        door.answer(&input, into: &output)
        if input.readableBytes > 0 { pending = input }
        if output.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(output), promise: nil) }
    }
}
