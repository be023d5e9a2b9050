import NIOCore

/// Answers memcached's text `get`/`gets` with one fixed 1 KiB value per key and `set` with
/// `STORED`, touching no store: a memcache door's cost per request on NIO, and nothing else.
final class MemcacheFloorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
    private var pending: ByteBuffer?
    /// Bytes of a `set`'s data block (value and CRLF) still to skip.
    private var dataLeft = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if pending == nil { pending = incoming } else { pending!.writeBuffer(&incoming) }
        var out = context.channel.allocator.buffer(capacity: 0)
        while var buffer = pending, buffer.readableBytes > 0 {
            if dataLeft > 0 {
                let skipped = min(dataLeft, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: skipped)
                dataLeft -= skipped
                pending = buffer
                if dataLeft > 0 { break }
                out.writeString("STORED\r\n")
                continue
            }
            guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { break }
            var line = Array(buffer.readableBytesView[buffer.readerIndex..<newline])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            buffer.moveReaderIndex(to: newline + 1)
            pending = buffer
            let words = line.split(separator: UInt8(ascii: " "))
            guard let command = words.first else { continue }
            if command.elementsEqual("get".utf8) || command.elementsEqual("gets".utf8) {
                for key in words.dropFirst() {
                    out.writeString("VALUE ")
                    out.writeBytes(key)
                    out.writeString(" 0 1024\r\n")
                    out.writeBytes(Self.value)
                    out.writeString("\r\n")
                }
                out.writeString("END\r\n")
            } else if command.elementsEqual("set".utf8), words.count >= 5 {
                dataLeft = (Int(String(decoding: words[4], as: UTF8.self)) ?? 0) + 2
            } else {
                out.writeString("ERROR\r\n")
            }
        }
        if pending?.readableBytes == 0 { pending = nil }
        if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
    }
}
