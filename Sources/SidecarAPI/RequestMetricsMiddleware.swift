import Hummingbird
import Metrics
import Synchronization

/// Counts requests and records their latency per route, method and status, the Prometheus way
/// (`sessionmesh_http_requests_total`, `sessionmesh_http_request_duration_seconds`), and feeds
/// this host's `LoadCounters`.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let load: LoadCounters
    let inFlight = Gauge(label: "sessionmesh_http_requests_in_flight")
    private let handles = MetricHandles()
    public init(load: LoadCounters) { self.load = load }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        inFlight.record(load.begin())
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            let (counter, timer) = handles.get(route: route, method: request.method.rawValue, status: status)
            counter.increment()
            timer.record(duration: elapsed)
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            inFlight.record(load.end(latencyMs: ms, isError: status >= 500))
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}

/// The counter and timer of each (route, method, status), made once: creating them per request
/// goes through the metrics factory's registry and label validation every time.
private final class MetricHandles: Sendable {
    private struct Key: Hashable {
        var route: String, method: String, status: Int
    }

    private let handles = Mutex<[Key: (Counter, Timer)]>([:])

    func get(route: String, method: String, status: Int) -> (Counter, Timer) {
        let key = Key(route: route, method: method, status: status)
        if let found = handles.withLock({ $0[key] }) { return found }
        let made = (Counter(label: "sessionmesh_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))]),
                    Timer(label: "sessionmesh_http_request_duration_seconds", dimensions: [("route", route), ("method", method)]))
        return handles.withLock { table in
            if let found = table[key] { return found }
            table[key] = made
            return made
        }
    }
}
