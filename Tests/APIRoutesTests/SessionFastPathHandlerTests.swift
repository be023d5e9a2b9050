import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Replication
import SessionCore
@testable import SidecarAPI
import Synchronization
import Testing
import TestDoubles

/// Store reads that wait until the test releases them, then complete on the test's thread (the
/// embedded event loop's thread): the handler's order rules are checked with a read still out.
final class HeldReadStorage: RecordStorage {
    let inner = InMemoryStorage()
    private let held = Mutex<[(key: String, completion: @Sendable (Result<LoadedRecord?, StoreUnavailable>) -> Void)]>([])

    func load(_ key: String) async throws(StoreUnavailable) -> LoadedRecord? { try await inner.load(key) }

    func load(_ key: String, completion: @escaping @Sendable (Result<LoadedRecord?, StoreUnavailable>) -> Void) {
        held.withLock { $0.append((key, completion)) }
    }

    func write(_ record: Record, key: String, expected: LoadedRecord?) async throws(StoreUnavailable) -> WriteOutcome {
        try await inner.write(record, key: key, expected: expected)
    }

    var heldReads: Int { held.withLock { $0.count } }

    /// Answers every held read from the in-memory records.
    func releaseReads() {
        let reads = held.withLock { h in defer { h.removeAll() }; return h }
        for read in reads {
            read.completion(.success(inner.stored.withLock { $0[read.key].map { LoadedRecord(record: $0, token: ReadToken(copies: [])) } }))
        }
    }
}

/// Records the user events that get past the handler (a half-close).
final class EventRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    var inputClosed = 0
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent { inputClosed += 1 }
        context.fireUserInboundEventTriggered(event)
    }
}

/// `SessionFastPathHandler` on an embedded channel: which calls it answers, that it answers them
/// without passing them to the router, and that a half-close waits for its answer. (Answer order
/// around the router's comes from NIO's `HTTPServerPipelineHandler` in front of it; the live
/// `SessionFastPathTests` check it on a real sidecar.)
@Suite struct SessionFastPathHandlerTests {
    let storage = HeldReadStorage()
    let now: Int64 = 1_764_000_000_000
    let id = SessionID.random()
    let channel: EmbeddedChannel
    let recorder = EventRecorder()

