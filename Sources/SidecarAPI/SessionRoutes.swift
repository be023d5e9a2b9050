import Hummingbird
import NIOCore
import SessionCore

/// The session calls of brief §3 on `/v1/sessions`.
public struct SessionRoutes<Context: RequestContext>: Sendable {
    let manager: SessionManager
    let maxBodyBytes: Int
    let activity: SessionActivity

    public init(manager: SessionManager, maxBodyBytes: Int, activity: SessionActivity = SessionActivity()) {
        self.manager = manager
        self.maxBodyBytes = maxBodyBytes
        self.activity = activity
    }

    public func register(on router: Router<Context>) {
        let sessions = router.group("v1/sessions")
        sessions.post(use: create)
        sessions.get(":id", use: read)
        sessions.put(":id", use: replace)
        sessions.patch(":id", use: patch)
        sessions.delete(":id", use: delete)
        sessions.post(":id/rotate", use: rotate)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        try RequestParsing.requireMediaType(request, ["application/json"])
        let body = try await RequestParsing.jsonObject(request, limit: maxBodyBytes)
        let data = body["data"] ?? .object([:])
        let view = try await manager.create(
            data: data,
            idleSeconds: try RequestParsing.optionalSeconds(body, "idleTimeout"),
            absoluteSeconds: try RequestParsing.optionalSeconds(body, "absoluteTimeout")
        )
        return respond(view, status: .created, location: true)
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Response {
        let view = try await manager.read(try RequestParsing.sessionID(context))
        return respond(view, status: .ok)
    }

    @Sendable func replace(_ request: Request, context: Context) async throws -> Response {
        let id = try RequestParsing.sessionID(context)
        guard case .some(let version?) = try RequestParsing.ifMatch(request) else {
            throw APIError(.preconditionRequired, "if_match_required", "PUT replaces data only with If-Match: \"<version>\"")
        }
        try RequestParsing.requireMediaType(request, ["application/json"])
        let body = try await RequestParsing.jsonObject(request, limit: maxBodyBytes)
        guard let data = body["data"] else { throw SessionError.unprocessable("body must have a \"data\" object") }
        return respond(try await manager.replace(id, data: data, ifMatch: version), status: .ok)
    }

    @Sendable func patch(_ request: Request, context: Context) async throws -> Response {
        let id = try RequestParsing.sessionID(context)
        let ifMatch = try RequestParsing.ifMatch(request) ?? nil
        try RequestParsing.requireMediaType(request, ["application/merge-patch+json"])
        let body = try await RequestParsing.jsonObject(request, limit: maxBodyBytes)
        return respond(try await manager.patch(id, patch: .object(body), ifMatch: ifMatch), status: .ok)
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let id = try RequestParsing.sessionID(context)
        try await manager.delete(id, ifMatch: try RequestParsing.ifMatch(request) ?? nil)
        activity.forget(id)
        return Response(status: .noContent)
    }

    @Sendable func rotate(_ request: Request, context: Context) async throws -> Response {
        let old = try RequestParsing.sessionID(context)
        let view = try await manager.rotate(old)
        activity.forget(old)
        return respond(view, status: .created, location: true)
    }

    /// Counts the session as served by this host (Sᵢ) and renders it.
    private func respond(_ view: SessionView, status: HTTPResponse.Status, location: Bool = false) -> Response {
        activity.touch(view.id, now: view.record.lastAccessAt)
        return Self.sessionResponse(view, status: status, location: location)
    }

    static func sessionResponse(_ view: SessionView, status: HTTPResponse.Status, location: Bool = false) -> Response {
        Response(status: status, headers: view.responseHeaders(location: location), body: .init(byteBuffer: ByteBuffer(bytes: view.json())))
    }
}

extension SessionView {
    /// The headers of a session answer (its body is `json()`).
    func responseHeaders(location: Bool = false) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json", .eTag: "\"\(record.version)\"", .cacheControl: "no-store"]
        if location { headers[.location] = "/v1/sessions/\(id.rawValue)" }
        return headers
    }
}
