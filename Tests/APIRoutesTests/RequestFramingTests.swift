import SessionCore
@testable import SidecarAPI
import Testing

/// `RequestFraming`: what the session path on the bytes takes, hands to the router by its length,
/// or leaves to NIO's decoder.
@Suite struct RequestFramingTests {
    let id = SessionID.random()

    func frame(_ text: String, maxBodyBytes: Int = 4096) -> RequestFrame {
        Array(text.utf8).withUnsafeBytes { RequestFraming.frame($0, maxBodyBytes: maxBodyBytes) }
    }

    func get(_ headers: String = "Host: x\r\n") -> String { "GET /v1/sessions/\(id.rawValue) HTTP/1.1\r\n\(headers)\r\n" }

    @Test func readsAndPatchesAreTakenWithTheirLengths() {
        let read = get()
        #expect(frame(read) == .request(headLength: read.utf8.count, bodyLength: 0, call: .read(id)))
        // Whatever follows the request is not part of it.
        #expect(frame(read + "GET /x HTTP/1.1\r\n") == .request(headLength: read.utf8.count, bodyLength: 0, call: .read(id)))
        let odd = "GET /v1/sessions/\(id.rawValue)?x=1 HTTP/1.1\r\nhOsT:x\r\ncontent-LENGTH: 0 \r\n\r\n"
        #expect(frame(odd) == .request(headLength: odd.utf8.count, bodyLength: 0, call: .read(id)))
        let patchHead = "PATCH /v1/sessions/\(id.rawValue) HTTP/1.1\r\nHost: x\r\nContent-Type: Application/Merge-Patch+JSON; charset=utf-8\r\n"
            + "If-Match: W/\"7\"\r\nContent-Length: 12\r\n\r\n"
        #expect(frame(patchHead + "{\"step\":3}") == .request(headLength: patchHead.utf8.count, bodyLength: 12,
                                                              call: .patch(id, ifMatch: 7, length: 12)))
        #expect(frame(patchHead.replacingOccurrences(of: "W/\"7\"", with: "*"))
                == .request(headLength: patchHead.utf8.count - 4, bodyLength: 12, call: .patch(id, ifMatch: nil, length: 12)))
    }

    @Test func requestsTheRouterAnswersAreFramedForIt() {
        func routed(_ text: String, body: Int = 0) -> Bool {
            frame(text) == .request(headLength: text.utf8.count - body, bodyLength: body, call: nil)
        }
        #expect(routed(get("Host: x\r\nConnection: close\r\n")))
        #expect(routed(get("Expect: 100-continue\r\n")))
        #expect(routed(get("Content-Length: 3\r\n") + "abc", body: 3))
        #expect(routed("GET /v1/sessions/short HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(routed("GET /v1/sessions/\(id.rawValue)/rotate HTTP/1.1\r\n\r\n"))
        #expect(routed("DELETE /v1/sessions/\(id.rawValue) HTTP/1.1\r\n\r\n"))
        #expect(routed("POST /v1/sessions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", body: 2))
        #expect(routed("GET /healthz HTTP/1.1\r\n\r\n"))
        let patch = "PATCH /v1/sessions/\(id.rawValue) HTTP/1.1\r\n"
        #expect(routed(patch + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", body: 2))
        #expect(routed(patch + "Content-Type: application/merge-patch+json\r\nIf-Match: nonsense\r\nContent-Length: 2\r\n\r\n{}", body: 2))
        let tooLarge = patch + "Content-Type: application/merge-patch+json\r\nContent-Length: 5000\r\n\r\n"
        #expect(frame(tooLarge) == .request(headLength: tooLarge.utf8.count, bodyLength: 5000, call: nil))
        // Two of a header the call reads: the router says which one counts.
        #expect(routed(patch + "Content-Type: application/merge-patch+json\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n"))
    }

    @Test func whatIsNotPlainHTTP11GoesToTheDecoder() {
        #expect(frame(get("Transfer-Encoding: chunked\r\n")) == .unframeable)
        #expect(frame(get("Content-Length: 1\r\nContent-Length: 1\r\n")) == .unframeable)
        #expect(frame(get("Content-Length: -1\r\n")) == .unframeable)
        #expect(frame(get("Content-Length: 1 2\r\n")) == .unframeable)
        #expect(frame(get("Bad Header\r\n")) == .unframeable)
        #expect(frame(get("Name : value\r\n")) == .unframeable)
        #expect(frame(get("X: a\r\n folded\r\n")) == .unframeable)
        #expect(frame(get("X: a\nY: b\r\n")) == .unframeable)
        #expect(frame(get("X: a\u{1}b\r\n")) == .unframeable)
        #expect(frame("GET /v1/sessions/\(id.rawValue) HTTP/1.0\r\n\r\n") == .unframeable)
        #expect(frame("GET  /x HTTP/1.1\r\n\r\n") == .unframeable)
        #expect(frame("\r\nGET /x HTTP/1.1\r\n\r\n") == .unframeable)
        #expect(frame("NOT HTTP AT ALL\r\n\r\n") == .unframeable)
        #expect(frame("GET /x HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 65) + "\r\n") == .unframeable)
        #expect(frame("GET /x HTTP/1.1\r\nX: " + String(repeating: "y", count: RequestFraming.maxHeadBytes)) == .unframeable)
    }

    @Test func everyPrefixOfARequestIsIncomplete() {
        let request = "PATCH /v1/sessions/\(id.rawValue) HTTP/1.1\r\nHost: x\r\nContent-Type: application/merge-patch+json\r\nContent-Length: 2\r\n\r\n"
        let bytes = Array(request.utf8)
        for n in 0..<bytes.count {
            let framed = bytes[0..<n].withUnsafeBytes { RequestFraming.frame($0, maxBodyBytes: 4096) }
            #expect(framed == .incomplete, "\(n) bytes: \(framed)")
        }
        #expect(frame(request) == .request(headLength: bytes.count, bodyLength: 2, call: .patch(id, ifMatch: nil, length: 2)))
    }

    /// Garbage never traps, a framed request never claims bytes it has not seen, and the framing
    /// of a request does not depend on how its bytes arrive: every prefix of a framed head is
    /// incomplete. 1,500 seeded mutations of real requests (bytes flipped, inserted, cut).
    @Test func mutatedRequestsAreFramedConsistently() {
        let seeds = [get(), get("Content-Length: 0\r\nX-A: b\r\n"),
                     "PATCH /v1/sessions/\(id.rawValue) HTTP/1.1\r\nContent-Type: application/merge-patch+json\r\nIf-Match: \"3\"\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
                     "POST /v1/sessions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", "GET /healthz HTTP/1.1\r\n\r\n"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array(" :\r\n\t\u{0}\u{7f}aZ0/?-".utf8) + [0xC3, 0xFF]
        var framedCount = 0
        for round in 0..<1_500 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<(1 + next(3)) {
                switch next(3) {
                case 0: bytes[next(bytes.count)] = alphabet[next(alphabet.count)]
                case 1: bytes.insert(alphabet[next(alphabet.count)], at: next(bytes.count + 1))
                default: if bytes.count > 1 { bytes.remove(at: next(bytes.count)) }
                }
            }
            let framed = bytes.withUnsafeBytes { RequestFraming.frame($0, maxBodyBytes: 4096) }
            guard case .request(let head, let body, _) = framed else { continue }
            framedCount += 1
            #expect(head > 0 && head <= bytes.count && body >= 0, "\(bytes)")
            #expect(Array(bytes[head - 4..<head]) == Array("\r\n\r\n".utf8), "\(bytes)")
            for cut in stride(from: 0, to: head, by: 1) {
                let partial = bytes[0..<cut].withUnsafeBytes { RequestFraming.frame($0, maxBodyBytes: 4096) }
                if partial != .incomplete {
                    Issue.record("prefix of \(cut) of \(head) bytes framed as \(partial): \(bytes)")
                    break
                }
            }
        }
        #expect(framedCount > 100)
    }
}
