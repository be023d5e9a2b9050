#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 keep-alive client over a Unix socket, one per benchmark thread:
/// the sidecar's counterpart of the blocking libmemcached clients used for paths (a) and (b),
/// and of what a PHP or Python app does. It understands exactly what the sidecar sends back:
/// a status line, headers with Content-Length, and a body.
final class BlockingHTTPClient {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var start = 0, end = 0

    struct Response {
        var status: Int
        var body: ArraySlice<UInt8>
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(socketPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: addr.sun_path) else { close(fd); throw Failure(description: "socket path too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw Failure(description: "connect \(socketPath): errno \(e)") }
    }

    deinit { close(fd) }

    /// Sends one request and reads its whole response.
    func send(_ method: String, _ target: String, contentType: String? = nil, body: [UInt8] = []) throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: sidecar\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if !body.isEmpty || method != "GET" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try writeAll(Array(head.utf8) + body)
        return try readResponse()
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "write: errno \(errno)")
            }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; compacts it first when the unread part is at the end.
    private func fill() throws {
        if start > 0 {
            let unread = end - start
            if unread > 0 { buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: unread) } }
            start = 0
            end = unread
        }
        if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + end, $0.count - end) }
        if n < 0 {
            if errno == EINTR { return }
            throw Failure(description: "read: errno \(errno)")
        }
        if n == 0 { throw Failure(description: "connection closed by the sidecar") }
        end += n
    }

    private func readResponse() throws -> Response {
        // Header block.
        var headerEnd: Int?
        var scanFrom = start
        while headerEnd == nil {
            if end - scanFrom >= 4 {
                for i in scanFrom...(end - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    headerEnd = i
                    break
                }
            }
            if headerEnd == nil {
                let offset = max(scanFrom, end - 3) - start
                try fill()
                scanFrom = start + offset
            }
        }
        let head = String(decoding: buffer[start..<headerEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure(description: "bad status line: \(lines.first ?? "")")
        }
        var length = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: " ")) ?? 0
            }
        }
        let bodyStart = headerEnd! + 4 - start
        while end - start < bodyStart + length { try fill() }
        let body = buffer[(start + bodyStart)..<(start + bodyStart + length)]
        start += bodyStart + length
        if start == end { start = 0; end = 0 }
        return Response(status: status, body: body)
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
