/// The JSON form of `HostLoad` (in `/v1/mesh` and `MeshMember`): the keys and units the API has
/// always used, times as whole milliseconds since the epoch and the utilization as `cpu`:
///
///     {"inFlight":3,"latencyMs":12.5,"sessions":40,"cpu":0.25,"errorRate":0.01,"requestRate":250,
///      "timestamp":1800000000123,"startedAt":1799999996400,"draining":false,"ownUtilization":true}
extension HostLoad: Codable {
    enum CodingKeys: String, CodingKey {
        case inFlight, latencyMs, sessions, cpu, errorRate, requestRate, timestamp, startedAt, draining, ownUtilization
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inFlight: try c.decode(Int.self, forKey: .inFlight),
            latencyMs: try c.decode(Double.self, forKey: .latencyMs),
            sessions: try c.decode(Int.self, forKey: .sessions),
            utilization: try c.decode(Double.self, forKey: .cpu),
            errorRate: try c.decode(Double.self, forKey: .errorRate),
            requestRate: try c.decode(Double.self, forKey: .requestRate),
            timestamp: HostLoad.seconds(milliseconds: try c.decode(Int64.self, forKey: .timestamp)),
            startedAt: HostLoad.seconds(milliseconds: try c.decode(Int64.self, forKey: .startedAt)),
            draining: try c.decode(Bool.self, forKey: .draining),
            ownUtilization: try c.decode(Bool.self, forKey: .ownUtilization))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inFlight, forKey: .inFlight)
        try c.encode(latencyMs, forKey: .latencyMs)
        try c.encode(sessions, forKey: .sessions)
        try c.encode(utilization, forKey: .cpu)
        try c.encode(errorRate, forKey: .errorRate)
        try c.encode(requestRate, forKey: .requestRate)
        try c.encode(HostLoad.milliseconds(seconds: timestamp), forKey: .timestamp)
        try c.encode(HostLoad.milliseconds(seconds: startedAt), forKey: .startedAt)
        try c.encode(draining, forKey: .draining)
        try c.encode(ownUtilization, forKey: .ownUtilization)
    }
}
