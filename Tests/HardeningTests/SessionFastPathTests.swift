import Foundation
import Testing
import TestSupport

extension Hardening {
    /// Issue 15: `GET` and `PATCH /v1/sessions/{id}` are answered in front of the router, from the
    /// bytes (`SessionWireHandler`), or from the decoded parts once a connection has gone to NIO's
    /// decoder (`SessionFastPathHandler`). A real sidecar must answer them byte for byte as the router does,
    /// keep HTTP/1.1's order when they are pipelined between requests the router answers, count
    /// them in the same metrics, and say 503, never 404, when the store cannot know.
    @Suite(.serialized) struct SessionFastPathTests {
        /// One parsed answer: status, headers (lower-cased names), body.
        struct Answer {
            var status: Int
            var headers: [String: String]
            var body: String
        }

        /// Splits a byte stream of HTTP/1.1 answers (each with Content-Length) into answers.
        static func answers(_ text: String) -> [Answer] {
            var out: [Answer] = []
            var rest = Substring(text)
            while let headEnd = rest.range(of: "\r\n\r\n") {
                let lines = rest[..<headEnd.lowerBound].components(separatedBy: "\r\n")
                guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else { break }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                let bodyStart = headEnd.upperBound
                let bodyEnd = rest.utf8.index(bodyStart, offsetBy: length, limitedBy: rest.utf8.endIndex) ?? rest.endIndex
                out.append(Answer(status: status, headers: headers, body: String(rest[bodyStart..<bodyEnd])))
                rest = rest[bodyEnd...]
            }
            return out
        }

