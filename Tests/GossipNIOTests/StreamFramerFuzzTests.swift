import Testing
@testable import GossipNIO

/// Seeded mutation fuzzing of the stream framers, which see every inbound gossip stream before
/// it is authenticated: no trap, and every verdict stays within the framer's limit.
@Suite struct StreamFramerFuzzTests {
    /// xorshift64*, seeded: the same inputs on every run.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    /// A push/pull as serf sends it: header {Join, Nodes, UserStateLen}, node states, user state.
    static let pushPull: [UInt8] = {
        var out: [UInt8] = [6, 0x83, 0xa4] + Array("Join".utf8) + [0xc2, 0xa5] + Array("Nodes".utf8) + [0x01, 0xac]
            + Array("UserStateLen".utf8) + [0x02]
        out += [0x83, 0xa4] + Array("Name".utf8) + [0xa3] + Array("abc".utf8) + [0xa4] + Array("Addr".utf8) + [0xc4, 0x04, 127, 0, 0, 1]
            + [0xa4] + Array("Port".utf8) + [0xcd, 0x1f, 0x0a]
        out += [9, 9]
        return out
    }()
    static let userMsg: [UInt8] = [8, 0x81, 0xaa] + Array("UserMsgLen".utf8) + [0x03, 1, 2, 3]
    static let encrypted: [UInt8] = [10, 0, 0, 0, 4, 1, 2, 3, 4]
    static let ping: [UInt8] = [0, 0x82, 0xa5] + Array("SeqNo".utf8) + [0x01, 0xa4] + Array("Node".utf8) + [0xa1, 0x61]

    @Test func framersNeverTrapAndStayWithinTheirLimit() {
        let limit = 64 * 1024
        let framers: [any StreamFramer] = [MemberlistStreamFramer(maxMessageSize: limit), EncryptedStreamFramer(maxLength: limit)]
        var rng = Rng(state: 0x5EED_F2A3_E001)
        let seeds = [Self.pushPull, Self.userMsg, Self.encrypted, Self.ping]
        var verdicts = [0, 0, 0, 0]
        for _ in 0..<100_000 {
            var b = seeds[rng.below(seeds.count)]
            for _ in 0...rng.below(4) {
                switch rng.below(6) {
                case 0 where !b.isEmpty: b[rng.below(b.count)] ^= UInt8(1 << rng.below(8))
                case 1 where !b.isEmpty: b[rng.below(b.count)] = [0xdc, 0xdd, 0xde, 0xdf, 0xc6, 0xdb, 0xce, 0xff, 0x00][rng.below(9)]
                case 2: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(b.count + 1))
                case 3 where b.count > 1: b.remove(at: rng.below(b.count))
                case 4: b = Array(b.prefix(rng.below(b.count + 1)))
                default: b += (0..<rng.below(16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                }
            }
            for framer in framers {
                switch framer.decide(b) {
                case .complete(let length):
                    #expect(length <= b.count && length <= limit + 5)
                    verdicts[0] += 1
                case .needMore(let total):
                    #expect(total > 0 && total <= limit + 5)
                    verdicts[1] += 1
                case .tooLarge: verdicts[2] += 1
                case .invalid: verdicts[3] += 1
                }
            }
        }
        // Every kind of verdict is reached: the fuzzer gets past the type byte.
        #expect(verdicts.allSatisfy { $0 > 0 }, "\(verdicts)")
    }
}
