import NIOCore

/// Answers the session API's requests as udsbench `http-uds` sends them, on the bytes: finds the
/// head's end and its Content-Length, skips the body, answers POST with 201 and a fresh id, GET
/// and PATCH with 200 and a fixed body the size of a 1 KiB session's. No store, no HTTP codec.
final class HTTPFloorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let session: String = {
        let data = String(repeating: "x", count: 1024)
        return #"{"id":"0123456789abcdef0123456789abcdef","version":7,"created":1764800000000,"#
            + #""updated":1764800000000,"expires":1764803600000,"data":{"v":""# + data + #""}}"#
    }()
    private static let sessionHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"7\"\r\n"
        + "Cache-Control: no-store\r\nContent-Length: \(session.utf8.count)\r\n\r\n"
    private var pending: ByteBuffer?
    private var created = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if pending == nil { pending = incoming } else { pending!.writeBuffer(&incoming) }
        var out = context.channel.allocator.buffer(capacity: 0)
        while var buffer = pending, buffer.readableBytes > 0 {
            guard let headLength = Self.headLength(buffer) else { break }
            let head = buffer.getString(at: buffer.readerIndex, length: headLength) ?? ""
            var bodyLength = 0
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                bodyLength = Int(line.dropFirst("content-length:".count).trimmingPrefix(" ")) ?? 0
            }
            guard buffer.readableBytes >= headLength + 4 + bodyLength else { break }
            buffer.moveReaderIndex(forwardBy: headLength + 4 + bodyLength)
            pending = buffer
            if head.hasPrefix("POST") {
                created += 1
                let body = #"{"id":"\#(String(created, radix: 16))0123456789abcdef0123456789ab"}"#
                out.writeString("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
                out.writeString(body)
            } else {
                out.writeString(Self.sessionHead)
                out.writeString(Self.session)
            }
        }
        if pending?.readableBytes == 0 { pending = nil }
        if out.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
    }

    /// Bytes before the head's CRLFCRLF, nil while it has not all arrived.
    private static func headLength(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count >= 4 else { return nil }
            for i in 0...(bytes.count - 4)
            where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
            return nil
        }
    }
}
