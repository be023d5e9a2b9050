import SimulationSupport

/// What a gossip simulation measured (`description` is what `sessionmesh simulate gossip` prints).
public struct SimulationReport: Sendable, CustomStringConvertible {
    public var nodes = 0
    public var loss = 0.0
    public var simulatedSeconds = 0.0
    /// Age (s) of each live node's view of each live peer's load, sampled periodically.
    public var loadAgeP50 = 0.0
    public var loadAgeP99 = 0.0
    public var loadAgeMax = 0.0
    /// Pairs (observer, peer) with no report at all at sampling time.
    public var loadMissing = 0
    /// Per crashed node: seconds from crash until every live node marked it dead (nil: not all did).
    public var crashDeclaredDeadEverywhere: [String: Double?] = [:]
    /// Seconds until the first node marked it dead.
    public var crashFirstDeclaredDead: [String: Double] = [:]
    public var falseSuspicions = 0
    public var falseDeaths = 0
    /// (observer, member, seconds) of each false death, for diagnosis.
    public var falseDeathEvents: [(observer: String, member: String, at: Double)] = []
    /// Suspicions/deaths between nodes separated by a partition (expected).
    public var partitionSuspicions = 0
    public var partitionDeaths = 0
    /// Average bytes sent per node per second (UDP + TCP).
    public var bytesPerNodePerSecond = 0.0
    public var packetsPerNodePerSecond = 0.0
    public var events = 0
    /// After the run: per node, members it sees as alive.
    public var finalAliveViews: [Int] = []
    /// Nodes that left gracefully and how many live peers show them `left`.
    public var leftSeenBy: [String: Int] = [:]

    public var description: String {
        func f(_ d: Double) -> String { Format.rounded(d, 3) }
        var s = "nodes=\(nodes) loss=\(f(loss * 100))% sim=\(f(simulatedSeconds))s events=\(events)\n"
        s += "  load age: p50=\(f(loadAgeP50))s p99=\(f(loadAgeP99))s max=\(f(loadAgeMax))s missing=\(loadMissing)\n"
        for (n, t) in crashDeclaredDeadEverywhere.sorted(by: { $0.key < $1.key }) {
            let first = crashFirstDeclaredDead[n].map { f($0) + "s" } ?? "never"
            s += "  crash \(n): first dead after \(first), dead everywhere after \(t.map { f($0) + "s" } ?? "never (within the run)")\n"
        }
        for (n, c) in leftSeenBy.sorted(by: { $0.key < $1.key }) { s += "  leave \(n): seen as left by \(c) peers\n" }
        s += "  false suspicions=\(falseSuspicions) false deaths=\(falseDeaths)"
        if partitionSuspicions + partitionDeaths > 0 { s += " (partition: suspicions=\(partitionSuspicions) deaths=\(partitionDeaths))" }
        s += "\n  traffic: \(f(bytesPerNodePerSecond / 1024)) KB/s per node, \(f(packetsPerNodePerSecond)) packets/s per node"
        return s
    }
}
