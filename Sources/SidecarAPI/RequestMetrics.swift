import Metrics
import Synchronization

/// Counts requests and records their latency per route, method and status, the Prometheus way
/// (`sessionmesh_http_requests_total`, `sessionmesh_http_request_duration_seconds`), and feeds
/// this host's `LoadCounters`. One per API: the router's middleware and the session read fast
/// path record through the same instance.
public final class RequestMetrics: Sendable {
    let load: LoadCounters
    private let inFlight = Gauge(label: "sessionmesh_http_requests_in_flight")
    private let handles = MetricHandles()

    public init(load: LoadCounters) { self.load = load }

    /// A request starts; returns its start time for `end`.
    func begin() -> ContinuousClock.Instant {
        inFlight.record(load.begin())
        return .now
    }

    /// The request that began at `start` was answered with `status`.
    func end(_ start: ContinuousClock.Instant, route: String, method: String, status: Int) {
        let elapsed = ContinuousClock.now - start
        let (counter, timer) = handles.get(route: route, method: method, status: status)
        counter.increment()
        timer.record(duration: elapsed)
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        inFlight.record(load.end(latencyMs: ms, isError: status >= 500))
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
