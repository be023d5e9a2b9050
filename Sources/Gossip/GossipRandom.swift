import SeededRandom

/// The node's randomness is the package's one seeded generator (xoshiro256**): production
/// seeds it from the system generator, tests and the simulator from a fixed seed.
typealias GossipRandom = SeededGenerator

extension SeededGenerator {
    /// Uniform in [0, 1): the node's name for `nextUnit()`.
    @inline(__always)
    mutating func unit() -> Double { nextUnit() }
}
