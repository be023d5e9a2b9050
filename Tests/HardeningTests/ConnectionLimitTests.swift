import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension Hardening {
    /// Issue 17, connections: caps, header and idle timeouts, and fd exhaustion, against real sidecars.
    @Suite(.serialized) struct ConnectionLimitTests {
        /// A non-blocking connect to the Unix socket: nil when the listener's backlog is full too.
        static func connectNow(_ path: String) -> Int32? {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if rc != 0 { close(fd); return nil }
            return fd
        }

        /// True once the server closed `fd` (a read returns EOF or a reset).
        static func closedByServer(_ fd: Int32) -> Bool {
            var byte: UInt8 = 0
            let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
            return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }

        @Test func slowlorisAndIdleConnectionsAreClosed() async throws {
            let rig = try Rig(extra: ["--http-header-timeout-ms", "1000", "--http-idle-timeout-ms", "2000"])
            let fdsBefore = RawPeer.fds(rig.pid), rssBefore = RawPeer.rss(rig.pid)
            var slow: [Int32] = [], idle: [Int32] = []
            for _ in 0..<200 {
                if let fd = connectUnix(rig.socket) {
                    _ = send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", 40, Int32(MSG_NOSIGNAL))
                    slow.append(fd)
                }
                if let fd = connectUnix(rig.socket) { idle.append(fd) }
            }
            defer { for fd in slow + idle { close(fd) } }
            #expect(slow.count == 200 && idle.count == 200)
            // Slowloris keeps trickling header bytes; the head never completes.
            let start = Date()
            while Date().timeIntervalSince(start) < 1.6 {
                for fd in slow { _ = send(fd, "a", 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                try await Task.sleep(for: .microseconds(200_000))
            }
            #expect(slow.filter { Self.closedByServer($0) }.count == 200, "slowloris connections left open past the header timeout")
            #expect(await eventually(seconds: 4) { idle.allSatisfy { Self.closedByServer($0) } }, "idle connections left open past the idle timeout")
            #expect(await eventually(seconds: 3) { RawPeer.fds(rig.pid) <= fdsBefore + 4 })
            #expect(rig.storesSessions)
            #expect(RawPeer.rss(rig.pid) - rssBefore < 32 << 20)
        }

        /// The header clock is one timer per connection, not one per request: a slow head on a
        /// connection that already served requests is still cut at its own deadline, and a
        /// connection sending complete requests for several timeouts is never cut.
        @Test func theHeaderTimeoutHoldsForEveryRequestOfAConnection() async throws {
            let rig = try Rig(extra: ["--http-header-timeout-ms", "1000", "--http-idle-timeout-ms", "10000"])
            let request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            guard let busy = connectUnix(rig.socket), let slow = connectUnix(rig.socket) else { Issue.record("connect failed"); return }
            defer { close(busy); close(slow) }
            func answered(_ fd: Int32) -> Bool {
                guard send(fd, request, request.utf8.count, Int32(MSG_NOSIGNAL)) == request.utf8.count else { return false }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                return n > 0 && String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200")
            }
            #expect(answered(slow))
            try await Task.sleep(for: .milliseconds(500))
            // The slow connection starts its second head half-way through the first request's timer.
            _ = send(slow, "GET /healthz HTTP/1.1\r\nX-Slow: ", 30, Int32(MSG_NOSIGNAL))
            let start = Date()
            var busyAnswers = 0, slowClosedAt: Double?
            while Date().timeIntervalSince(start) < 2.6 {
                if answered(busy) { busyAnswers += 1 }
                if slowClosedAt == nil {
                    if Self.closedByServer(slow) { slowClosedAt = Date().timeIntervalSince(start) } else { _ = send(slow, "a", 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let closedAt = try #require(slowClosedAt, "a slow second head was not cut")
            #expect(closedAt > 0.8 && closedAt < 2.2, "cut \(closedAt) s after its head began (timeout 1 s)")
            #expect(busyAnswers >= 15 && !Self.closedByServer(busy), "the busy connection was cut or stalled: \(busyAnswers) answers")
        }

        /// The issue's setup: a sidecar limited to a few hundred fds and far more connections than
        /// that. The cap keeps a reserve, so the sidecar never runs out itself: it stays up, does not
        /// spin on accept, and serves again as soon as the connections go.
        @Test func fdExhaustionIsSurvivedAndServiceResumes() async throws {
            let rig = try Rig(extra: ["--http-idle-timeout-ms", "60000"], launcher: ["/usr/bin/prlimit", "--nofile=256:256", "--"])
            #expect(rig.serves)
            var held: [Int32] = []
            for _ in 0..<1000 { if let fd = Self.connectNow(rig.socket) { held.append(fd) } }
            defer { for fd in held { close(fd) } }
            // Some were refused outright (backlog full): more were attempted than the fd limit.
            #expect(held.count < 1000)
            #expect(held.count > 256)
            #expect(await eventually(seconds: 5) { rig.log.contains("connection limit reached") })
            let cpuBefore = RawPeer.cpuSeconds(rig.pid)
            try await Task.sleep(for: .seconds(2))
            let cpu = RawPeer.cpuSeconds(rig.pid) - cpuBefore
            #expect(cpu < 0.5, "the sidecar used \(cpu) s of CPU in 2 s at the cap (accept spinning?)")
            #expect(RawPeer.fds(rig.pid) <= 256)
            #expect(rig.sidecar.process.process.isRunning)
            // A held connection that was accepted is still answered.
            var answered = false
            for fd in held.prefix(50) where !answered {
                _ = send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 34, Int32(MSG_NOSIGNAL))
                try await Task.sleep(for: .milliseconds(20))
                var buffer = [UInt8](repeating: 0, count: 512)
                answered = recv(fd, &buffer, 512, Int32(MSG_DONTWAIT)) > 0
            }
            #expect(answered)
            for fd in held { close(fd) }
            held.removeAll()
            #expect(await eventually(seconds: 10) { rig.serves })
            #expect(rig.storesSessions)
            #expect(rig.sidecar.process.process.isRunning)
        }
    }
}
