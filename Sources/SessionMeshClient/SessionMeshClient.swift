import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A session as the sidecar returns it, with `data` decoded as `T`.
public struct Session<T: Sendable>: Sendable {
    public var id: String
    public var version: UInt64
    public var data: T
    public var createdAt: String
    public var lastAccessAt: String
    public var idleExpiresAt: String
    public var absoluteExpiresAt: String
}

/// Client for the SessionMesh sidecar's Unix-socket API: HTTP/1.1 + JSON, keep-alive
/// connections reused across calls, a timeout on every call, typed errors.
public final class SessionMeshClient: Sendable {
    private let pool: ConnectionPool
    public let timeout: TimeAmount

    public init(socketPath: String, maxConnections: Int = 16, timeout: TimeAmount = .seconds(5),
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        pool = ConnectionPool(socketPath: socketPath, maxConnections: maxConnections, group: eventLoopGroup)
        self.timeout = timeout
    }

    deinit { pool.close() }

    // MARK: Sessions

    public func create<T: Codable & Sendable>(_ data: T, idleTimeout: Int? = nil, absoluteTimeout: Int? = nil) async throws -> Session<T> {
        let body = CreateBody(data: data, idleTimeout: idleTimeout, absoluteTimeout: absoluteTimeout)
        return try await session(.POST, "/v1/sessions", body: try JSONEncoder().encode(body), contentType: "application/json", expect: 201)
    }

    public func get<T: Decodable & Sendable>(_ id: String, as type: T.Type = T.self) async throws -> Session<T> {
        try await session(.GET, "/v1/sessions/\(id)", expect: 200)
    }

    /// Replaces `data` if the session is still at `ifMatch` (412 → `.versionMismatch`).
    public func replace<T: Codable & Sendable>(_ id: String, data: T, ifMatch: UInt64) async throws -> Session<T> {
        try await session(.PUT, "/v1/sessions/\(id)", body: try JSONEncoder().encode(ReplaceBody(data: data)),
                          contentType: "application/json", ifMatch: ifMatch, expect: 200)
    }

    /// RFC 7396 merge patch of `data`. Without `ifMatch` the sidecar applies it atomically.
    public func patch<T: Decodable & Sendable>(_ id: String, _ patch: some Encodable, ifMatch: UInt64? = nil, as type: T.Type = T.self) async throws -> Session<T> {
        try await session(.PATCH, "/v1/sessions/\(id)", body: try JSONEncoder().encode(patch),
                          contentType: "application/merge-patch+json", ifMatch: ifMatch, expect: 200)
    }

    /// Read-modify-write with CAS: reads the session, asks `makePatch` for a merge patch based
    /// on the current data, sends it with `If-Match`, and starts over on a version conflict.
    public func update<T: Decodable & Sendable, P: Encodable>(
        _ id: String, as type: T.Type = T.self, maxAttempts: Int = 1000, _ makePatch: (T) throws -> P
    ) async throws -> Session<T> {
        for attempt in 0..<maxAttempts {
            let current: Session<T> = try await get(id)
            do {
                return try await patch(id, try makePatch(current.data), ifMatch: current.version)
            } catch SessionMeshError.versionMismatch {
                // Back off a little, with jitter, so contending writers spread out.
                let cap = min(20, 1 << min(attempt, 5))
                try await Task.sleep(nanoseconds: UInt64.random(in: 0...UInt64(cap) * 1_000_000))
            }
        }
        throw SessionMeshError.versionMismatch(currentVersion: nil)
    }

    public func delete(_ id: String) async throws {
        let response = try await send(.DELETE, "/v1/sessions/\(id)")
        guard response.status == 204 else { throw Self.error(from: response) }
    }

    /// New id for the same session (do this at login); the old id stops working.
    public func rotate<T: Decodable & Sendable>(_ id: String, as type: T.Type = T.self) async throws -> Session<T> {
        try await session(.POST, "/v1/sessions/\(id)/rotate", expect: 201)
    }

    // MARK: Mesh and routing

    /// A routing decision from `GET /v1/route`: where to send the next request.
    public struct Route: Decodable, Sendable, Equatable {
        public var node: String
        public var appAddress: String?
        public var weight: Double
        public var policy: String
        public var reason: String
    }

