import Routing
import SimulationSupport

/// How requests arrive at the mesh (the routers are chosen uniformly per request).
public enum ArrivalProcess: Sendable, Hashable, CustomStringConvertible {
    /// Poisson at the scenario's load.
    case poisson
    /// A two-state modulated Poisson process: bursts at `factor ×` the quiet rate, covering
    /// `fraction` of the time, with mean burst length `meanBurst` seconds. The long-run mean
    /// rate still equals the scenario's load.
    case bursty(factor: Double, fraction: Double, meanBurst: Double)

    /// "poisson" or "bursty[:factor[:fraction[:meanBurst]]]" (defaults 4, 0.1, 5).
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        guard let name = parts.first else { return nil }
        let args = parts.dropFirst().map { Double($0) }
        if args.contains(where: { $0 == nil }) { return nil }
        let a = args.compactMap { $0 }
        switch name {
        case "poisson": self = .poisson
        case "bursty", "burst", "bursts":
            let factor = a.count > 0 ? a[0] : 4
            let fraction = a.count > 1 ? a[1] : 0.1
            let meanBurst = a.count > 2 ? a[2] : 5
            guard factor >= 1, fraction > 0, fraction < 1, meanBurst > 0 else { return nil }
            self = .bursty(factor: factor, fraction: fraction, meanBurst: meanBurst)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .poisson: return "poisson"
        case .bursty(let f, let p, let m):
            return "bursty:\(Format.trimmed(f)):\(Format.trimmed(p)):\(Format.trimmed(m))"
        }
    }
}
