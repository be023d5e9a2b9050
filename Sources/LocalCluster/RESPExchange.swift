import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A RESP reply, as `respExchange` parses it (for tests and tools looking at what Redis really stores).
public indirect enum RESPValue: Equatable, Sendable {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RESPValue])
}

/// Sends one command to the Redis at 127.0.0.1:port on a fresh connection and reads one reply.
/// Nil if the connection fails or the reply does not parse. Bounded: replies up to 64 MiB.
public func respExchange(_ port: Int, _ args: [[UInt8]], password: String? = nil, timeoutSeconds: Int = 2) -> RESPValue? {
    guard let fd = connectLoopback(port, timeoutSeconds: timeoutSeconds) else { return nil }
    defer { close(fd) }
    var reader = RESPReader(fd: fd)
    if let password {
        guard send(fd, [Array("AUTH".utf8), Array(password.utf8)]), case .simple? = reader.next() else { return nil }
    }
    guard send(fd, args) else { return nil }
    return reader.next()
}

/// `respExchange` with text arguments.
public func respExchange(_ port: Int, _ args: String..., password: String? = nil) -> RESPValue? {
    respExchange(port, args.map { Array($0.utf8) }, password: password)
}

private func send(_ fd: Int32, _ args: [[UInt8]]) -> Bool {
    var out = Array("*\(args.count)\r\n".utf8)
    for a in args { out += Array("$\(a.count)\r\n".utf8) + a + Array("\r\n".utf8) }
    var offset = 0
    while offset < out.count {
        let n = out[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

private struct RESPReader {
    let fd: Int32
    var buffer = [UInt8]()
    var position = 0

    init(fd: Int32) { self.fd = fd }

    mutating func fill() -> Bool {
        if buffer.count > 64 << 20 { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    mutating func line() -> String? {
        while true {
            if let cr = buffer[position...].firstIndex(of: 0x0D), cr + 1 < buffer.count {
                let text = String(decoding: buffer[position..<cr], as: UTF8.self)
                position = cr + 2
                return text
            }
            if !fill() { return nil }
        }
    }

    mutating func next(depth: Int = 0) -> RESPValue? {
        guard depth < 8, let header = line(), let kind = header.first else { return nil }
        let rest = String(header.dropFirst())
        switch kind {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":": return Int64(rest).map { .integer($0) }
        case "$":
            guard let length = Int(rest) else { return nil }
            if length < 0 { return .null }
            guard length <= 64 << 20 else { return nil }
            while buffer.count < position + length + 2 { if !fill() { return nil } }
            let bytes = Array(buffer[position..<(position + length)])
            position += length + 2
            return .bulk(bytes)
        case "*":
            guard let count = Int(rest) else { return nil }
            if count < 0 { return .null }
            guard count <= 1_000_000 else { return nil }
            var items = [RESPValue]()
            for _ in 0..<count {
                guard let item = next(depth: depth + 1) else { return nil }
                items.append(item)
            }
            return .array(items)
        default: return nil
        }
    }
}
