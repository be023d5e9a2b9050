import MeshMembers
import Routing

/// Zone-aware routing for `/v1/route` (Envoy's rule, `ZoneSplit`): where this sidecar sends the
/// next request when members carry a `zone` tag.
///
/// Traffic share of a zone = its share of the routable members (every sidecar routes the traffic
/// of the app beside it, counted equal); capacity share = its share of the mesh weight (every
/// sidecar computes the same weights). Nil, so routing ignores zones, when this sidecar has no
/// zone or the routable members span fewer than two zones.
struct ZonePlan: Sendable, Equatable {
    var zoneOf: [String: String]
    var split: [String: Double]

    init?(members: [MeshMember], table: WeightTable, localName: String) {
        let routable = members.filter { RoutingEngine.isRoutable($0) }
        guard let local = routable.first(where: { $0.name == localName })?.tags["zone"] else { return nil }
        self.init(members: members, table: table, localZone: local)
    }

    /// The split for traffic that originates in `localZone` (a balancer in that zone; it need
    /// not hold a sidecar).
    init?(members: [MeshMember], table: WeightTable, localZone local: String) {
        let routable = members.filter { RoutingEngine.isRoutable($0) }
        var zoneOf: [String: String] = [:]
        var traffic: [String: Double] = [:], capacity: [String: Double] = [:]
        for m in routable {
            let z = m.tags["zone"] ?? ""
            zoneOf[m.name] = z
            traffic[z, default: 0] += 1
        }
        guard Set(zoneOf.values).count >= 2 else { return nil }
        for e in table.entries where e.weight > 0 {
            if let z = zoneOf[e.node] { capacity[z, default: 0] += e.weight }
        }
        let split = ZoneSplit.split(local: local, traffic: traffic, capacity: capacity)
        guard !split.isEmpty else { return nil }
        self.zoneOf = zoneOf
        self.split = split
    }

    /// The zone for one request, from a uniform draw `u` in [0, 1).
    func zone(for u: Double) -> String {
        var acc = 0.0
        let zones = split.keys.sorted()
        for z in zones {
            acc += split[z]!
            if u < acc { return z }
        }
        return zones.last!
    }

    /// The table with each member's weight replaced by its share of this sidecar's traffic under
    /// the split: `split[zone] × (wᵢ / Σ w of its zone) × N`, N = the number of entries with a
    /// positive weight, so the weights keep the table's scale (mean 1 over those entries). A member of a zone the split
    /// gives nothing gets weight 0 (nginx marks it `down`). For outputs rendered by one sidecar
    /// for all members (the nginx upstream file).
    func weighted(_ table: WeightTable) -> WeightTable {
        var zoneWeight: [String: Double] = [:]
        for e in table.entries where e.weight > 0 {
            if let z = zoneOf[e.node] { zoneWeight[z, default: 0] += e.weight }
        }
        let n = Double(table.entries.filter { $0.weight > 0 }.count)
        var out = table
        for i in out.entries.indices {
            let e = out.entries[i]
            guard e.weight > 0, let z = zoneOf[e.node], let total = zoneWeight[z], total > 0 else {
                out.entries[i].weight = 0
                continue
            }
            out.entries[i].weight = (split[z] ?? 0) * e.weight / total * n
        }
        return out
    }
}
