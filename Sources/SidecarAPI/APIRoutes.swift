import Hummingbird
import Logging
import SessionCore

/// The application calls of the API (sessions, tokens, idempotency keys) on one router, behind
/// the API's middleware: request metrics and this host's load counters first, then the one JSON
/// error shape with its gates on the request head (Content-Length, Transfer-Encoding).
///
/// The sidecar adds its mesh and operations routes to the router and serves it on the Unix
/// socket; tests run it in process under HummingbirdTesting (`Application(router:)`,
/// `app.test(.router)`) over an in-memory store.
public struct APIRoutes: Sendable {
    public var sessions: SessionManager
    public var tokens: TokenService
    public var idempotency: IdempotencyService
    /// Largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int
    public var load: LoadCounters { metrics.load }
    public var activity: SessionActivity
    let metrics: RequestMetrics
    let misses = SessionMissReporter()

    public init(sessions: SessionManager, tokens: TokenService, idempotency: IdempotencyService, maxBodyBytes: Int,
                load: LoadCounters = LoadCounters(), activity: SessionActivity = SessionActivity()) {
        self.sessions = sessions
        self.tokens = tokens
        self.idempotency = idempotency
        self.maxBodyBytes = maxBodyBytes
        self.metrics = RequestMetrics(load: load)
        self.activity = activity
    }

    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(maxBodyBytes: maxBodyBytes, misses: misses))
        SessionRoutes(manager: sessions, maxBodyBytes: maxBodyBytes, activity: activity).register(on: router)
        TokenRoutes(tokens: tokens, maxBodyBytes: maxBodyBytes).register(on: router)
        IdempotencyRoutes(keys: idempotency, maxBodyBytes: maxBodyBytes).register(on: router)
        return router
    }

    /// `GET` and `PATCH /v1/sessions/{id}` answered in front of this router on the same HTTP/1.1
    /// connection, without its per-request machinery (`SessionFastPath`); the server installs its
    /// handler on every connection.
    public func sessionFastPath(serverName: String?, logger: Logger) -> SessionFastPath {
        SessionFastPath(manager: sessions, activity: activity, metrics: metrics, misses: misses,
                        maxBodyBytes: maxBodyBytes, serverName: serverName, logger: logger)
    }
}
