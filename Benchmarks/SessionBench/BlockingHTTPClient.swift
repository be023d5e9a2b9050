#if canImport(Glibc)
import Glibc
#endif
import LocalCluster

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

    /// A read or write that waits longer than `timeoutSeconds` fails the request (a stuck
    /// sidecar ends the round with errors instead of hanging the benchmark).
    init(socketPath: String, timeoutSeconds: Int = 10) throws {
        guard let fd = connectUnix(socketPath, timeoutSeconds: timeoutSeconds) else {
            throw Failure(description: "connect \(socketPath): errno \(errno)")
        }
        self.fd = fd
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
        // Header block (rescanned after each read: headers are ~100 bytes). A plain loop: the
        // generic `firstRange(of:)` cost this client a third more CPU per request.
        func blankLine() -> Int? {
            var i = start
            while i + 3 < end {
                if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i }
                i += 1
            }
            return nil
        }
        var found = blankLine()
        while found == nil {
            try fill()
            found = blankLine()
        }
        let headerEnd = found!
        let head = String(decoding: buffer[start..<headerEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw Failure(description: "bad status line: \(lines.first ?? "")")
        }
        var length = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0].lowercased() {
            case "content-length": length = Int(parts[1].filter { $0 != " " }) ?? 0
            case "transfer-encoding": throw Failure(description: "unexpected Transfer-Encoding: \(parts[1])")
            default: break
            }
        }
        let bodyStart = headerEnd + 4 - start
        while end - start < bodyStart + length { try fill() }
        let body = buffer[(start + bodyStart)..<(start + bodyStart + length)]
        start += bodyStart + length
        if start == end { start = 0; end = 0 }
        return Response(status: status, body: body)
    }
}
