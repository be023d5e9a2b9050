import Hummingbird
import NIOCore
import SessionCore

/// Idempotency keys on `/v1/idempotency/{key}`: reserve (POST) and complete (PUT).
public struct IdempotencyRoutes<Context: RequestContext>: Sendable {
    let keys: IdempotencyService
    let maxBodyBytes: Int

    public init(keys: IdempotencyService, maxBodyBytes: Int) {
        self.keys = keys
        self.maxBodyBytes = maxBodyBytes
    }

    public func register(on router: Router<Context>) {
        let group = router.group("v1/idempotency")
        group.post(":key", use: reserve)
        group.put(":key", use: complete)
    }

    @Sendable func reserve(_ request: Request, context: Context) async throws -> Response {
        let key = try Self.key(context)
        let body = try await jsonBody(request)
        guard case .string(let fingerprint)? = body["fingerprint"] else {
            throw SessionError.unprocessable("body must have a \"fingerprint\" string")
        }
        let lease = try RequestParsing.optionalSeconds(body, "leaseSeconds") ?? 30
        switch try await keys.reserve(key: key, fingerprint: fingerprint, leaseSeconds: lease) {
        case .started(let fence, let leaseExpiresAt):
            var out = Array(#"{"state":"started","fence":"#.utf8)
            out += String(fence).utf8
            out += #","leaseExpiresAt":""#.utf8
            Timestamp.append(milliseconds: leaseExpiresAt, to: &out)
            out += #""}"#.utf8
            return OperationsRoutes<Context>.json(.created, out)
        case .completed(let response):
            let json = JSONValue.object([
                "state": .string("completed"),
                "response": .object([
                    "status": .int(Int64(response.status)), "body": .string(response.body),
                    "headers": .object(Dictionary(response.headers.map { ($0.0, .string($0.1)) }, uniquingKeysWith: { $1 })),
                ]),
            ])
            return OperationsRoutes<Context>.json(.ok, json.serialized())
        }
    }

    @Sendable func complete(_ request: Request, context: Context) async throws -> Response {
        let key = try Self.key(context)
        let body = try await jsonBody(request)
        guard let fence = body["fence"]?.integer, fence >= 0 else { throw SessionError.unprocessable("body must have \"fence\", a non-negative integer") }
        guard let status = body["status"]?.integer, (100...599).contains(status) else {
            throw SessionError.unprocessable("body must have \"status\", an HTTP status code")
        }
        guard case .string(let responseBody)? = body["body"] ?? .string("") else { throw SessionError.unprocessable("\"body\" must be a string") }
        var headers = [(String, String)]()
        switch body["headers"] {
        case nil, .null?: break
        case .object(let members)?:
            for name in members.keys.sorted() {
                guard case .string(let value)? = members[name] else { throw SessionError.unprocessable("header values must be strings") }
                headers.append((name, value))
            }
        default: throw SessionError.unprocessable("\"headers\" must be an object of strings")
        }
        try await keys.complete(key: key, fence: UInt64(fence),
                                response: .init(status: Int(status), headers: headers, body: responseBody))
        return Response(status: .noContent)
    }

    private func jsonBody(_ request: Request) async throws -> [String: JSONValue] {
        try RequestParsing.requireMediaType(request, ["application/json"])
        return try await RequestParsing.jsonObject(request, limit: maxBodyBytes)
    }

    static func key(_ context: Context) throws(IdempotencyError) -> String {
        let key = context.parameters.get("key") ?? ""
        try IdempotencyService.validate(key: key)
        return key
    }
}
