/// The app's own load sample, pushed with `POST /v1/load`: the sidecar sees only session-API
/// calls, so for routing to reflect the app, the app reports what it serves.
public struct AppLoad: Sendable, Equatable, Codable {
    /// Requests the app is serving now.
    public var inFlight: Int
    /// EWMA of the app's response time, ms (the seed's Tᵢ).
    public var latencyMs: Double
    /// Requests per second the app completes.
    public var requestRate: Double
    /// Share of the app's recent requests that failed, 0…1.
    public var errorRate: Double
    /// The app's own busy fraction, 0…1 (e.g. busy workers / workers). Optional: without it the
    /// host's CPU stands in, which cannot tell apart apps that share one machine.
    public var utilization: Double?

    public init(inFlight: Int, latencyMs: Double, requestRate: Double, errorRate: Double, utilization: Double? = nil) {
        self.inFlight = inFlight
        self.latencyMs = latencyMs
        self.requestRate = requestRate
        self.errorRate = errorRate
        self.utilization = utilization
    }
}