    /// Asks the sidecar where a request should go (`policy`: round-robin, random, swrr,
    /// least-connections, least-response-time, p2c, mesh; `key`: a session id for affinity).
    public func route(policy: String = "mesh", key: String? = nil) async throws -> Route {
        var path = "/v1/route?policy=\(policy)"
        if let key, let escaped = key.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { path += "&key=\(escaped)" }
        let response = try await send(.GET, path)
        guard response.status == 200 else { throw Self.error(from: response) }
        do { return try JSONDecoder().decode(Route.self, from: Data(response.body)) } catch {
            throw SessionMeshError.badResponse("cannot decode route: \(error)")
        }
    }

    /// The mesh view (`GET /v1/mesh`) as raw JSON.
    public func mesh() async throws -> [String: Any] {
        let response = try await send(.GET, "/v1/mesh")
        guard response.status == 200, let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw Self.error(from: response)
        }
        return json
    }

    // MARK: Raw HTTP

    /// Sends one request and returns the whole response.
    public func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> SidecarHTTPResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "sessionmesh")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        // Always a Content-Length (0 without a body): NIO would otherwise send a bodiless POST chunked.
        head.headers.add(name: "Content-Length", value: String(body?.count ?? 0))
        let request = (head: head, body: body.map { ByteBuffer(bytes: $0) })
        do {
            return try await exchange(request)
        } catch is ConnectionClosedBeforeRequest {
            // The pooled connection had been closed by the sidecar; nothing was sent. Once more, on a new one.
            return try await exchange(request)
        }
    }

    private func exchange(_ request: (head: HTTPRequestHead, body: ByteBuffer?)) async throws -> SidecarHTTPResponse {
        let timeout = self.timeout
        return try await pool.withConnection { channel in
            let promise = channel.eventLoop.makePromise(of: SidecarHTTPResponse.self)
            let timer = channel.eventLoop.scheduleTask(in: timeout) {
                promise.fail(SessionMeshError.timeout)
                channel.close(promise: nil)
            }
            defer { timer.cancel() }
            // Written to a channel already torn down, the request never reaches the collector: fail it here.
            channel.writeAndFlush(PendingRequest(head: request.head, body: request.body, promise: promise))
                .whenFailure { promise.fail(ResponseCollector.writeFailure($0)) }
            let response = try await promise.futureResult.get()
            // The sidecar closes after a response marked `Connection: close` (413 before the body,
            // 501, 400 for a bad body): that connection goes back to no one.
            if response.header("connection")?.lowercased() == "close" { try? await channel.close() }
            return response
        }
    }

    // MARK: Helpers

    private func session<T: Decodable & Sendable>(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil, ifMatch: UInt64? = nil, expect: Int
    ) async throws -> Session<T> {
        var headers = [(String, String)]()
        if let contentType { headers.append(("Content-Type", contentType)) }
        if let ifMatch { headers.append(("If-Match", "\"\(ifMatch)\"")) }
        let response = try await send(method, path, headers: headers, body: body.map { Array($0) })
        guard response.status == expect else { throw Self.error(from: response) }
        do {
            let e = try JSONDecoder().decode(Envelope<T>.self, from: Data(response.body))
            return Session(id: e.id, version: e.version, data: e.data, createdAt: e.createdAt, lastAccessAt: e.lastAccessAt,
                           idleExpiresAt: e.idleExpiresAt, absoluteExpiresAt: e.absoluteExpiresAt)
        } catch {
            throw SessionMeshError.badResponse("cannot decode session: \(error)")
        }
    }

    static func error(from response: SidecarHTTPResponse) -> SessionMeshError {
        let detail = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(response.body))
        let code = detail?.error.code ?? "unknown", message = detail?.error.message ?? ""
        switch response.status {
        case 404: return .notFound
        case 412:
            let etag = response.header("ETag")?.trimmingCharacters(in: CharacterSet(charactersIn: "\"W/"))
            return .versionMismatch(currentVersion: etag.flatMap { UInt64($0) })
        case 413: return .payloadTooLarge
        case 503: return .unavailable(retryAfterSeconds: response.header("Retry-After").flatMap { Int($0) }, message: message)
        default: return .http(status: response.status, code: code, message: message)
        }
    }

    private struct CreateBody<T: Encodable>: Encodable {
        var data: T
        var idleTimeout: Int?
        var absoluteTimeout: Int?
    }
    private struct ReplaceBody<T: Encodable>: Encodable { var data: T }
    private struct Envelope<T: Decodable>: Decodable {
        var id: String
        var version: UInt64
        var data: T
        var createdAt: String
        var lastAccessAt: String
        var idleExpiresAt: String
        var absoluteExpiresAt: String
    }
    private struct ErrorEnvelope: Decodable {
        struct Detail: Decodable { var code: String; var message: String }
        var error: Detail
    }
}
