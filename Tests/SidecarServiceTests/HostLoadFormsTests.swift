import Foundation
import Routing
import SeededRandom
import Testing
@testable import LoadSampling

/// `HostLoad` keeps its times in seconds; its two outside forms, the 38-byte gossip report and
/// the JSON in `/v1/mesh`, carry them as whole milliseconds, byte for byte as before the load
/// had one type (the expected bytes and text below are those of the earlier `HostLoad` with
/// `Int64` millisecond times).
@Suite struct HostLoadFormsTests {
    static let load = HostLoad(
        inFlight: 7, latencyMs: 1.24, sessions: 40, utilization: 0.25, errorRate: 0.01, requestRate: 250,
        timestamp: HostLoad.seconds(milliseconds: 1_800_000_000_123), startedAt: HostLoad.seconds(milliseconds: 1_799_999_996_400),
        draining: false, ownUtilization: true)

    @Test func theGossipFormIsUnchanged() throws {
        let bytes: [UInt8] = [
            0x01, 0x00, 0x00, 0x00, 0x07, 0x3F, 0x9E, 0xB8, 0x52, 0x00, 0x00, 0x00, 0x28, 0x09, 0xC4, 0x00, 0x64, 0x43, 0x7A,
            0x00, 0x00, 0x00, 0x00, 0x01, 0xA3, 0x18, 0x5C, 0x50, 0x7B, 0x00, 0x00, 0x01, 0xA3, 0x18, 0x5C, 0x41, 0xF0, 0x02,
        ]
        #expect(LoadReportCodec.encode(Self.load) == bytes)
        let back = try #require(LoadReportCodec.decode(bytes))
        #expect(back.timestamp == Self.load.timestamp && back.startedAt == Self.load.startedAt)
        #expect(LoadReportCodec.encode(back) == bytes)
        #expect(LoadReportCodec.encode(.idle) == [1] + [UInt8](repeating: 0, count: 36) + [0])
    }

    @Test func theJSONFormIsUnchanged() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(Self.load), as: UTF8.self)
        #expect(json == #"{"cpu":0.25,"draining":false,"errorRate":0.01,"inFlight":7,"latencyMs":1.24,"ownUtilization":true,"#
            + #""requestRate":250,"sessions":40,"startedAt":1799999996400,"timestamp":1800000000123}"#)
        #expect(try JSONDecoder().decode(HostLoad.self, from: Data(json.utf8)) == Self.load)
    }

    @Test func millisecondsRoundTripThroughSecondsAndNeverTrap() {
        var rng = SeededGenerator(seed: 7)
        var mismatches: [Int64] = []
        for _ in 0..<50_000 {
            // Wall times of the next few centuries, and anything within ±2⁴⁹ ms.
            let wall = Int64(rng.next() % 10_000_000_000_000)
            let any = Int64(bitPattern: rng.next()) >> 14
            for ms in [wall, any] where HostLoad.milliseconds(seconds: HostLoad.seconds(milliseconds: ms)) != ms {
                mismatches.append(ms)
            }
        }
        #expect(mismatches.isEmpty)
        #expect(HostLoad.milliseconds(seconds: -.infinity) == .min && HostLoad.milliseconds(seconds: .infinity) == .max)
        #expect(HostLoad.milliseconds(seconds: .nan) == 0 && HostLoad.milliseconds(seconds: 1e300) == .max)
        #expect(HostLoad.milliseconds(seconds: HostLoad.seconds(milliseconds: .max)) == .max)
        #expect(HostLoad.milliseconds(seconds: HostLoad.seconds(milliseconds: .min)) == .min)
        #expect(HostLoad.milliseconds(seconds: 0.0004) == 0 && HostLoad.milliseconds(seconds: 1.2346) == 1235)
    }
}
