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
}
