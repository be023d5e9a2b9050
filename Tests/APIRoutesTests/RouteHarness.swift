import Hummingbird
import HummingbirdTesting
import NIOCore
import Replication
import SessionCore
import SidecarAPI
import Synchronization
import TestDoubles

/// One sidecar's API router over an in-memory store and a manual clock, run in process: no
/// socket, no store process, no sidecar process.
struct RouteHarness: Sendable {
    let storage: InMemoryStorage
    let clock: ManualClock
    let routes: APIRoutes

    /// The live tests' limits: 4 KiB bodies; session data up to 1 KiB here, so both 413s are reachable.
    static let maxBodyBytes = 4096
    static let maxDataBytes = 1024

    init() throws {
        let storage = InMemoryStorage(), clock = ManualClock()
        let now: @Sendable () -> Int64 = { clock.now }
        let keyring = try SessionKeyring(text: SessionKeyring.generateKey())
        let policy = SessionPolicy(idleTimeout: 900_000, absoluteTimeout: 8 * 3_600_000, maxDataBytes: Self.maxDataBytes)
        self.storage = storage
        self.clock = clock
        routes = APIRoutes(
            sessions: SessionManager(storage: storage, policy: policy, now: now, maxRetries: 3),
            tokens: TokenService(sealer: TokenSealer(keyring: keyring), storage: storage, maxTTL: policy.absoluteTimeout, now: now),
            idempotency: IdempotencyService(storage: storage, retention: 86_400_000, now: now),
            maxBodyBytes: Self.maxBodyBytes
        )
    }

    /// Runs `test` against the router under HummingbirdTesting's `.router` framework.
    func test<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await Application(router: routes.buildRouter()).test(.router, test)
    }

    /// How many records the store holds (sessions, tombstones, tokens' revocations, keys).
    var recordCount: Int { storage.stored.withLock { $0.count } }
}

/// Request headers the tests use.
enum Headers {
    static let json: HTTPFields = [.contentType: "application/json"]
    static let mergePatch: HTTPFields = [.contentType: "application/merge-patch+json"]

    static func json(ifMatch: String) -> HTTPFields { [.contentType: "application/json", .ifMatch: ifMatch] }
    static func mergePatch(ifMatch: String) -> HTTPFields { [.contentType: "application/merge-patch+json", .ifMatch: ifMatch] }
}

extension TestClientProtocol {
    /// Sends `body` (UTF-8) with `headers`.
    func send(_ method: HTTPRequest.Method, _ uri: String, _ headers: HTTPFields = [:], _ body: String? = nil) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Creates a session holding `data` and returns its id; fails the test unless it was a 201.
    func createSession(_ data: String = #"{"user":"alice"}"#) async throws -> String {
        let r = try await send(.post, "/v1/sessions", Headers.json, #"{"data":"# + data + "}")
        guard r.status == .created, case .string(let id)? = r.object["id"] else {
            throw HarnessError("create answered \(r.status): \(r.text)")
        }
        return id
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object (empty when it is not one).
    var object: [String: JSONValue] {
        guard case .object(let members)? = try? JSONValue.parse(Array(buffer: body)) else { return [:] }
        return members
    }

    /// `error.code` of the API's error shape.
    var errorCode: String? {
        guard case .object(let error)? = object["error"], case .string(let code)? = error["code"] else { return nil }
        return code
    }

    /// `error.message` of the API's error shape.
    var errorMessage: String? {
        guard case .object(let error)? = object["error"], case .string(let message)? = error["message"] else { return nil }
        return message
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A well-formed session id that names no session.
let unknownID = String(repeating: "A", count: 43)
