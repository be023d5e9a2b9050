import Routing

/// The compact binary form of `HostLoad` gossiped every round (≤ 255 bytes; this is 38). The
/// times, seconds in `HostLoad`, travel as whole milliseconds (`HostLoad.milliseconds(seconds:)`).
///
///     u8 version(=1) | u32 inFlight | f32 latencyMs | u32 sessions | u16 cpu×10⁴ | u16 errorRate×10⁴
///     | f32 requestRate | i64 timestamp ms | i64 startedAt ms | u8 flags (bit0 draining, bit1 cpu is the app's own
///     utilization; older decoders ignore bit1)                                    (big-endian)
public enum LoadReportCodec {
    public static let size = 38

    public static func encode(_ l: HostLoad) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(size)
        out.append(1)
        put(UInt32(clamping: max(0, l.inFlight)), &out)
        put(Float(l.latencyMs).bitPattern, &out)
        put(UInt32(clamping: max(0, l.sessions)), &out)
        put(UInt16(clamping: Int((min(max(l.utilization, 0), 1) * 10_000).rounded())), &out)
        put(UInt16(clamping: Int((min(max(l.errorRate, 0), 1) * 10_000).rounded())), &out)
        put(Float(l.requestRate).bitPattern, &out)
        put(UInt64(bitPattern: HostLoad.milliseconds(seconds: l.timestamp)), &out)
        put(UInt64(bitPattern: HostLoad.milliseconds(seconds: l.startedAt)), &out)
        out.append((l.draining ? 1 : 0) | (l.ownUtilization ? 2 : 0))
        return out
    }

    /// Nil for anything that is not a well-formed version-1 report (never traps).
    public static func decode(_ b: [UInt8]) -> HostLoad? {
        guard b.count == size, b[0] == 1 else { return nil }
        var i = 1
        func u(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<n { v = v << 8 | UInt64(b[i + k]) }
            i += n
            return v
        }
        let inFlight = u(4), latency = Float(bitPattern: UInt32(u(4))), sessions = u(4)
        let cpu = Double(u(2)) / 10_000, errors = Double(u(2)) / 10_000
        let rate = Float(bitPattern: UInt32(u(4)))
        let timestamp = Int64(bitPattern: u(8)), started = Int64(bitPattern: u(8))
        let flags = b[i]
        guard latency.isFinite, latency >= 0, rate.isFinite, rate >= 0, cpu <= 1, errors <= 1 else { return nil }
        return HostLoad(inFlight: Int(inFlight), latencyMs: Double(latency), sessions: Int(sessions), utilization: cpu,
                        errorRate: errors, requestRate: Double(rate), timestamp: HostLoad.seconds(milliseconds: timestamp),
                        startedAt: HostLoad.seconds(milliseconds: started),
                        draining: flags & 1 == 1, ownUtilization: flags & 2 == 2)
    }

    private static func put<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> shift)) }
    }
}
