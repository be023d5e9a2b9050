import Logging
import Metrics
import SessionCore
import Synchronization

/// Tells an operator eviction from logout: counts the API's 404s by reason, and logs misses that
/// are not logouts (expired, evicted by memcached under memory pressure, or unknown ids) at most
/// once per `interval`, with how many were folded into the line.
final class SessionMissReporter: Sendable {
    private let expiredOrEvicted = Counter(label: "sessionmesh_session_misses_total", dimensions: [("reason", "expired_or_evicted")])
    private let loggedOut = Counter(label: "sessionmesh_session_misses_total", dimensions: [("reason", "logged_out")])
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, folded: Int)>((nil, 0))

    init(interval: Duration = .seconds(10)) { self.interval = interval }

    func report(_ error: SessionError, logger: Logger) {
        switch error {
        case .loggedOut: loggedOut.increment()
        case .notFound:
            expiredOrEvicted.increment()
            let now = ContinuousClock.now
            let folded: Int? = state.withLock { s in
                if let last = s.last, now - last < interval {
                    s.folded += 1
                    return nil
                }
                defer { s = (now, 0) }
                return s.folded
            }
            if let folded {
                logger.notice("session not found and not logged out: expired, evicted by memcached, or unknown",
                              metadata: ["alsoSinceLastLine": "\(folded)"])
            }
        default: break
        }
    }
}
