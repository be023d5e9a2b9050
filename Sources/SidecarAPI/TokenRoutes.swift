import Hummingbird
import NIOCore
import SessionCore

/// Sealed cookie tokens on `/v1/tokens`: issue, open, revoke, refresh.
public struct TokenRoutes<Context: RequestContext>: Sendable {
    let tokens: TokenService
    let maxBodyBytes: Int

    public init(tokens: TokenService, maxBodyBytes: Int) {
        self.tokens = tokens
        self.maxBodyBytes = maxBodyBytes
    }

    public func register(on router: Router<Context>) {
        let group = router.group("v1/tokens")
        group.post(use: issue)
        group.post("open", use: open)
        group.post("revoke", use: revoke)
        group.post("refresh", use: refresh)
    }

    @Sendable func issue(_ request: Request, context: Context) async throws -> Response {
        let body = try await jsonBody(request)
        guard let data = body["data"] else { throw SessionError.unprocessable("body must have a \"data\" object") }
        guard let ttl = try RequestParsing.optionalSeconds(body, "ttl") else { throw SessionError.unprocessable("body must have \"ttl\" in seconds") }
        let (token, contents) = try tokens.issue(data: data, ttlSeconds: ttl)
        return Self.issued(token, contents)
    }

    @Sendable func open(_ request: Request, context: Context) async throws -> Response {
        let contents = try await tokens.open(try await token(request))
        var out = [UInt8]()
        out += #"{"data":"#.utf8
        out += contents.data
        out += #","id":""#.utf8
        out += contents.idText.utf8
        Self.times(contents, into: &out)
        return OperationsRoutes<Context>.json(.ok, out)
    }

    @Sendable func revoke(_ request: Request, context: Context) async throws -> Response {
        try await tokens.revoke(try await token(request))
        return Response(status: .noContent)
    }

    @Sendable func refresh(_ request: Request, context: Context) async throws -> Response {
        let (token, contents) = try await tokens.refresh(try await token(request))
        return Self.issued(token, contents)
    }

    private func jsonBody(_ request: Request) async throws -> [String: JSONValue] {
        try RequestParsing.requireMediaType(request, ["application/json"])
        return try await RequestParsing.jsonObject(request, limit: maxBodyBytes)
    }

    private func token(_ request: Request) async throws -> String {
        guard case .string(let token)? = try await jsonBody(request)["token"] else {
            throw SessionError.unprocessable("body must have a \"token\" string")
        }
        return token
    }

    static func issued(_ token: String, _ contents: TokenSealer.Contents) -> Response {
        var out = [UInt8]()
        out += #"{"token":""#.utf8
        out += token.utf8
        out += #"","id":""#.utf8
        out += contents.idText.utf8
        times(contents, into: &out)
        return OperationsRoutes<Context>.json(.created, out)
    }

    /// `","issuedAt":"…","expiresAt":"…"}`: closes the object.
    static func times(_ contents: TokenSealer.Contents, into out: inout [UInt8]) {
        out += #"","issuedAt":""#.utf8
        Timestamp.append(milliseconds: contents.issuedAt, to: &out)
        out += #"","expiresAt":""#.utf8
        Timestamp.append(milliseconds: contents.expiresAt, to: &out)
        out += #""}"#.utf8
    }
}
