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
}