    init() throws {
        let t = now
        let manager = SessionManager(storage: storage, policy: SessionPolicy(idleTimeout: 900_000, absoluteTimeout: 3_600_000),
                                     now: { t })
        let routes = APIRoutes(sessions: manager,
                               tokens: TokenService(sealer: TokenSealer(keyring: try SessionKeyring(text: SessionKeyring.generateKey())),
                                                    storage: storage, maxTTL: 3_600_000, now: { t }),
                               idempotency: IdempotencyService(storage: storage, retention: 86_400_000, now: { t }), maxBodyBytes: 4096)
        let session = SessionRecord(version: 1, createdAt: now, lastAccessAt: now, idleTimeout: 900_000,
                                    absoluteExpiresAt: now + 3_600_000, writeID: 7, data: Array(#"{"cart":["sku-1"]}"#.utf8))
        let key = id.storageKey
        storage.inner.stored.withLock { $0[key] = session.record }
        let loop = EmbeddedEventLoop()
        channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers([
            routes.sessionFastPath(serverName: "sessionmesh", logger: Logger(label: "test")).handler(on: loop), recorder,
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()  // active: answers are written
    }

    func request(_ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields = [:]) -> HTTPRequestPart {
        .head(HTTPRequest(method: method, scheme: nil, authority: "x", path: path, headerFields: fields))
    }

    /// The answers written so far: (status, ETag, body).
    func answers() throws -> [(status: Int, etag: String?, body: String)] {
        var out: [(Int, String?, String)] = []
        var current: (Int, String?)?
        var body = ""
        while let part = try channel.readOutbound(as: HTTPResponsePart.self) {
            switch part {
            case .head(let head): current = (head.status.code, head.headerFields[.eTag]); body = ""
            case .body(let buffer): body += String(buffer: buffer)
            case .end: if let c = current { out.append((c.0, c.1, body)) }
            }
        }
        return out
    }

    /// What reached the router, in order, as short names.
    func passedOn() throws -> [String] {
        var out: [String] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            switch part {
            case .head(let r): out.append("\(r.method.rawValue) \(r.path ?? "")")
            case .body: out.append("body")
            case .end: out.append("end")
            }
        }
        return out
    }

    @Test func aReadIsAnsweredWithoutReachingTheRouter() throws {
        try channel.writeInbound(request(.get, "/v1/sessions/\(id.rawValue)"))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try passedOn().isEmpty)
        #expect(storage.heldReads == 1)
        #expect(try answers().isEmpty)
        storage.releaseReads()
        channel.embeddedEventLoop.run()
        let written = try answers()
        #expect(written.count == 1 && written.first?.status == 200 && written.first?.etag == "\"1\"")
        #expect(written.first?.body.contains(#""data":{"cart":["sku-1"]}"#) == true)
        #expect(try passedOn().isEmpty)
    }

    @Test func aHalfCloseWaitsForTheAnswer() throws {
        try channel.writeInbound(request(.get, "/v1/sessions/\(id.rawValue)"))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(recorder.inputClosed == 0)
        storage.releaseReads()
        channel.embeddedEventLoop.run()
        #expect(try answers().map(\.status) == [200])
        #expect(recorder.inputClosed == 1)
    }

    @Test func aMergePatchIsCollectedAppliedAndAnswered() throws {
        try channel.writeInbound(request(.patch, "/v1/sessions/\(id.rawValue)",
                                         [.contentType: "application/merge-patch+json", .contentLength: "16", .ifMatch: "\"1\""]))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: #"{"step":"#)))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: #""3ds"}"#)))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(try passedOn().isEmpty)
        var written: [(status: Int, etag: String?, body: String)] = []
        for _ in 0..<1000 where written.isEmpty {
            channel.embeddedEventLoop.run()
            storage.releaseReads()
            written = try answers()
        }
        #expect(written.map(\.status) == [200] && written.first?.etag == "\"2\"")
        #expect(written.first?.body.contains(#""data":{"cart":["sku-1"],"step":"3ds"}"#) == true)
    }

    @Test func onlyPlainSessionReadsAndMergePatchesAreTaken() {
        let path = "/v1/sessions/\(id.rawValue)"
        let patchFields: HTTPFields = [.contentType: "application/merge-patch+json", .contentLength: "10"]
        func call(_ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields = [:]) -> SessionFastPathHandler.Call? {
            SessionFastPathHandler.call(HTTPRequest(method: method, scheme: nil, authority: "x", path: path, headerFields: fields), maxBodyBytes: 4096)
        }
        #expect(call(.get, path) == .read(id))
        #expect(call(.get, path + "?fields=all") == .read(id))
        #expect(call(.patch, path, patchFields) == .patch(id, ifMatch: nil, length: 10))
        var withMatch = patchFields
        withMatch[.ifMatch] = "W/\"4\""
        #expect(call(.patch, path, withMatch) == .patch(id, ifMatch: 4, length: 10))
        withMatch[.ifMatch] = "*"
        #expect(call(.patch, path, withMatch) == .patch(id, ifMatch: nil, length: 10))
        // The router's: other methods and routes, ill-formed ids or If-Match, bodies on a read,
        // chunked or oversized bodies, other media types, Expect and Connection.
        #expect(call(.head, path) == nil)
        #expect(call(.put, path, patchFields) == nil)
        #expect(call(.get, "/v1/sessions/short") == nil)
        #expect(call(.post, path + "/rotate") == nil)
        #expect(call(.get, path + "/rotate") == nil)
        #expect(call(.get, path, [.contentLength: "3"]) == nil)
        #expect(call(.get, path, [.connection: "close"]) == nil)
        withMatch[.ifMatch] = "\"seven\""
        #expect(call(.patch, path, withMatch) == nil)
        #expect(call(.patch, path, [.contentType: "application/json", .contentLength: "10"]) == nil)
        #expect(call(.patch, path, [.contentType: "application/merge-patch+json", .transferEncoding: "chunked"]) == nil)
        #expect(call(.patch, path, [.contentType: "application/merge-patch+json"]) == .patch(id, ifMatch: nil, length: 0))  // no body: the parse says 400
        #expect(call(.patch, path, [.contentType: "application/merge-patch+json", .contentLength: "4097"]) == nil)
        #expect(call(.patch, path, [.contentType: "application/merge-patch+json", .contentLength: "10", .expect: "100-continue"]) == nil)
    }
}
