/// Finagle's peak-sensitive EWMA of round-trip time (`PeakEwma.scala`): it jumps up to a
/// slower sample at once and decays towards faster ones with time constant `tau`
/// (w = e^(−Δt/τ)), so a host that suddenly slows down is avoided immediately.
public struct PeakEWMA: Sendable, Hashable {
    public private(set) var cost: Double
    public private(set) var stamp: Double
    public private(set) var hasSample: Bool
    public var tau: Double

    public init(tau: Double = 10, initial: Double = 0, at time: Double = 0) {
        self.tau = tau
        self.cost = initial
        self.stamp = time
        self.hasSample = false
    }

    public mutating func observe(_ rtt: Double, at now: Double) {
        defer { stamp = max(stamp, now); hasSample = true }
        if !hasSample || rtt > cost {
            cost = rtt
            return
        }
        let dt = max(now - stamp, 0)
        let w = Math.exp(-dt / tau)
        cost = cost * w + rtt * (1 - w)
    }
}
