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

/// Opens a TCP connection to 127.0.0.1:port (with send/receive timeouts), or returns nil.
public func connectLoopback(_ port: Int, timeoutSeconds: Int = 2) -> Int32? {
    guard let fd = streamSocket(AF_INET, timeoutSeconds: timeoutSeconds) else { return nil }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return nil }
    return fd
}

/// Opens a connection to the Unix socket at `path` (with send/receive timeouts), or returns nil.
public func connectUnix(_ path: String, timeoutSeconds: Int = 2) -> Int32? {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
        for (i, b) in bytes.enumerated() { raw[i] = b }
    }
    guard let fd = streamSocket(AF_UNIX, timeoutSeconds: timeoutSeconds) else { return nil }
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if rc != 0 { close(fd); return nil }
    return fd
}

/// A stream socket whose reads and writes give up after `timeoutSeconds`.
private func streamSocket(_ family: Int32, timeoutSeconds: Int) -> Int32? {
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Sends `command` to 127.0.0.1:port on a fresh connection and reads until the reply ends with
/// `terminator` (memcached's text protocol: readiness checks, `stats`, raw gets and sets).
/// Nil if the connection or a read fails first.
public func loopbackExchange(_ port: Int, _ command: [UInt8], until terminator: String, timeoutSeconds: Int = 2) -> [UInt8]? {
    loopbackExchange(port, command, until: Array(terminator.utf8), timeoutSeconds: timeoutSeconds)
}

/// `loopbackExchange` ending at a byte sequence (binary protocol answers).
public func loopbackExchange(_ port: Int, _ command: [UInt8], until terminator: [UInt8], timeoutSeconds: Int = 2) -> [UInt8]? {
    loopbackExchange(port, command, timeoutSeconds: timeoutSeconds) { $0.count >= terminator.count && $0.suffix(terminator.count).elementsEqual(terminator) }
}

/// `loopbackExchange` ending when `complete` says the reply so far is whole.
public func loopbackExchange(_ port: Int, _ command: [UInt8], timeoutSeconds: Int = 2, until complete: ([UInt8]) -> Bool) -> [UInt8]? {
    guard let fd = connectLoopback(port, timeoutSeconds: timeoutSeconds) else { return nil }
    defer { close(fd) }
    return exchange(fd, command, until: complete)
}

/// `loopbackExchange` on the Unix socket at `path` (the sidecar's memcache front door).
public func unixExchange(_ path: String, _ command: [UInt8], until terminator: String, timeoutSeconds: Int = 2) -> [UInt8]? {
    unixExchange(path, command, until: Array(terminator.utf8), timeoutSeconds: timeoutSeconds)
}

/// `unixExchange` ending at a byte sequence (binary protocol answers).
public func unixExchange(_ path: String, _ command: [UInt8], until terminator: [UInt8], timeoutSeconds: Int = 2) -> [UInt8]? {
    unixExchange(path, command, timeoutSeconds: timeoutSeconds) { $0.count >= terminator.count && $0.suffix(terminator.count).elementsEqual(terminator) }
}

/// `unixExchange` ending when `complete` says the reply so far is whole.
public func unixExchange(_ path: String, _ command: [UInt8], timeoutSeconds: Int = 2, until complete: ([UInt8]) -> Bool) -> [UInt8]? {
    guard let fd = connectUnix(path, timeoutSeconds: timeoutSeconds) else { return nil }
    defer { close(fd) }
    return exchange(fd, command, until: complete)
}

/// Sends `command` on `fd` and reads until `complete` holds for the reply; nil if a read fails first.
private func exchange(_ fd: Int32, _ command: [UInt8], until complete: ([UInt8]) -> Bool) -> [UInt8]? {
    let sent = command.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard sent == command.count else { return nil }
    var reply = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !complete(reply) {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return nil }
        reply.append(contentsOf: buffer[0..<n])
    }
    return reply
}
