import Hummingbird
import NIOCore
import NIOHTTP1
import SessionCore

/// The one error shape of the API: `{"error":{"code","message"}}` with a precise status.
public struct APIError: Error, HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public init(_ error: SessionError) {
        switch error {
        case .badRequest(let m): self.init(.badRequest, "bad_request", m)
        case .notFound:
            self.init(.notFound, "expired_or_evicted", "no such session: it expired, was evicted from the store, or never existed")
        case .loggedOut: self.init(.notFound, "logged_out", "this session was logged out (deleted or rotated)")
        case .preconditionFailed(let v):
            self.init(.preconditionFailed, "version_mismatch", "If-Match does not match the current version \(v)",
                      headers: [.eTag: "\"\(v)\""])
        case .conflict(let m): self.init(.conflict, "conflict", m)
        case .payloadTooLarge(let limit): self.init(.contentTooLarge, "payload_too_large", "body exceeds \(limit) bytes")
        case .unsupportedMediaType(let m): self.init(.unsupportedMediaType, "unsupported_media_type", m)
        case .unprocessable(let m): self.init(.unprocessableContent, "unprocessable", m)
        case .unavailable(let m, let retry):
            self.init(.serviceUnavailable, "store_unavailable", m, headers: [.retryAfter: String(retry)])
        }
    }

    public init(_ error: TokenError) {
        switch error {
        case .malformed: self.init(.unauthorized, "token_malformed", "not a token (bad base64url, length or format)")
        case .tampered: self.init(.unauthorized, "token_tampered", "the token does not authenticate: altered, truncated or forged")
        case .unknownKey: self.init(.unauthorized, "token_unknown_key", "the token was sealed under a key this sidecar does not have")
        case .expired: self.init(.unauthorized, "token_expired", "the token has expired")
        case .revoked: self.init(.unauthorized, "token_revoked", "the token was revoked")
        case .tooLarge(let limit): self.init(.contentTooLarge, "token_too_large", "token data is limited to \(limit) bytes (a 4 KiB token)")
        }
    }

    public init(_ error: IdempotencyError) {
        switch error {
        case .badKey(let m): self.init(.badRequest, "bad_idempotency_key", m)
        case .inProgress(let retry):
            self.init(.conflict, "idempotency_in_progress", "another request holds this key; retry after its lease",
                      headers: [.retryAfter: String(retry)])
        case .fingerprintMismatch: self.init(.unprocessableContent, "idempotency_fingerprint_mismatch", "this key was used with another payload")
        case .staleFence(let current): self.init(.conflict, "stale_fence", "this key was taken over (fence \(current)); the completion is refused")
        case .alreadyCompleted: self.init(.conflict, "idempotency_already_completed", "this key already holds another response")
        case .notReserved: self.init(.notFound, "idempotency_not_reserved", "no live reservation of this key")
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: responseHeaders, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The answer's headers (its own plus the JSON content type) and body.
    var responseHeaders: HTTPFields {
        var fields = headers
        fields[.contentType] = "application/json"
        return fields
    }

    var body: [UInt8] { Self.body(code: code, message: message) }

    /// A truncated body or a bad chunk: the client's fault, and the stream cannot go on.
    static func malformedBody(_ error: any Error) -> APIError {
        APIError(.badRequest, "bad_request", "malformed request body (\(error))", headers: [.connection: "close"])
    }

    static func body(code: String, message: String) -> [UInt8] {
        JSONValue.object(["error": .object(["code": .string(code), "message": .string(message)])]).serialized()
    }
}

/// Turns every error escaping a handler (ours, Hummingbird's routing 404/405, NIO's too-many-bytes)
/// into the API's JSON error shape.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int
    let misses: SessionMissReporter
    public init(maxBodyBytes: Int) { self.init(maxBodyBytes: maxBodyBytes, misses: SessionMissReporter()) }
    init(maxBodyBytes: Int, misses: SessionMissReporter) {
        self.maxBodyBytes = maxBodyBytes
        self.misses = misses
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Decided from the head alone, before any body byte is read; the connection is closed
        // after the answer, so an unread body cannot be taken for the next request.
        if let coding = request.headers[.transferEncoding],
           coding.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) != ["chunked"] {
            throw APIError(.notImplemented, "unsupported_transfer_encoding",
                           "Transfer-Encoding '\(coding)' is not supported (only chunked)", headers: [.connection: "close"])
        }
        if let text = request.headers[.contentLength] {
            guard let length = Int(text.trimmingCharacters(in: .whitespaces)), length >= 0 else {
                throw APIError(.badRequest, "bad_request", "Content-Length must be a number", headers: [.connection: "close"])
            }
            if length > maxBodyBytes {
                throw APIError(.contentTooLarge, "payload_too_large", "body exceeds \(maxBodyBytes) bytes", headers: [.connection: "close"])
            }
        }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as SessionError {
            misses.report(error, logger: context.logger)
            throw APIError(error)
        } catch let error as TokenError {
            throw APIError(error)
        } catch let error as IdempotencyError {
            throw APIError(error)
        } catch is NIOTooManyBytesError {
            var error = APIError(.payloadTooLarge(limit: maxBodyBytes))
            error.headers[.connection] = "close"
            throw error
        } catch let error as HTTPParserError {
            throw APIError.malformedBody(error)
        } catch let error as HTTPResponseError {
            let code = error.status == .notFound ? "no_route" : error.status == .methodNotAllowed ? "method_not_allowed" : "http_error"
            throw APIError(error.status, code, error.status.reasonPhrase)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "internal", "internal error")
        }
    }
}
