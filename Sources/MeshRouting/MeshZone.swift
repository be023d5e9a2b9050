import MeshMembers
import Routing

/// The members of one zone (serf tag `zone`) in `/v1/mesh`, with the zone's own T̄ and S̄ and its
/// share of the mesh weight (its capacity share in Envoy's zone-aware rule, `ZoneSplit`).
public struct MeshZone: Codable, Sendable, Equatable {
    /// The zone name; "" for members without a `zone` tag.
    public var zone: String
    public var members: [String]
    /// Σ weight of the zone's members / Σ weight of all members (0…1).
    public var weightShare: Double
    /// T̄ over the zone's members with a fresh report and Tᵢ > 0, ms.
    public var meanResponseTimeMs: Double
    public var responseTimeCount: Int
    /// S̄ over the zone's members with a fresh report.
    public var meanSessions: Double
    public var sessionsCount: Int

    /// One group per zone, sorted by name; the means come from the mesh-wide weight table's entries.
    public static func groups(members: [MeshMember], table: WeightTable) -> [MeshZone] {
        var zoneOf: [String: String] = [:]
        for m in members { zoneOf[m.name] = m.tags["zone"] ?? "" }
        let total = table.entries.reduce(0) { $0 + max(0, $1.weight) }
        let names = Set(zoneOf.values).sorted()
        return names.map { zone in
            let entries = table.entries.filter { zoneOf[$0.node] == zone }
            let means = MeshMeans(table: WeightTable(entries: entries, computedAt: table.computedAt))
            let weight = entries.reduce(0) { $0 + max(0, $1.weight) }
            return MeshZone(
                zone: zone, members: members.filter { zoneOf[$0.name] == zone }.map(\.name).sorted(),
                weightShare: total > 0 ? weight / total : 0,
                meanResponseTimeMs: RoutingEngine.finite(means.meanResponseTime * 1000), responseTimeCount: means.responseTimeCount,
                meanSessions: RoutingEngine.finite(means.meanSessions), sessionsCount: means.sessionsCount)
        }
    }
}
