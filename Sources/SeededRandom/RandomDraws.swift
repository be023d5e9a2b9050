/// The draws the package makes from any generator (seeded or the system's).
extension RandomNumberGenerator {
    /// A uniform double in [0, 1), 53 bits of precision.
    @inlinable @inline(__always)
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1]: safe to take the logarithm of.
    @inlinable @inline(__always)
    public mutating func nextOpenUnit() -> Double {
        (Double(next() >> 11) + 1) * 0x1.0p-53
    }

    /// A uniform integer in 0..<n (n > 0), by Lemire's multiply-shift without rejection: one
    /// draw, and a bias below n/2⁶⁴, irrelevant for picking among a few peers.
    @inlinable @inline(__always)
    public mutating func nextIndex(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A uniform integer in 0..<n, exactly (the standard library's rejection sampling); 0 when
    /// n ≤ 0. What the gossip protocol uses to choose members.
    @inlinable @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        n <= 0 ? 0 : Int(next(upperBound: UInt64(n)))
    }
}
