import Routing
import SeededRandom
import SimulationSupport

/// Service-time shapes for the simulator, all with mean 1 (the scenario scales them by the
/// mean service time and the host's capacity).
public enum ServiceTimeDistribution: Sendable, Hashable, CustomStringConvertible {
    case exponential
    /// Log-normal with shape σ (σ = 1 gives a coefficient of variation of about 1.31).
    case lognormal(sigma: Double)
    /// Pareto with tail index α > 1 (heavier tail for smaller α).
    case pareto(alpha: Double)
    case deterministic

    /// A sample with mean 1.
    public func sample<G: RandomNumberGenerator>(rng: inout G) -> Double {
        switch self {
        case .exponential:
            return -Math.log(rng.nextOpenUnit())
        case .lognormal(let sigma):
            let z = ServiceTimeDistribution.standardNormal(rng: &rng)
            return Math.exp(sigma * z - sigma * sigma / 2)
        case .pareto(let alpha):
            let a = max(alpha, 1.0001)
            let xm = (a - 1) / a
            return xm / Math.pow(rng.nextOpenUnit(), 1 / a)
        case .deterministic:
            return 1
        }
    }

    /// Marsaglia's polar method (needs only log and sqrt).
    static func standardNormal<G: RandomNumberGenerator>(rng: inout G) -> Double {
        while true {
            let u = 2 * rng.nextUnit() - 1
            let v = 2 * rng.nextUnit() - 1
            let s = u * u + v * v
            if s > 0, s < 1 {
                return u * Math.sqrt(-2 * Math.log(s) / s)
            }
        }
    }

    /// "exponential", "lognormal[:σ]" (default 1), "pareto[:α]" (default 2.5), "deterministic".
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        guard let name = parts.first else { return nil }
        let arg = parts.count > 1 ? Double(parts[1]) : nil
        if parts.count > 1, arg == nil { return nil }
        switch name {
        case "exponential", "exp": self = .exponential
        case "lognormal", "log-normal": self = .lognormal(sigma: arg ?? 1)
        case "pareto":
            guard (arg ?? 2.5) > 1 else { return nil }
            self = .pareto(alpha: arg ?? 2.5)
        case "deterministic", "constant": self = .deterministic
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .exponential: return "exponential"
        case .lognormal(let s): return "lognormal:\(Format.trimmed(s))"
        case .pareto(let a): return "pareto:\(Format.trimmed(a))"
        case .deterministic: return "deterministic"
        }
    }
}
