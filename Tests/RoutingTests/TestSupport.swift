@testable import Routing
import SeededRandom

/// Peers named a, b, c… with the given weights.
func peers(_ weights: [Double]) -> [Peer] {
    weights.enumerated().map { i, w in
        Peer(node: String(UnicodeScalar(UInt8(97 + i))), address: "10.0.0.\(i + 1):8080", weight: w)
    }
}

/// Fraction of `picks` picks that went to each candidate.
func shares<P: RoutingPolicy>(_ policy: inout P, _ candidates: [Peer], picks: Int = 100_000, seed: UInt64 = 7) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    var counts = Array(repeating: 0, count: candidates.count)
    for _ in 0..<picks {
        if let i = policy.pick(from: candidates, rng: &rng) { counts[i] += 1 }
    }
    return counts.map { Double($0) / Double(picks) }
}

/// Envoy-style check: every share within ±`tolerance` (absolute, 0.01 = one percentage point).
func within(_ got: [Double], _ want: [Double], tolerance: Double = 0.01) -> Bool {
    got.count == want.count && zip(got, want).allSatisfy { abs($0 - $1) <= tolerance }
}

func sequence<P: RoutingPolicy>(_ policy: inout P, _ candidates: [Peer], count: Int, seed: UInt64 = 1) -> String {
    var rng = SeededGenerator(seed: seed)
    var out = ""
    for _ in 0..<count {
        if let i = policy.pick(from: candidates, rng: &rng) { out += candidates[i].node } else { out += "-" }
    }
    return out
}

/// Weights normalised to shares: ratio([4, 2, 1]) = [4/7, 2/7, 1/7].
func ratio(_ w: [Double]) -> [Double] {
    var total = 0.0
    for x in w { total += x }
    return w.map { $0 / total }
}
