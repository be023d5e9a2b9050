/// Envoy's zone-aware routing rule (load_balancer_impl.cc), for traffic that crosses borders.
///
/// `traffic[z]` is zone z's share of the traffic that is being routed (the originating side:
/// Envoy's `local%`), `capacity[z]` its share of the healthy capacity (the upstream side:
/// `upstream%`; in SessionMesh the zone's share of the mesh weight). For a router in `local`:
/// - the local zone unhealthy (no capacity): traffic goes to every zone, by capacity;
/// - `capacity[local] ≥ traffic[local]`: all of it stays in the local zone;
/// - otherwise the local zone takes `capacity[local] / traffic[local]` of it, and the residual
///   spreads over the other zones in proportion to their spare capacity
///   `max(0, capacity[z] − traffic[z])`.
/// Pure. Shares need not be normalised; zones missing from `capacity` have none.
public enum ZoneSplit {
    /// Fraction of the local router's traffic that goes to each zone (sums to 1; empty when no
    /// zone has capacity).
    public static func split(local: String, traffic: [String: Double], capacity: [String: Double]) -> [String: Double] {
        let cap = normalised(capacity)
        guard !cap.isEmpty else { return [:] }
        let localCapacity = cap[local] ?? 0
        guard localCapacity > 0 else { return cap }  // the local zone is unhealthy: every zone, by capacity
        let load = normalised(traffic)
        let localTraffic = load[local] ?? 0
        if localTraffic <= 0 || localCapacity >= localTraffic { return [local: 1] }
        let keep = localCapacity / localTraffic
        var spare: [String: Double] = [:]
        for (zone, c) in cap where zone != local {
            let s = c - (load[zone] ?? 0)
            if s > 0 { spare[zone] = s }
        }
        let totalSpare = spare.values.reduce(0, +)
        guard totalSpare > 0 else { return [local: 1] }  // only by rounding: shares sum to 1 on both sides
        var out: [String: Double] = [local: keep]
        for (zone, s) in spare { out[zone] = (1 - keep) * s / totalSpare }
        return out
    }

    /// Shares that sum to 1, without zones of share ≤ 0 (empty if nothing is positive).
    static func normalised(_ shares: [String: Double]) -> [String: Double] {
        let positive = shares.filter { $0.value > 0 && $0.value.isFinite }
        let total = positive.values.reduce(0, +)
        guard total > 0 else { return [:] }
        return positive.mapValues { $0 / total }
    }
}
