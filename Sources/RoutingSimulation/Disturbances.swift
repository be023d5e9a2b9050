import Routing

/// Things that go wrong in a simulated run.
public struct Disturbances: Sendable, Hashable {
    /// Each host independently slows down by `factor` at random times (Poisson, `rate` per host
    /// per second) for an exponentially distributed time with mean `meanDuration` seconds.
    public struct RandomSlowdowns: Sendable, Hashable {
        public var factor: Double
        public var rate: Double
        public var meanDuration: Double
        public init(factor: Double = 3, rate: Double = 0.005, meanDuration: Double = 20) {
            self.factor = factor
            self.rate = rate
            self.meanDuration = meanDuration
        }
    }

    /// One host is `factor ×` slower than its capacity says, but alive and reporting.
    public struct SlowHost: Sendable, Hashable {
        public var host: Int
        public var factor: Double
        public init(host: Int = 0, factor: Double = 3) {
            self.host = host
            self.factor = factor
        }
    }

    /// The load goes linearly from the scenario's load to `peakLoad` over the measured part of
    /// the run (after warm-up).
    public struct OverloadRamp: Sendable, Hashable {
        public var peakLoad: Double
        public init(peakLoad: Double = 1.1) { self.peakLoad = peakLoad }
    }

    public var randomSlowdowns: RandomSlowdowns?
    public var slowHost: SlowHost?
    public var overloadRamp: OverloadRamp?

    public init(randomSlowdowns: RandomSlowdowns? = nil, slowHost: SlowHost? = nil, overloadRamp: OverloadRamp? = nil) {
        self.randomSlowdowns = randomSlowdowns
        self.slowHost = slowHost
        self.overloadRamp = overloadRamp
    }

    public static let none = Disturbances()
}
