import Foundation
import ServiceLifecycle
import SidecarAPI
import Synchronization

/// One reading of this host's load, as it is gossiped to the mesh.
public struct HostLoad: Sendable, Equatable, Codable {
    /// API requests being served now.
    public var inFlight: Int
    /// EWMA of request latency, ms (the seed's Tᵢ).
    public var latencyMs: Double
    /// Distinct sessions served in the last minute (the seed's Sᵢ).
    public var sessions: Int
    /// Host CPU busy fraction, 0…1.
    public var cpu: Double
    /// Share of requests that failed with 5xx over the last interval, 0…1.
    public var errorRate: Double
    /// Requests per second over the last interval.
    public var requestRate: Double
    /// When it was taken, ms since the epoch.
    public var timestamp: Int64
    /// When this sidecar started, ms since the epoch (for slow start of new hosts).
    public var startedAt: Int64
    /// True while the sidecar shuts down: routing sends it nothing new.
    public var draining: Bool

    public init(inFlight: Int, latencyMs: Double, sessions: Int, cpu: Double, errorRate: Double, requestRate: Double,
                timestamp: Int64, startedAt: Int64 = 0, draining: Bool = false) {
        self.inFlight = inFlight
        self.latencyMs = latencyMs
        self.sessions = sessions
        self.cpu = cpu
        self.errorRate = errorRate
        self.requestRate = requestRate
        self.timestamp = timestamp
        self.startedAt = startedAt
        self.draining = draining
    }

    public static let idle = HostLoad(inFlight: 0, latencyMs: 0, sessions: 0, cpu: 0, errorRate: 0, requestRate: 0, timestamp: 0)
}

/// Samples `LoadCounters`, `SessionActivity` and /proc/stat every `interval`; keeps the latest.
public final class LoadMonitor: Service, Sendable {
    private let counters: LoadCounters
    private let activity: SessionActivity
    private let interval: Duration
    private let startedAt = Int64(Date().timeIntervalSince1970 * 1000)
    private let isDraining: @Sendable () -> Bool
    private let state = Mutex<(load: HostLoad, cpu: CPUUsage?, requests: UInt64, errors: UInt64, at: ContinuousClock.Instant?)>(
        (.idle, nil, 0, 0, nil))

    public init(counters: LoadCounters, activity: SessionActivity, interval: Duration = .milliseconds(500),
                isDraining: @escaping @Sendable () -> Bool = { false }) {
        self.counters = counters
        self.activity = activity
        self.interval = interval
        self.isDraining = isDraining
    }

    public var latest: HostLoad { state.withLock { $0.load } }

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
        let cpuNow = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)).flatMap { CPUUsage(procStat: $0) }
        let now = ContinuousClock.now
        let wall = Int64(Date().timeIntervalSince1970 * 1000)
        let sessions = activity.activeCount(now: wall)
        state.withLock { s in
            let seconds = s.at.map { Double((now - $0).components.attoseconds) / 1e18 + Double((now - $0).components.seconds) } ?? 0
            let dRequests = snapshot.requests - min(snapshot.requests, s.requests)
            let dErrors = snapshot.errors - min(snapshot.errors, s.errors)
            let cpu = (cpuNow.flatMap { c in s.cpu.map { c.utilisation(since: $0) } }) ?? s.load.cpu
            s.load = HostLoad(
                inFlight: snapshot.inFlight, latencyMs: snapshot.latencyEWMAms, sessions: sessions, cpu: cpu,
                errorRate: dRequests > 0 ? Double(dErrors) / Double(dRequests) : 0,
                requestRate: seconds > 0 ? Double(dRequests) / seconds : 0, timestamp: wall,
                startedAt: startedAt, draining: isDraining())
            s.cpu = cpuNow ?? s.cpu
            s.requests = snapshot.requests
            s.errors = snapshot.errors
            s.at = now
        }
    }
}
