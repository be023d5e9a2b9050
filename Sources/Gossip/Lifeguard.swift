/// Lifeguard pieces from memberlist: the awareness (local health) score and the suspicion
/// timer whose timeout decays with independent confirmations.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// memberlist's `awareness`: a score in [0, max-1] that scales the probe interval.
public struct Awareness: Sendable, Equatable {
    public let max: Int
    public private(set) var score: Int = 0
    public init(max: Int) { self.max = Swift.max(1, max) }
    public mutating func apply(_ delta: Int) {
        score = Swift.min(Swift.max(0, score + delta), max - 1)
    }
    public func scale(_ timeout: Int64) -> Int64 {
        timeout.multipliedReportingOverflow(by: Int64(score + 1)).partialValue
    }
}

/// memberlist's `suspicion` timer, on an injected clock.
public struct Suspicion: Sendable, Equatable {
    public private(set) var n: Int = 0
    public let k: Int
    public let min: Int64
    public let max: Int64
    public let start: Int64
    public private(set) var confirmations: Set<String>
    public private(set) var deadline: Int64

    public init(from: String, k: Int, min: Int64, max: Int64, now: Int64) {
        self.k = k
        self.min = min
        self.max = max
        self.start = now
        self.confirmations = [from]
        self.deadline = now + (k < 1 ? min : max)
    }

    /// `remainingSuspicionTime` from suspicion.go.
    public static func remaining(n: Int, k: Int, elapsed: Int64, min: Int64, max: Int64) -> Int64 {
        let frac = log(Double(n) + 1.0) / log(Double(k) + 1.0)
        let maxS = Double(max) / 1e9, minS = Double(min) / 1e9
        let raw = maxS - frac * (maxS - minS)
        var timeout = Int64((1000.0 * raw).rounded(.down)) * GossipConfig.millisecond
        if timeout < min { timeout = min }
        return timeout - elapsed
    }

    /// Records a confirmation from a new peer; returns true if it was new (then regossip).
    public mutating func confirm(from: String, now: Int64) -> Bool {
        if n >= k { return false }
        if confirmations.contains(from) { return false }
        confirmations.insert(from)
        n += 1
        let rem = Suspicion.remaining(n: n, k: k, elapsed: now - start, min: min, max: max)
        deadline = now + Swift.max(0, rem)
        return true
    }

    /// memberlist's `suspicionTimeout`: SuspicionMult × max(1, log10(max(1, n))) × interval.
    public static func timeout(suspicionMult: Int, n: Int, interval: Int64) -> Int64 {
        let nodeScale = Swift.max(1.0, log10(Swift.max(1.0, Double(n))))
        return Int64(suspicionMult) * Int64(nodeScale * 1000) * interval / 1000
    }
}

/// memberlist's `retransmitLimit`: RetransmitMult × ceil(log10(n + 1)).
public func retransmitLimit(mult: Int, n: Int) -> Int {
    mult * Int(log10(Double(n + 1)).rounded(.up))
}

/// memberlist's `pushPullScale`.
public func pushPullScale(_ interval: Int64, n: Int) -> Int64 {
    if n <= 32 { return interval }
    let mult = (log2(Double(n)) - log2(32.0)).rounded(.up) + 1.0
    return Int64(mult) * interval
}
