import MeshMembers
import Routing

/// What the routing engine derives from one mesh snapshot: the members with their loads aged
/// (expired reports dropped), the weight table, and what every pick needs (suspects, the number
/// of routers, this sidecar's zone plan). Computed once per snapshot and shared by `/v1/route`,
/// the agent check, the nginx writer and `/v1/mesh`.
struct RoutingSnapshot: Sendable {
    /// The mesh snapshot's version it was computed from.
    let version: UInt64
    /// Sorted by name; `load` nil when the report expired, `loadAge` set.
    let members: [MeshMember]
    let table: WeightTable
    /// Wall seconds it was computed at.
    let computedAt: Double
    /// Routable members that are suspect: picked only when nothing else is routable.
    let suspects: Set<String>
    /// Routable members (at least 1).
    let routers: Int
    /// This sidecar's zone-aware split, nil without zones.
    let zonePlan: ZonePlan?

    init(mesh: MeshSnapshot, now: Double, loadExpiry: Double, localName: String, weights: WeightFunction,
         memory: inout CapacityMemory) {
        version = mesh.version
        members = mesh.members.map { m in
            var m = m
            if let load = m.load {
                let age = now - load.timestamp
                if age > loadExpiry {
                    m.load = nil
                    m.loadAge = nil
                } else {
                    m.loadAge = age
                }
            }
            return m
        }
        table = RoutingEngine.table(members: members, now: now, weights: weights, memory: &memory)
        computedAt = now
        var suspects = Set<String>()
        var routers = 0
        for m in members where RoutingEngine.isRoutable(m) {
            routers += 1
            if m.status == .suspect { suspects.insert(m.name) }
        }
        self.suspects = suspects
        self.routers = max(1, routers)
        zonePlan = ZonePlan(members: members, table: table, localName: localName)
    }
}
