#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A port on 127.0.0.1 that was free for both TCP and UDP a moment ago, and that this process
/// has not handed out before.
///
/// It is drawn at random from below the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`), not by binding port 0: a port the kernel picks
/// for bind(0) comes from the same range it gives outgoing connections, so between this call
/// and the listener's own bind, any connection a test opens (a sidecar to memcached, a client to
/// a sidecar) can take it as its local port and the listener fails with EADDRINUSE.
public func freeLoopbackPort() -> Int {
    LoopbackPorts.shared.next()
}

private final class LoopbackPorts: Sendable {
    static let shared = LoopbackPorts()

    private let handedOut = Mutex<Set<Int>>([])
    /// Ports drawn from `lowest..<ephemeralStart`; empty when the ephemeral range starts too low.
    private let candidates: Range<Int>

    private init() {
        let lowest = 10_000
        let ephemeralStart = Self.ephemeralRangeStart() ?? 32_768
        candidates = ephemeralStart > lowest + 1_000 ? lowest..<ephemeralStart : 0..<0
    }

    func next() -> Int {
        for _ in 0..<2_000 where !candidates.isEmpty {
            let port = Int.random(in: candidates)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if Self.bindable(port, SOCK_STREAM) && Self.bindable(port, SOCK_DGRAM) { return port }
        }
        // Fallback: let the kernel choose (the race above is then possible again).
        for _ in 0..<100 {
            let port = Self.kernelChosenPort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        preconditionFailure("no free loopback port")
    }

    private static func ephemeralRangeStart() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) }
    }

    /// Whether a socket of `type` binds 127.0.0.1:port now (no SO_REUSEADDR, so a port held by a
    /// listener, a connection or one in TIME_WAIT counts as taken).
    private static func bindable(_ port: Int, _ type: __socket_type) -> Bool {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func kernelChosenPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket() failed")
        defer { close(fd) }
        var addr = loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        precondition(bound, "bind to 127.0.0.1:0 failed")
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return addr
    }
}
