import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client that pipelines a stream of requests on a Unix socket or a loopback TCP port without reading the answers,
/// then reads them: the back-pressure tests of both doors (a server must stop taking requests
/// whose answers back up, not queue them all in memory, and still answer every one).
public final class UnreadPipeline {
    private let fd: Int32
    private let stream: [UInt8]
    public private(set) var sent = 0
    public var allSent: Bool { sent == stream.count }

    public init?(socket: String, stream: [UInt8]) {
        guard let fd = connectUnix(socket) else { return nil }
        self.fd = fd
        self.stream = stream
    }

    /// On 127.0.0.1:`port`.
    public init?(port: Int, stream: [UInt8]) {
        guard let fd = connectLoopback(port) else { return nil }
        self.fd = fd
        self.stream = stream
    }

    deinit { close(fd) }

    /// Sends what the socket takes now, without blocking.
    public func sendSome() {
        while sent < stream.count {
            let n = stream[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    /// Sends, reading nothing, until `answered()` (the server's count of answers) has not moved for
    /// ten polls 50 ms apart, or 20 s; returns its last value.
    public func sendUntilServerStops(answered: () -> Int) async throws -> Int {
        var last = -1, still = 0
        for _ in 0..<400 where still < 10 {
            sendSome()
            try await Task.sleep(for: .milliseconds(50))
            let now = answered()
            still = now == last ? still + 1 : 0
            last = now
        }
        return last
    }

    /// Sends the rest and reads until `marker` has been seen `count` times (or `seconds` pass);
    /// returns how many times it was seen.
    public func readAnswers(counting marker: String, upTo count: Int, seconds: Double = 60) async throws -> Int {
        let needle = Array(marker.utf8)
        var buffer = [UInt8](repeating: 0, count: 65536), tail = [UInt8](), seen = 0
        let deadline = Date().addingTimeInterval(seconds)
        while seen < count, Date() < deadline {
            sendSome()
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n > 0 else { try await Task.sleep(for: .milliseconds(5)); continue }
            tail += buffer[0..<n]
            var i = 0
            while i + needle.count <= tail.count {
                if tail[i] == needle[0], tail[i..<i + needle.count].elementsEqual(needle) { seen += 1; i += needle.count } else { i += 1 }
            }
            tail = Array(tail[i...])
        }
        return seen
    }
}
