import Foundation
import Routing
import ServiceLifecycle
import SidecarAPI
import Synchronization

/// Samples `LoadCounters`, `SessionActivity` and /proc/stat every `interval`; keeps the latest.
///
/// When the app pushes its own load (`recordAppLoad`) and that sample is fresh (pushed within
/// `appLoadFreshness`), `latest` carries the app's inFlight, latencyMs, requestRate and
/// errorRate (and its utilization, when it sends one, in place of the host CPU) instead of the
/// sidecar's own; sessions, startedAt and draining always come from the sidecar. A stale app sample is ignored, so an app that stops pushing falls back to
/// the sidecar's own view of the load.
public final class LoadMonitor: Service, Sendable {
    private struct State {
        var load: HostLoad = .idle
        var cpu: CPUUsage?
        var requests: UInt64 = 0
        var errors: UInt64 = 0
        var at: ContinuousClock.Instant?
        /// The app's latest push and when it arrived (wall ms).
        var app: (load: AppLoad, receivedAt: Int64)?
    }

    private let counters: LoadCounters
    private let activity: SessionActivity
    private let interval: Duration
    private let startedAt: Int64
    private let isDraining: @Sendable () -> Bool
    private let appLoadFreshnessMs: Int64
    private let wallClockMs: @Sendable () -> Int64
    private let state = Mutex(State())

    /// `wallClockMs` is injectable for tests (ms since the epoch).
    public init(counters: LoadCounters, activity: SessionActivity, interval: Duration = .milliseconds(500),
                isDraining: @escaping @Sendable () -> Bool = { false },
                appLoadFreshness: Duration = .seconds(3),
                wallClockMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.counters = counters
        self.activity = activity
        self.interval = interval
        self.isDraining = isDraining
        self.appLoadFreshnessMs = appLoadFreshness.components.seconds * 1000 + appLoadFreshness.components.attoseconds / 1_000_000_000_000_000
        self.wallClockMs = wallClockMs
        self.startedAt = wallClockMs()
    }

    /// The load this host publishes: the sidecar's latest sample, with the app's fresh values
    /// merged in.
    public var latest: HostLoad {
        let now = wallClockMs()
        return state.withLock { s in
            var load = s.load
            if let app = Self.fresh(s.app, now: now, window: appLoadFreshnessMs) {
                load.inFlight = app.inFlight
                load.latencyMs = app.latencyMs
                load.requestRate = app.requestRate
                load.errorRate = app.errorRate
                if let utilization = app.utilization {
                    load.utilization = utilization
                    load.ownUtilization = true
                }
            }
            return load
        }
    }

    /// The sidecar's own latest sample (session-API calls only), without the app's values.
    public var sidecarLoad: HostLoad { state.withLock { $0.load } }

    /// The app's latest push if it is still fresh.
    public var appLoad: AppLoad? {
        let now = wallClockMs()
        return state.withLock { Self.fresh($0.app, now: now, window: appLoadFreshnessMs) }
    }

    /// Records the app's own load sample (`POST /v1/load`), received at `receivedAtMs` (default: now).
    public func recordAppLoad(_ load: AppLoad, receivedAtMs: Int64? = nil) {
        let at = receivedAtMs ?? wallClockMs()
        state.withLock { $0.app = (load, at) }
    }

    private static func fresh(_ app: (load: AppLoad, receivedAt: Int64)?, now: Int64, window: Int64) -> AppLoad? {
        guard let app, now - app.receivedAt <= window, app.receivedAt <= now + window else { return nil }
        return app.load
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.sample()
                try await Task.sleep(for: self.interval)
            }
        }
    }

    /// Takes one reading now.
    public func sample() {
        let snapshot = counters.snapshot()
        let cpuNow = ProcFile.read("/proc/stat").flatMap { CPUUsage(procStat: $0) }
        let now = ContinuousClock.now
        let wall = wallClockMs()
        let sessions = activity.activeCount(now: wall)
        let draining = isDraining()
        state.withLock { s in
            let seconds = s.at.map { Double((now - $0).components.attoseconds) / 1e18 + Double((now - $0).components.seconds) } ?? 0
            let dRequests = snapshot.requests - min(snapshot.requests, s.requests)
            let dErrors = snapshot.errors - min(snapshot.errors, s.errors)
            let cpu = (cpuNow.flatMap { c in s.cpu.map { c.utilisation(since: $0) } }) ?? s.load.utilization
            s.load = HostLoad(
                inFlight: snapshot.inFlight, latencyMs: snapshot.latencyEWMAms, sessions: sessions, utilization: cpu,
                errorRate: dRequests > 0 ? Double(dErrors) / Double(dRequests) : 0,
                requestRate: seconds > 0 ? Double(dRequests) / seconds : 0, timestamp: HostLoad.seconds(milliseconds: wall),
                startedAt: HostLoad.seconds(milliseconds: startedAt), draining: draining)
            s.cpu = cpuNow ?? s.cpu
            s.requests = snapshot.requests
            s.errors = snapshot.errors
            s.at = now
        }
    }
}
