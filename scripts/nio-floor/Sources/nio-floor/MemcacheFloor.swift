import NIOCore

/// memcached's text protocol, as udsbench's libmemcached client speaks it: every `get`/`gets` key
/// gets one fixed 1 KiB value, every `set` gets `STORED`, anything else `ERROR`. No store.
struct MemcacheFloor: FloorDoor {
    private static let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
    /// Bytes of a `set`'s data block (value and CRLF) still to skip.
    private var dataLeft = 0

    mutating func answer(_ input: inout ByteBuffer, into output: inout ByteBuffer) {
        while input.readableBytes > 0 {
            if dataLeft > 0 {
                let skipped = min(dataLeft, input.readableBytes)
                input.moveReaderIndex(forwardBy: skipped)
                dataLeft -= skipped
                if dataLeft > 0 { return }
                output.writeStaticString("STORED\r\n")
                continue
            }
            let consumed: Int? = input.withUnsafeReadableBytes { bytes in
                guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                let end = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
                respond(to: UnsafeRawBufferPointer(rebasing: bytes[..<end]), into: &output)
                return newline + 1
            }
            guard let consumed else { return }
            input.moveReaderIndex(forwardBy: consumed)
        }
    }

    private mutating func respond(to line: UnsafeRawBufferPointer, into output: inout ByteBuffer) {
        let words = line.split(separator: UInt8(ascii: " "))
        guard let command = words.first else { return }
        if command.elementsEqual("get".utf8) || command.elementsEqual("gets".utf8) {
            for key in words.dropFirst() {
                output.writeStaticString("VALUE ")
                output.writeBytes(UnsafeRawBufferPointer(rebasing: key))
                output.writeStaticString(" 0 1024\r\n")
                output.writeBytes(Self.value)
                output.writeStaticString("\r\n")
            }
            output.writeStaticString("END\r\n")
        } else if command.elementsEqual("set".utf8), words.count >= 5 {
            dataLeft = words[4].reduce(0) { $0 * 10 + Int($1 &- UInt8(ascii: "0")) } + 2
        } else {
            output.writeStaticString("ERROR\r\n")
        }
    }
}
