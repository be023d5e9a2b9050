import Testing
@testable import MemcacheProtocol

/// Seeded garbage and mutated requests: the decoders never trap, and never hold more than their bounds.
@Suite struct FuzzTests {
    static let limits = MemcacheLimits(maxValueLength: 4096, maxLineLength: 256, maxRetrievalLineLength: 1024)

    static let textSeeds: [[UInt8]] = [
        b("get a b c\r\n"), b("set k 1 2 5\r\nhello\r\n"), b("cas k 0 0 1 9 noreply\r\nx\r\n"), b("incr k 7\r\n"),
        b("delete k 0 noreply\r\n"), b("gat 10 k\r\n"), b("mg k v f c k O1 q\r\n"), b("ms k 2 T1 MA\r\nab\r\n"),
        b("touch k -1\r\n"), b("flush_all 0\r\n"), b("stats\r\n"), b("set k 0 0 4096\r\n"),
    ]

    func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var out = input
        for _ in 0..<Int.random(in: 0...4, using: &rng) where !out.isEmpty {
            let at = Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: out[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: out.remove(at: at)
            case 2: out.insert([0x20, 0x0d, 0x0a, 0x30, 0x2d, 0x80][Int.random(in: 0..<6, using: &rng)], at: at)
            default: out += [UInt8](repeating: 0x61, count: Int.random(in: 0...600, using: &rng))
            }
        }
        return out
    }

    @Test func textDecoderSurvivesMutatedAndRandomInput() {
        var rng = SplitMix64(seed: 2026)
        for round in 0..<300 {
            var d = TextRequestDecoder(limits: Self.limits)
            var stream: [UInt8] = []
            for _ in 0..<20 {
                if Int.random(in: 0..<10, using: &rng) == 0 {
                    stream += (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                } else {
                    stream += mutate(Self.textSeeds[Int.random(in: 0..<Self.textSeeds.count, using: &rng)], &rng)
                }
            }
            var events = 0
            for chunk in randomChunks(stream, seed: UInt64(round), max: 64) {
                d.feed(chunk) { _ in events += 1 }
                #expect(d.bufferedByteCount <= max(Self.limits.maxRetrievalLineLength + 1, Self.limits.maxValueLength + 2))
            }
            // The same bytes, whole, give the same number of events.
            var whole = TextRequestDecoder(limits: Self.limits)
            #expect(whole.decode(stream).count == events)
        }
    }

    @Test func binaryDecoderSurvivesMutatedAndRandomInput() {
        var rng = SplitMix64(seed: 99)
        let seeds: [[UInt8]] = [
            frame(0x0c, key: b("k")), frame(0x01, key: b("k"), extras: be64(0), value: b("v")), frame(0x0a),
            frame(0x05, key: b("n"), extras: be64(1) + be64(0) + be32(0)), frame(0x1c, key: b("k"), extras: be32(1)),
            frame(0x10), frame(0x0d, key: b("k")),
        ]
        let bound = 24 + 20 + Self.limits.maxKeyLength + Self.limits.maxValueLength
        for round in 0..<300 {
            var d = BinaryRequestDecoder(limits: Self.limits)
            var stream: [UInt8] = []
            for _ in 0..<20 {
                var f = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                // Mutate header fields (lengths, opcode) more often than the magic.
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    let at = Int.random(in: 1..<min(f.count, 12), using: &rng)
                    f[at] = UInt8.random(in: 0...255, using: &rng)
                }
                if Int.random(in: 0..<40, using: &rng) == 0 { f[0] = UInt8.random(in: 0...255, using: &rng) }
                stream += f
            }
            var events = 0
            for chunk in randomChunks(stream, seed: UInt64(round), max: 64) {
                d.feed(chunk) { _ in events += 1 }
                #expect(d.bufferedByteCount <= bound)
            }
            var whole = BinaryRequestDecoder(limits: Self.limits)
            #expect(whole.decode(stream).count == events)
        }
    }
}
