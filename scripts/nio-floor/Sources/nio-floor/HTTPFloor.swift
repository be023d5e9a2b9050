import NIOCore

/// The session API as udsbench `http-uds` drives it: POST gets 201 and a fresh id, GET and PATCH
/// get 200 and a fixed body the size of a 1 KiB session's. The head's end and its Content-Length
/// are found on the bytes; no HTTP codec, no store.
struct HTTPFloor: FloorDoor {
    private static let session: [UInt8] = {
        let data = String(repeating: "x", count: 1024)
        return Array((#"{"id":"0123456789abcdef0123456789abcdef","version":7,"created":1764800000000,"#
            + #""updated":1764800000000,"expires":1764803600000,"data":{"v":""# + data + #""}}"#).utf8)
    }()
    private static let sessionHead = Array(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"7\"\r\n"
        + "Cache-Control: no-store\r\nContent-Length: \(session.count)\r\n\r\n").utf8)
    private var created = 0

    mutating func answer(_ input: inout ByteBuffer, into output: inout ByteBuffer) {
        while true {
            let request: (length: Int, isPost: Bool)? = input.withUnsafeReadableBytes { bytes in
                guard let headLength = Self.headLength(bytes) else { return nil }
                let length = headLength + 4 + Self.contentLength(UnsafeRawBufferPointer(rebasing: bytes[..<headLength]))
                return bytes.count >= length ? (length, bytes.starts(with: "POST ".utf8)) : nil
            }
            guard let request else { return }
            input.moveReaderIndex(forwardBy: request.length)
            if request.isPost {
                created += 1
                let body = #"{"id":"\#(String(created, radix: 16))0123456789abcdef0123456789ab"}"#
                output.writeString("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
                output.writeString(body)
            } else {
                output.writeBytes(Self.sessionHead)
                output.writeBytes(Self.session)
            }
        }
    }

    /// Bytes before the head's CRLFCRLF, nil while it has not all arrived.
    private static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        return nil
    }

    /// The Content-Length field's value in `head` (name in any case), 0 without one.
    private static func contentLength(_ head: UnsafeRawBufferPointer) -> Int {
        let name = Array("\r\ncontent-length:".utf8)
        guard head.count >= name.count else { return 0 }
        for start in 0...(head.count - name.count)
        where (0..<name.count).allSatisfy({ head[start + $0] | 0x20 == name[$0] | 0x20 }) {
            var value = 0
            for byte in head[(start + name.count)...] where byte != UInt8(ascii: " ") {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { break }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        return 0
    }
}
