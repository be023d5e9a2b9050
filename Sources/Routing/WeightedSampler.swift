import SeededRandom

/// Draws indices with probability ∝ weight over routable peers.
///
/// Fast path: rejection sampling against a cached maximum weight (expected tries =
/// max/mean weight: about 1.7 for weights 4:2:1). The maximum is recomputed every
/// `refreshEvery` draws, and at once when a drawn peer turns out heavier than the cache (the
/// draw then restarts), so the distribution is exact except, briefly, after a weight grows.
/// After too many rejections it falls back to an exact O(n) draw. No allocation per pick.
struct WeightedSampler: Sendable {
    private var maxWeight = 0.0
    private var drawsSinceRefresh = 1 << 40
    var refreshEvery = 64

    /// Call once per pick with the current candidates (cheap: usually only counts).
    @inline(__always)
    mutating func load(_ candidates: [Peer]) {
        drawsSinceRefresh &+= 1
        if drawsSinceRefresh >= refreshEvery { refresh(candidates) }
    }

    mutating func refresh(_ candidates: [Peer]) {
        var m = 0.0
        for p in candidates where p.isRoutable && p.weight > m { m = p.weight }
        maxWeight = m
        drawsSinceRefresh = 0
    }

    /// An index with P(i) = wᵢ / Σw, or nil if nothing is routable.
    @inline(__always)
    mutating func draw<G: RandomNumberGenerator>(from candidates: [Peer], rng: inout G) -> Int? {
        let n = candidates.count
        guard n > 0 else { return nil }
        var tries = 0
        while maxWeight > 0, tries < 64 {
            tries += 1
            let i = rng.nextIndex(n)
            let p = candidates[i]
            guard p.isRoutable else { continue }
            if p.weight > maxWeight {
                maxWeight = p.weight
                continue
            }
            if rng.nextUnit() * maxWeight < p.weight { return i }
        }
        refresh(candidates)
        return WeightedSampler.exactDraw(candidates, excluding: -1, rng: &rng)
    }

    /// An index ∝ weight, different from `other`.
    mutating func draw<G: RandomNumberGenerator>(from candidates: [Peer], excluding other: Int, rng: inout G) -> Int? {
        for _ in 0..<16 {
            guard let i = draw(from: candidates, rng: &rng) else { return nil }
            if i != other { return i }
        }
        return WeightedSampler.exactDraw(candidates, excluding: other, rng: &rng)
    }

    /// Exact O(n) draw ∝ weight over routable peers other than `other`.
    static func exactDraw<G: RandomNumberGenerator>(_ candidates: [Peer], excluding other: Int, rng: inout G) -> Int? {
        var total = 0.0
        for (i, p) in candidates.enumerated() where i != other && p.isRoutable { total += p.weight }
        guard total > 0 else { return nil }
        var target = rng.nextUnit() * total
        var last: Int?
        for (i, p) in candidates.enumerated() where i != other && p.isRoutable && p.weight > 0 {
            if target < p.weight { return i }
            target -= p.weight
            last = i
        }
        return last
    }
}
