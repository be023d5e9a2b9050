import SeededRandom

/// A hash that is the same in every process and on every host (Swift's `Hasher` is seeded
/// per process, so it cannot be used for anything peers must agree on).
public enum StableHash {
    /// FNV-1a over the UTF-8 bytes, then a SplitMix64 finalizer for avalanche.
    public static func hash(_ s: String, seed: UInt64 = 0) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for b in s.utf8 {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        return SplitMix64.mix(h)
    }

    /// Combine two hashes into one (order matters).
    @inline(__always)
    public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        SplitMix64.mix(a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2)))
    }
}