        static func create(_ rig: Rig, data: String = #"{"cart":["sku-1"],"step":"pay"}"#) -> String? {
            let body = #"{"data":\#(data)}"#
            let created = RawPeer.unix(rig.socket, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
            guard created.statuses == [201], let range = created.text.range(of: #""id":""#) else { return nil }
            return String(created.text[range.upperBound...].prefix(43))
        }

        static func get(_ id: String, close: Bool = false) -> String {
            "GET /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n"
        }

        static func patch(_ id: String, _ body: String, close: Bool = false) -> String {
            "PATCH /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\nContent-Type: application/merge-patch+json\r\n"
                + (close ? "Connection: close\r\n" : "") + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }

        /// A merge patch the router answers: chunked.
        static func chunkedPatch(_ id: String, _ body: String) -> String {
            "PATCH /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\nContent-Type: application/merge-patch+json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(body.utf8.count, radix: 16) + "\r\n\(body)\r\n0\r\n\r\n"
        }

        @Test func aReadAnsweredOnTheLoopIsTheRoutersAnswer() throws {
            let rig = try Rig()
            let id = try #require(Self.create(rig))
            // Keep-alive: the loop answers. `Connection: close`: the router answers.
            let fast = Self.answers(RawPeer.unix(rig.socket, Self.get(id) + Self.get(id, close: true)).text)
            try #require(fast.count == 2)
            let (loop, router) = (fast[0], fast[1])
            #expect(loop.status == 200 && router.status == 200)
            #expect(loop.body == router.body)
            #expect(loop.body.contains(#""data":{"cart":["sku-1"],"step":"pay"}"#))
            var loopHeaders = loop.headers, routerHeaders = router.headers
            for h in [loopHeaders, routerHeaders] {
                #expect(h["date"]?.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$"#,
                                         options: .regularExpression) != nil, "\(h)")
            }
            #expect(loopHeaders.removeValue(forKey: "date") != nil)
            #expect(routerHeaders.removeValue(forKey: "date") != nil)
            routerHeaders["connection"] = nil
            #expect(loopHeaders == routerHeaders)
            #expect(loopHeaders["etag"] == "\"1\"" && loopHeaders["cache-control"] == "no-store" && loopHeaders["server"] == "sessionmesh")
            #expect(loopHeaders["content-type"] == "application/json")

            // A merge patch: the loop's answer and the router's (Connection: close) for the next version.
            let patched = Self.answers(RawPeer.unix(rig.socket, Self.patch(id, #"{"step":"3ds"}"#) + Self.patch(id, #"{"step":"done"}"#, close: true)).text)
            try #require(patched.count == 2)
            #expect(patched.map(\.status) == [200, 200])
            #expect(patched.map { $0.headers["etag"] } == [#""2""#, #""3""#])
            // Same shape and content, but for the step, the version and the access times.
            func timeless(_ body: String) -> String {
                body.replacingOccurrences(of: #""(lastAccessAt|idleExpiresAt)":"[^"]*""#, with: "", options: .regularExpression)
            }
            #expect(timeless(patched[0].body).replacingOccurrences(of: "3ds", with: "done").replacingOccurrences(of: #""version":2"#, with: #""version":3"#)
                    == timeless(patched[1].body), "\(patched[0].body)\n\(patched[1].body)")
            // A conflicting If-Match: 412 with the current version, as the router says it.
            let stale = "PATCH /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\nContent-Type: application/merge-patch+json\r\nIf-Match: \"1\"\r\nContent-Length: 2\r\n\r\n{}"
            let conflict = Self.answers(RawPeer.unix(rig.socket, stale + stale.replacingOccurrences(of: "Host: x\r\n", with: "Host: x\r\nConnection: close\r\n")).text)
            #expect(conflict.map(\.status) == [412, 412] && conflict.map { $0.headers["etag"] } == [#""3""#, #""3""#])
            #expect(conflict.count == 2 && conflict[0].body == conflict[1].body)

            // Misses: unknown id and a logged-out session, both 404 with their reasons, as the router says them.
            let unknown = String(repeating: "A", count: 43)
            let missed = Self.answers(RawPeer.unix(rig.socket, Self.get(unknown) + Self.get(unknown, close: true)).text)
            try #require(missed.count == 2)
            #expect(missed[0].status == 404 && missed[0].body == missed[1].body && missed[0].body.contains("expired_or_evicted"))
            _ = RawPeer.unix(rig.socket, "DELETE /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let out = Self.answers(RawPeer.unix(rig.socket, Self.get(id) + Self.get(id, close: true)).text)
            try #require(out.count == 2)
            #expect(out[0].status == 404 && out[0].body == out[1].body && out[0].body.contains("logged_out"))
        }

        @Test func pipelinedReadsAndWritesAreAnsweredInOrder() throws {
            let rig = try Rig()
            let a = try #require(Self.create(rig)), b = try #require(Self.create(rig))
            // Reads the loop answers between requests the router answers, all in one write.
            let requests = Self.get(a) + Self.patch(a, #"{"step":"3ds"}"#) + Self.get(a) + Self.get("not-an-id")
                + Self.chunkedPatch(a, #"{"step":"paid"}"#) + Self.get(a)
                + Self.get(String(repeating: "B", count: 42) + "A") + "DELETE /v1/sessions/\(b) HTTP/1.1\r\nHost: x\r\n\r\n"
                + Self.get(b) + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + Self.get(a)
            let r = RawPeer.unix(rig.socket, requests, halfClose: true, timeout: 10)
            let answers = Self.answers(r.text)
            #expect(answers.map(\.status) == [200, 200, 200, 400, 200, 200, 404, 204, 404, 200, 200], "\(r.text)")
            #expect(answers.map { $0.headers["etag"] ?? "-" } == [#""1""#, #""2""#, #""2""#, "-", #""3""#, #""3""#, "-", "-", "-", "-", #""3""#])
            #expect(answers.count == 11 && answers[2].body.contains(#""step":"3ds""#) && answers[5].body.contains(#""step":"paid""#))
            #expect(answers.count == 11 && answers[8].body.contains("logged_out"))
            #expect(r.closed)

            // Many rounds on one connection, the router's chunked patches among the loop's calls:
            // every answer, in order, versions rising.
            var stream = ""
            for i in 0..<150 { stream += Self.get(a) + (i % 5 == 0 ? Self.chunkedPatch(a, #"{"n":\#(i)}"#) : Self.patch(a, #"{"n":\#(i)}"#)) + Self.get(a) }
            let many = Self.answers(RawPeer.unix(rig.socket, stream, halfClose: true, timeout: 20).text)
            #expect(many.count == 450 && many.allSatisfy { $0.status == 200 })
            let versions = many.compactMap { $0.headers["etag"].flatMap { Int($0.dropFirst().dropLast()) } }
            #expect(versions.count == 450)
            for round in 0..<min(150, versions.count / 3) {
                let (before, written, after) = (versions[3 * round], versions[3 * round + 1], versions[3 * round + 2])
                #expect(written == before + 1 && after == written, "round \(round): \(before) \(written) \(after)")
                #expect(many[3 * round + 2].body.contains(#""n":\#(round)"#), "round \(round)")
            }

            // Without chunked bodies the whole stream is framed on the bytes: the router's calls
            // (health checks) are handed to it one at a time between the fast path's, in order.
            var framed = ""
            for i in 0..<100 {
                framed += Self.get(a) + (i % 4 == 0 ? "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" : "")
                    + Self.patch(a, #"{"m":\#(i)}"#) + Self.get(a)
            }
            let all = Self.answers(RawPeer.unix(rig.socket, framed, halfClose: true, timeout: 20).text)
            #expect(all.count == 325 && all.allSatisfy { $0.status == 200 })
            #expect(all.filter { $0.body.contains(#""status":"ok""#) }.count == 25)
            let sessionAnswers = all.filter { $0.headers["etag"] != nil }
            let etags = sessionAnswers.compactMap { $0.headers["etag"].flatMap { Int($0.dropFirst().dropLast()) } }
            #expect(etags.count == 300)
            for round in 0..<min(100, etags.count / 3) {
                #expect(etags[3 * round + 1] == etags[3 * round] + 1 && etags[3 * round + 2] == etags[3 * round + 1], "round \(round)")
                #expect(sessionAnswers[3 * round + 2].body.contains(#""m":\#(round)"#), "round \(round)")
            }
            #expect(rig.serves)
        }

        /// Garbage pipelined behind a call of ours: our answer first, then the router's 400, then close.
        @Test func garbageBehindACallIsAnsweredAfterIt() throws {
            let rig = try Rig()
            let id = try #require(Self.create(rig))
            for tail in ["NOT HTTP AT ALL\r\n\r\n", "GET /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"] {
                let r = RawPeer.unix(rig.socket, Self.get(id) + Self.patch(id, #"{"n":1}"#) + tail, timeout: 5)
                #expect(r.statuses == [200, 200, 400], "\(r.text)")
                #expect(r.closed)
            }
            #expect(rig.storesSessions)
        }

        /// Calls answered on the bytes never reach Hummingbird's connection handler, so the session
        /// path keeps the idle timeout itself: a connection busy with session reads for three
        /// timeouts stays open, an idle one beside it is closed.
        @Test func theIdleTimeoutSeesCallsAnsweredOnTheBytes() async throws {
            let rig = try Rig(extra: ["--http-idle-timeout-ms", "1000"])
            let id = try #require(Self.create(rig))
            guard let busy = connectUnix(rig.socket), let idle = connectUnix(rig.socket) else { Issue.record("connect failed"); return }
            defer { close(busy); close(idle) }
            let request = Self.get(id)
            var answers = 0
            let start = Date()
            while Date().timeIntervalSince(start) < 3 {
                guard send(busy, request, request.utf8.count, Int32(MSG_NOSIGNAL)) == request.utf8.count else { break }
                var buffer = [UInt8](repeating: 0, count: 8192)
                let n = buffer.withUnsafeMutableBytes { recv(busy, $0.baseAddress, $0.count, 0) }
                guard n > 0, String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200") else { break }
                answers += 1
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(answers >= 12, "the busy connection stopped after \(answers) answers")
            #expect(!ConnectionLimitTests.closedByServer(busy))
            #expect(ConnectionLimitTests.closedByServer(idle), "an idle connection outlived three idle timeouts")
        }

        /// Sends `pipeline`'s `total` session reads reading nothing until the sidecar stops answering
        /// them (its metrics' count of 200s for the route stops moving): it must stop short of half;
        /// then reads, and every one of the `answers` expected must come.
        static func expectAnsweredOnlyAsRead(_ rig: Rig, _ pipeline: UnreadPipeline, total: Int, answers expected: Int) async throws {
            let served = try await pipeline.sendUntilServerStops {
                let metrics = RawPeer.unix(rig.socket, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").text
                return metrics.split(separator: "\n").first {
                    $0.hasPrefix("sessionmesh_http_requests_total{") && $0.contains(#"route="/v1/sessions/{id}""#)
                        && $0.contains(#"method="GET""#) && $0.contains(#"status="200""#)
                }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            }
            // Some are answered (the socket buffers take them), then it stops well short of all.
            #expect(served > 0 && served < total / 2, "\(served) of \(total) answered with none read: answers were queued in memory")
            let answers = try await pipeline.readAnswers(counting: "HTTP/1.1 200 OK", upTo: expected)
            #expect(pipeline.allSent && answers == expected, "\(answers) answers of \(expected)")
        }

        /// A client that pipelines reads and never reads the answers: the sidecar stops taking its
        /// requests once the answers back up (the socket is not writable), instead of queueing
        /// every answer in memory, and answers every request once the client reads. Both on the
        /// bytes and after a chunked request has sent the connection to NIO's decoder.
        @Test(arguments: [false, true]) func aClientThatDoesNotReadItsAnswersIsNotServedAhead(decoded: Bool) async throws {
            let rig = try Rig()
            let id = try #require(Self.create(rig))
            let total = 10_000
            let first = decoded ? Self.chunkedPatch(id, #"{"step":"flood"}"#) : ""
            let stream = Array((first + String(repeating: Self.get(id), count: total)).utf8)
            let pipeline = try #require(UnreadPipeline(socket: rig.socket, stream: stream))
            try await Self.expectAnsweredOnlyAsRead(rig, pipeline, total: total, answers: total + (decoded ? 1 : 0))
        }

        /// The same on the admin port (loopback TCP), where requests pass NIO's decoder and the
        /// part-level fast path: a client that never reads gets no more answers than the socket
        /// buffers and NIO's write watermark hold. Answers of ~8 KiB, so that 5,000 of them (40 MB)
        /// are far beyond what loopback TCP's buffers take.
        @Test func theAdminPortStopsServingAClientThatDoesNotRead() async throws {
            let port = freeLoopbackPort()
            let rig = try Rig(extra: ["--admin-bind", "127.0.0.1:\(port)"])
            let id = try #require(Self.create(rig, data: #"{"blob":"\#(String(repeating: "x", count: 8000))"}"#))
            let total = 5_000
            let get = "GET /v1/sessions/\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            let pipeline = try #require(UnreadPipeline(port: port, stream: Array(String(repeating: get, count: total).utf8)))
            try await Self.expectAnsweredOnlyAsRead(rig, pipeline, total: total, answers: total)
        }

        @Test func loopReadsAreCountedLikeTheRouters() throws {
            let rig = try Rig()
            let id = try #require(Self.create(rig))
            _ = RawPeer.unix(rig.socket, String(repeating: Self.get(id), count: 25), halfClose: true)
            _ = RawPeer.unix(rig.socket, String(repeating: Self.get(String(repeating: "C", count: 42) + "A"), count: 4), halfClose: true)
            _ = RawPeer.unix(rig.socket, Self.get(id, close: true))  // one the router answers, under the same label
            let metrics = RawPeer.unix(rig.socket, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").text
            func count(status: Int) -> Int? {
                metrics.split(separator: "\n").first {
                    $0.hasPrefix("sessionmesh_http_requests_total{") && $0.contains(#"route="/v1/sessions/{id}""#)
                        && $0.contains(#"method="GET""#) && $0.contains(#"status="\#(status)""#)
                }.flatMap { Int($0.split(separator: " ").last ?? "") }
            }
            #expect(count(status: 200) == 26, "\(metrics)")
            #expect(count(status: 404) == 4)
            #expect(metrics.contains(#"sessionmesh_session_misses_total{reason="expired_or_evicted"} 4"#))
        }

        @Test func aReadThatCannotKnowSays503AndNever404() throws {
            let rig = try Rig()
            let id = try #require(Self.create(rig))
            rig.memcached.kill()
            let answers = Self.answers(RawPeer.unix(rig.socket, Self.get(id) + Self.get(String(repeating: "D", count: 42) + "A"), halfClose: true).text)
            #expect(answers.map(\.status) == [503, 503])
            #expect(answers.allSatisfy { $0.headers["retry-after"] != nil && $0.body.contains("store_unavailable") })
            #expect(rig.serves)
        }
    }
}
