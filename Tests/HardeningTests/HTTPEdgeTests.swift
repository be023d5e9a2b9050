import Foundation
import Testing
import TestSupport

extension Hardening {
    /// Issue 17, HTTP: exact hostile requests against a real sidecar, each answered with a precise
    /// status (never 500) and the connection closed where the stream cannot go on; the sidecar serves
    /// afterwards with memory and fds bounded.
    @Suite(.serialized) struct HTTPEdgeTests {
        static let head = "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

        @Test func badBodiesAndCodingsGetPreciseStatusesAndClose() async throws {
            let rig = try Rig()
            #expect(rig.storesSessions)
            let rssBefore = RawPeer.rss(rig.pid), fdsBefore = RawPeer.fds(rig.pid)
            let body = #"{"data":{}}"#
            let cases: [(name: String, request: String, halfClose: Bool, status: Int)] = [
                ("truncated body, then half-close", Self.head + "Content-Length: 100\r\n\r\n" + body, true, 400),
                ("chunk size zz", Self.head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n\(body)\r\n0\r\n\r\n", false, 400),
                ("chunk size -5", Self.head + "Transfer-Encoding: chunked\r\n\r\n-5\r\n\(body)\r\n0\r\n\r\n", false, 400),
                ("chunk size of 20 hex digits", Self.head + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n\(body)\r\n0\r\n\r\n", false, 400),
                // No body byte is sent: the 413 must come from the head alone.
                ("Content-Length over the limit", Self.head + "Content-Length: 300000\r\n\r\n", false, 413),
                ("gzip, chunked", Self.head + "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false, 501),
                ("duplicate JSON keys", Self.head + "Content-Length: 37\r\n\r\n" + #"{"data":{"paid":true,"paid":false}}  "#, true, 400),
            ]
            for c in cases {
                let started = Date()
                let r = RawPeer.unix(rig.socket, c.request, halfClose: c.halfClose)
                #expect(r.statuses == [c.status], "\(c.name): \(r.text)")
                #expect(r.closed, "\(c.name): connection left open")
                #expect(Date().timeIntervalSince(started) < 2.5, "\(c.name): answer waited for a timeout")
            }
            #expect(!rig.log.contains("unhandled error"))
            // HTTP/1.0 without keep-alive is answered and closed; with keep-alive it stays open.
            let plain = RawPeer.unix(rig.socket, "GET /healthz HTTP/1.0\r\n\r\n")
            #expect(plain.statuses == [200] && plain.closed)
            let keptAlive = RawPeer.unix(rig.socket, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", timeout: 1)
            #expect(keptAlive.statuses == [200] && !keptAlive.closed)
            #expect(rig.storesSessions)
            #expect(RawPeer.rss(rig.pid) - rssBefore < 16 << 20)
            #expect(RawPeer.fds(rig.pid) <= fdsBefore + 2)
        }

        @Test func everyPipelinedRequestIsAnsweredBeforeAHalfClosedConnectionCloses() async throws {
            let rig = try Rig()
            let request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            for round in 0..<2 {
                let r = RawPeer.unix(rig.socket, String(repeating: request, count: 1000), halfClose: true, timeout: 10)
                #expect(r.statuses.count == 1000 && r.statuses.allSatisfy { $0 == 200 }, "round \(round): \(r.statuses.count) answers")
                #expect(r.closed)
            }
            #expect(rig.serves)
        }

        /// DNS rebinding: a page whose name resolves to 127.0.0.1 sends its own name as Host.
        @Test func adminPortAnswersOnlyLoopbackHostNames() async throws {
            let port = freeLoopbackPort()
            let rig = try Rig(extra: ["--admin-bind", "127.0.0.1:\(port)"])
            func status(_ host: String) -> [Int] {
                guard let fd = connectLoopback(port) else { return [] }
                defer { close(fd) }
                return RawPeer.statuses(RawPeer.exchange(fd, Array("GET /healthz HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)).reply)
            }
            for host in ["127.0.0.1:\(port)", "localhost", "localhost:\(port)", "[::1]:\(port)", "127.0.0.2"] {
                #expect(status(host) == [200], "\(host)")
            }
            for host in ["evil.example", "evil.example:\(port)", "127.0.0.1.evil.example", "localhost.evil", "0.0.0.0", ""] {
                #expect(status(host) == [421], "\(host)")
            }
            #expect(rig.serves)
        }
    }
}
