import Foundation
import Testing
@testable import Gossip
import SeededRandom

/// A seeded mutation fuzzer over every gossip decoder, starting from the captured memberlist/serf
/// packets (Vectors): packet decoding (CRC, compound, LZW, messages), the state machine that
/// consumes them, and stream decoding. Each iteration mutates a seed (bit flips,
/// byte sets, inserts, deletes, splices, length-field bumps, re-compression); the run must not
/// crash, every decode must stay within its byte budgets, and the process RSS must stay bounded.
@Suite struct GossipFuzzTests {
    /// 10,000 in the suite (a debug build runs about 1,500 a second); set GOSSIP_FUZZ_ITERATIONS
    /// for a longer run (200,000 was run for issue 17).
    static let iterations = ProcessInfo.processInfo.environment["GOSSIP_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 10_000

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static var seeds: [[UInt8]] {
        [Vectors.pingA, Vectors.ackB, Vectors.compoundPingJoinC, Vectors.gossipTwoAliveD, Vectors.gossipTagUpdateE,
         Vectors.gossipCompressedF, Vectors.joinPushPullH, Vectors.serfPingToSidecarH, Vectors.ackWeSentH,
         Vectors.tagUpdateWeSentH, Vectors.leaveIntentWeSentH, Vectors.deadWeSentH, Vectors.gossipCompressedFInner,
         Vectors.encryptedJInner].map(hex)
    }

    static func mutate(_ input: [UInt8], _ rng: inout SeededGenerator, corpus: [[UInt8]]) -> [UInt8] {
        var b = input
        for _ in 0...rng.below(4) {
            switch rng.below(9) {
            case 0 where !b.isEmpty:
                let i = rng.below(b.count); b[i] ^= UInt8(1 << rng.below(8))
            case 1 where !b.isEmpty:
                b[rng.below(b.count)] = [0x00, 0xff, 0x7f, 0x80, 0xc0, 0xdc, 0xdd, 0xde, 0xdf, 0xc6, 0xdb][rng.below(11)]
            case 2:
                let at = rng.below(b.count + 1)
                b.insert(contentsOf: (0..<(1 + rng.below(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 3 where b.count > 1:
                let at = rng.below(b.count)
                b.removeSubrange(at..<min(b.count, at + 1 + rng.below(16)))
            case 4:
                let other = corpus[rng.below(corpus.count)]
                let cut = rng.below(b.count + 1)
                b = Array(b.prefix(cut)) + other.suffix(max(0, other.count - rng.below(other.count + 1)))
            case 5 where b.count > 4:
                // A 32-bit length field claiming up to 4 GiB.
                let at = rng.below(b.count - 4)
                b[at] = 0xdb; b[at + 1] = 0xff; b[at + 2] = UInt8(truncatingIfNeeded: rng.next()); b[at + 3] = 0xff
            case 6:
                b = PacketCodec.compressed(b)
            case 7:
                b = PacketCodec.compound([b, corpus[rng.below(corpus.count)]])
            default:
                b = PacketCodec.withCRC(b)
            }
        }
        return Array(b.prefix(PacketCodec.maxPacketSize))
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = Int(text.split(separator: " ")[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func decodersSurviveMutatedCapturedPackets() async {
        var rng = SeededGenerator(seed: 0x5EED_F022)
        var corpus = Self.seeds
        var config = GossipConfig.lan
        config.maxMembers = 64
        var node = GossipNode(config: config, name: "fuzz-target", address: GossipAddress(ip: [127, 0, 0, 1], port: 7946),
                              meta: nil, now: 0, seed: 1)
        let from = GossipAddress(ip: [127, 0, 0, 2], port: 7946)
        let rssBefore = Self.residentBytes()
        var decodedMessages = 0
        var now: Int64 = 0
        for i in 0..<Self.iterations {
            let input = Self.mutate(corpus[rng.below(corpus.count)], &rng, corpus: corpus)
            var budget = 64 * 1024
            let decoded = PacketCodec.decode(input, decompressBudget: &budget)
            #expect(budget >= 0)
            decodedMessages += decoded.messages.count
            // The state machine behind the decoder (alive validation, member cap, budgets).
            now += 1_000_000
            _ = node.receivePacket(input, from: from, now: now)
            if i % 64 == 0 { _ = node.tick(now: now) }
            // Stream decoding of the same bytes.
            _ = try? StreamCodec.decode(input, maxBytes: 1 << 20)
            // Inputs that decoded to something become seeds (bounded corpus).
            if !decoded.messages.isEmpty, corpus.count < 512, rng.below(8) == 0 { corpus.append(input) }
            // Share the test runner's few threads with the suites running beside this one.
            if i % 500 == 0 { await Task.yield() }
        }
        #expect(node.memberMap.count <= 64)
        #expect(decodedMessages > 0)  // the fuzzer reaches the message decoders, not just the framing
        let growth = Self.residentBytes() - rssBefore
        #expect(growth < 64 << 20, "RSS grew by \(growth) bytes over \(Self.iterations) iterations")
    }

    /// The amplification of issue 17: one datagram of 32 compressed parts, each expanding past
    /// 1 MiB. The per-packet budget stops at 64 KiB; the per-second budget stops the rest.
    @Test func lzwBombIsBoundedPerPacketAndPerSecond() {
        let bomb = PacketCodec.compressed([UInt8](repeating: 0x41, count: (1 << 20) + 4096))
        let packet = PacketCodec.compound(Array(repeating: bomb, count: 32))
        #expect(packet.count < 65_536)
        var budget = 64 * 1024
        let decoded = PacketCodec.decode(packet, decompressBudget: &budget)
        #expect(budget == 0)
        #expect(decoded.errors.allSatisfy { $0 == .decompressBudgetExceeded })
        var node = GossipNode(name: "n", address: GossipAddress(ip: [127, 0, 0, 1], port: 7946), meta: nil, now: 0, seed: 1)
        let from = GossipAddress(ip: [127, 0, 0, 2], port: 7946)
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<100 { _ = node.receivePacket(packet, from: from, now: Int64(i) * 10_000_000) }  // 100 in one second
        let elapsed = clock.now - start
        // 2 MiB/s at most were decompressed: 32 packets' worth at 64 KiB, the rest dropped unread.
        #expect(node.stats.decompressBudgetExceeded >= 99 * 31)
        #expect(elapsed < .seconds(5), "decoding 100 bomb packets took \(elapsed)")
    }
}
