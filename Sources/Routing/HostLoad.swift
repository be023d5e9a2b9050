/// One host's load: what its sidecar measures and gossips (BRIEF §6), what `/v1/mesh` shows and
/// what the weight function reads. Peers keep the latest one per node and never sum them.
///
/// Units: the times `timestamp` and `startedAt` are plain `Double` seconds on a shared epoch
/// (Unix time in the sidecar, simulated time in the simulator); this module never reads a clock
/// itself. The latency stays in milliseconds, the unit it is measured, pushed (`POST /v1/load`),
/// gossiped and shown in, so those forms carry it exactly; the weight function divides by 1000.
/// The JSON form (`HostLoad+Codable.swift`) and the 38-byte gossip form (`LoadReportCodec`)
/// carry the times as whole milliseconds.
public struct HostLoad: Sendable, Hashable {
    /// Requests being served now (the app's, when it pushes its own load; else the sidecar's API requests).
    public var inFlight: Int
    /// EWMA of the response time, ms (Tᵢ in the seed's T̄ = (1/N)·ΣTᵢ).
    public var latencyMs: Double
    /// Distinct sessions served in the last minute (Sᵢ in the seed's S̄ = (1/M)·ΣSᵢ).
    public var sessions: Int
    /// Busy fraction, 0…1: the host CPU, or the app's own utilization when `ownUtilization`.
    /// JSON key `cpu`.
    public var utilization: Double
    /// Share of recent requests that failed, 0…1.
    public var errorRate: Double
    /// Completed requests per second over the last interval (the A58 throughput).
    public var requestRate: Double
    /// When it was taken, seconds.
    public var timestamp: Double
    /// When this node (re)started serving, seconds. Drives slow start and the weight blackout,
    /// and travels with the load so every peer computes the same thing; −∞ when unknown (long ago).
    public var startedAt: Double
    /// The node asks for no new traffic (graceful drain): routing sends it nothing new.
    public var draining: Bool
    /// `utilization` is the app's own measure (sent with `POST /v1/load`), not the host CPU: its
    /// capacity estimate may leave the blackout as soon as it is stable (`WeightFunction`).
    public var ownUtilization: Bool

    public init(
        inFlight: Int = 0,
        latencyMs: Double = 0,
        sessions: Int = 0,
        utilization: Double = 0,
        errorRate: Double = 0,
        requestRate: Double = 0,
        timestamp: Double,
        startedAt: Double = -.infinity,
        draining: Bool = false,
        ownUtilization: Bool = false
    ) {
        self.inFlight = inFlight
        self.latencyMs = latencyMs
        self.sessions = sessions
        self.utilization = utilization
        self.errorRate = errorRate
        self.requestRate = requestRate
        self.timestamp = timestamp
        self.startedAt = startedAt
        self.draining = draining
        self.ownUtilization = ownUtilization
    }

    /// Nothing measured yet: no signals, taken and started at the epoch.
    public static let idle = HostLoad(timestamp: 0, startedAt: 0)

    /// A member that has published no load: no signals, taken at −∞, which the weight function
    /// treats as expired (mean weight) and `MeshMeans` leaves out of T̄ and S̄.
    public static let unreported = HostLoad(timestamp: -.infinity)

    /// Seconds for whole milliseconds since the epoch (the JSON and gossip forms' times).
    public static func seconds(milliseconds: Int64) -> Double {
        Double(milliseconds) / 1000
    }

    /// Whole milliseconds for seconds, rounded; clamped to `Int64` (−∞ gives `Int64.min`), NaN 0.
    /// Exact inverse of `seconds(milliseconds:)` for any time within ±2⁴⁹ ms (±17 000 years).
    public static func milliseconds(seconds: Double) -> Int64 {
        let ms = (seconds * 1000).rounded()
        if ms.isNaN { return 0 }
        if ms >= 9_223_372_036_854_775_807 { return .max }
        if ms <= -9_223_372_036_854_775_808 { return .min }
        return Int64(ms)
    }
}
