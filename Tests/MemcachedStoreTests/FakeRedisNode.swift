import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A TCP server on a free loopback port that is not Redis: it answers every request with
/// nonsense, a reply of the wrong kind, nothing at all, or a hang-up. Its threads are bounded
/// by the test's connections and stop with `stop()`.
final class FakeRedisNode: Sendable {
    enum Behaviour: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Bytes that are not RESP.
        case garbage
        /// Valid RESP, but `+OK` to everything (HMGET, EVALSHA, SCRIPT LOAD, DEL).
        case wrongKind
        /// A bulk string that claims more bytes than ever arrive.
        case truncated
        /// Accepts, reads, never answers.
        case silent
        /// Accepts and closes at once.
        case hangsUp
        var description: String { rawValue }

        var reply: [UInt8]? {
            switch self {
            case .garbage: Array("\u{1}\u{2}%%% this is not redis ~~~\r\n@@\r\n".utf8)
            case .wrongKind: Array("+OK\r\n".utf8)
            case .truncated: Array("$1000\r\nabc".utf8)
            case .silent, .hangsUp: nil
            }
        }
    }

    let port: Int
    let connections = Atomic<Int>(0)
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)

    init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard fd >= 0, ok, listen(fd, 16) == 0 else { close(fd); throw LocalClusterError("fake node: bind/listen failed") }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let client = accept(fd, nil, nil)
                if client < 0 { continue }
                connections.add(1, ordering: .relaxed)
                Thread.detachNewThread { [self] in serve(client, behaviour) }
            }
            close(fd)
        }
    }

    private func serve(_ fd: Int32, _ behaviour: Behaviour) {
        defer { close(fd) }
        if behaviour == .hangsUp { return }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<600 where !stopped.load(ordering: .relaxed) {  // at most a minute
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return }
            if n < 0 { continue }
            if let reply = behaviour.reply {
                _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
