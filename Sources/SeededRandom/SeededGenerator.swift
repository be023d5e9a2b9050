/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The one seeded generator of the package: the gossip node, the routing policies' tests and
/// both simulators draw from it, so a run is a pure function of its seed. Production seeds it
/// from `SystemRandomNumberGenerator` (or passes that generator instead).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    @inlinable public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// An independent stream derived from this seed and a label (e.g. router index).
    public static func stream(seed: UInt64, label: UInt64) -> SeededGenerator {
        var sm = SplitMix64(state: seed ^ (label &* 0x9E37_79B9_7F4A_7C15))
        return SeededGenerator(seed: sm.next() ^ label)
    }

    @inlinable @inline(__always)
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
